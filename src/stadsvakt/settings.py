"""Typed settings for stadsvakt, read from ``STADSVAKT_*`` environment variables and ``.env``.

Settings are built by the caller (``create_app(settings)``, the CLI, a test) and
injected; nothing in the package reads the environment at import time.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from stadsvakt.base64_keys import key_bytes, require_private_key
from stadsvakt.edge.settings import EdgeSettings

#: The placeholder secret used in development; refused in production mode.
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"


class Mode(StrEnum):
    """How strictly the installation guards itself."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


def source_checkout_node_modules() -> Path:
    """``frontend/node_modules`` of the source checkout this package runs from."""
    # This file is <checkout>/src/stadsvakt/settings.py; an installed wheel has no such
    # folder, and its installation names one (STADSVAKT_SERVER__VENDOR_DIR).
    return Path(__file__).resolve().parents[2] / "frontend" / "node_modules"


class DatabaseSettings(BaseModel):
    """Where the data lives."""

    url: str = Field(
        default="sqlite:///./var/stadsvakt.db",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg:// in production.",
    )
    echo: bool = False
    pool_size: int = Field(default=10, ge=1, le=200)
    statistics_interval_minutes: int = Field(
        default=60,
        ge=1,
        le=7 * 24 * 60,
        description="How often a serving process refreshes SQLite's query-planner statistics "
        "(stadsvakt.db_statistics); PostgreSQL's autovacuum keeps its own.",
    )


class ServerSettings(BaseModel):
    """The HTTP server."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    workers: int = Field(
        default=1, ge=1, le=64, description="Processes `stadsvakt serve` starts (one per core)."
    )
    vendor_dir: Path = Field(
        default_factory=source_checkout_node_modules,
        description="The node_modules folder whose front-end packages (Leaflet, Chart.js, "
        "Tom Select) the web UI serves under /static/vendor; `npm ci --prefix frontend` fills it.",
    )


class SecuritySettings(BaseModel):
    """Secrets and session rules."""

    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    cookie_secure: bool = Field(
        default=True, description="Send cookies only over HTTPS (turned off by `stadsvakt demo`)."
    )
    hsts_max_age_days: int = Field(
        default=365,
        ge=0,
        le=730,
        description="Strict-Transport-Security max-age while cookie_secure is on (0: no header).",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Failed logins of one account from one address before its backoff starts.",
    )
    login_window_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="How long a failed login counts (minutes)."
    )
    login_address_max_failures: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Failed logins from one address, to any accounts, before its backoff starts.",
    )
    login_account_max_failures: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Failed logins of one account, from any addresses, before its backoff starts.",
    )
    login_backoff_max_seconds: int = Field(
        default=900,
        ge=1,
        le=24 * 3600,
        description="Longest backoff of an address, or of an account from one address.",
    )
    login_account_backoff_max_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="Longest backoff of an account from other addresses (short: no lock-out).",
    )
    login_known_address_days: int = Field(
        default=30,
        ge=0,
        le=365,
        description="An address an account logged in from this recently skips the account's "
        "own backoff (0: no address is known).",
    )
    password_hash_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Passwords hashed or checked at once, in threads of lower CPU priority.",
    )
    password_hash_queue: int = Field(
        default=16,
        ge=0,
        le=10_000,
        description="Password checks that may wait for a hashing thread; more get 503 at once.",
    )
    argon2_time_cost: int = Field(default=3, ge=1, le=10)
    argon2_memory_kib: int = Field(default=65536, ge=1024, le=1048576)


class AlarmSettings(BaseModel):
    """Alarm reception: DC-09 (TCP, UDP), SCAIP over SIP, the MQTT input, supervision."""

    dc09_enabled: bool = Field(
        default=True, description="Start the DC-09 receiver with `stadsvakt serve`."
    )
    dc09_tcp: bool = True
    dc09_udp: bool = True
    dc09_host: str = Field(default="127.0.0.1", description="Use 0.0.0.0 to accept panels.")
    dc09_port: int = Field(default=12300, ge=0, le=65535, description="TCP and UDP port.")
    max_frame_bytes: int = Field(default=1024, ge=64, le=4106)
    read_timeout_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Idle limit: a TCP connection that completes no frame or request for this "
        "long is closed (noise and keep-alives do not count).",
    )
    frame_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="A frame or SIP request must arrive whole within this many seconds of its "
        "first byte, and a reply must leave within it.",
    )
    max_connections: int = Field(default=2000, ge=1, le=100_000)
    max_connections_per_address: int = Field(
        default=100,
        ge=1,
        le=100_000,
        description="TCP connections, and UDP datagrams being handled, from one address at "
        "once (an IPv6 /64 counts as one address); raise it for panels behind one NAT address.",
    )
    timestamp_past_s: int = Field(default=40, ge=1, le=3600)
    timestamp_future_s: int = Field(default=20, ge=1, le=3600)
    write_batch: int = Field(default=256, ge=1, le=10_000)
    seen_flush_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often heard transmitters' last-seen times are written (seconds).",
    )
    # SCAIP social alarms (SS 91100) over SIP.
    sip_enabled: bool = Field(
        default=True, description="Start the SCAIP (SIP) receiver with `stadsvakt serve`."
    )
    sip_tcp: bool = True
    sip_udp: bool = True
    sip_host: str = Field(default="127.0.0.1", description="Use 0.0.0.0 to accept alarms.")
    sip_port: int = Field(default=5060, ge=0, le=65535, description="SIP port, TCP and UDP.")
    # Technical and door alarms as JSON over MQTT (the HTTP input is always on).
    mqtt_enabled: bool = Field(
        default=False, description="Subscribe to the MQTT broker with `stadsvakt serve`."
    )
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_topic_prefix: str = Field(
        default="stadsvakt", min_length=1, max_length=100, pattern=r"^[^#+]+$"
    )
    # Transmitter supervision (path failure when a transmitter falls silent).
    supervision_enabled: bool = Field(
        default=True, description="Watch transmitters with an interval in `stadsvakt serve`."
    )
    supervision_grace_s: int = Field(
        default=30, ge=0, le=3600, description="Added to a transmitter's interval before alarm."
    )


#: The queue's default order of categories: lower comes first (fire before assault, ...).
DEFAULT_QUEUE_PRIORITY: dict[str, int] = {
    "fire": 1,
    "hold_up": 2,
    "medical": 3,
    "social": 3,
    "intrusion": 4,
    "unknown": 5,
    "tamper": 5,
    "technical": 6,
    "fault": 7,
    "open_close": 8,
    "test": 9,
    "other": 9,
}
#: Categories that only go to the log by default (no person needs to act on them).
DEFAULT_LOG_ONLY: tuple[str, ...] = ("test", "open_close", "other")
#: How long an activation of a priority may wait unclaimed before the shift leader is
#: alerted (seconds); a priority missing here waits ``unclaimed_limit_default_s``.
DEFAULT_UNCLAIMED_LIMITS: dict[int, int] = {1: 30, 2: 60, 3: 120, 4: 120}


class ServiceTarget(BaseModel):
    """A service-level target in the style of EN 50518: ``share_percent`` of activations
    acknowledged (claimed) within ``within_s`` seconds of opening."""

    within_s: int = Field(ge=1, le=86_400)
    share_percent: float = Field(gt=0, le=100)


class CentreSettings(BaseModel):
    """The safety centre (trygghetscentral): which events make activations, how they join,
    and the service levels the queue is held to."""

    priority: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_QUEUE_PRIORITY),
        description="Queue priority per alarm category (1 first); a category missing here "
        "is ranked 5.",
    )
    log_only: list[str] = Field(
        default_factory=lambda: list(DEFAULT_LOG_ONLY),
        description="Categories kept in the log only; restores never open an activation.",
    )
    join_window_s: int = Field(
        default=600,
        ge=0,
        le=86_400,
        description="Events of one site and category within this many seconds of the last "
        "join its open activation.",
    )
    confirm_window_s: int = Field(
        default=1800,
        ge=0,
        le=86_400,
        description="Intrusion in a second zone of a site within this many seconds makes the "
        "activation a confirmed alarm (sequential confirmation, EN 50131-9).",
    )
    storm_threshold: int = Field(
        default=25,
        ge=2,
        le=100_000,
        description="This many activations of one category and code in one municipality "
        "within storm_window_s make a storm: further ones join one grouped activation.",
    )
    storm_window_s: int = Field(default=120, ge=1, le=3600)
    storm_categories: list[str] = Field(
        default_factory=lambda: ["fault", "technical", "tamper"],
        description="Categories that may storm; fire, assault and personal alarms never "
        "join a storm.",
    )
    feed_poll_s: float = Field(
        default=0.25,
        gt=0,
        le=10,
        description="How often a process looks for queue changes in the database when no "
        "PostgreSQL notification woke it (seconds).",
    )
    ack_targets: list[ServiceTarget] = Field(
        default_factory=lambda: [
            ServiceTarget(within_s=30, share_percent=80),
            ServiceTarget(within_s=60, share_percent=98.5),
        ],
        description="Service levels the statistics report against: this share of "
        "activations acknowledged within this many seconds (EN 50518 style).",
    )
    unclaimed_limit_s: dict[int, int] = Field(
        default_factory=lambda: dict(DEFAULT_UNCLAIMED_LIMITS),
        description="Per priority: seconds an activation may wait unclaimed before the "
        "shift leader is alerted (escalated).",
    )
    unclaimed_limit_default_s: int = Field(
        default=300, ge=1, le=86_400, description="The unclaimed limit of other priorities."
    )
    jobs_poll_s: float = Field(
        default=5.0,
        ge=0,
        le=3600,
        description="How often each serving process returns due holds to the queue, offers "
        "open activations to receiving operators and escalates unanswered dispatches "
        "(seconds); 0 turns these off.",
    )
    escalation_poll_s: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How often each serving process looks for activations waiting past "
        "their limit (seconds); 0 turns the escalation off.",
    )
    flood_rate_per_hour: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="An hour is in flood when more activations than this opened per "
        "operator handling activations in it (statistics).",
    )
    test_window_max_hours: int = Field(
        default=72,
        ge=1,
        le=24 * 31,
        description="Longest a site or transmitter may be put in test at once (hours).",
    )
    task_poll_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How often `stadsvakt serve` creates the planned visits (nattillsyn) "
        "that are due (seconds).",
    )
    task_catch_up_minutes: int = Field(
        default=60,
        ge=0,
        le=24 * 60,
        description="A planned visit missed while no process ran is still created up to "
        "this many minutes late; older ones are skipped.",
    )
    officer_on_duty_name: str = Field(
        default="",
        max_length=200,
        description="The officer on duty (tjänsteman i beredskap) offered when informing "
        "one about an activation.",
    )
    officer_on_duty_phone: str = Field(default="", max_length=40)
    camera_timeout_s: float = Field(
        default=2.0,
        gt=0,
        le=30,
        description="Longest wait for one camera's snapshot, connecting and reading together "
        "(seconds); a camera that takes longer shows 'no picture'.",
    )
    camera_max_bytes: int = Field(
        default=5_000_000,
        ge=1024,
        le=50_000_000,
        description="Largest snapshot kept (bytes); a larger answer is refused as no picture.",
    )
    camera_radius_m: int = Field(
        default=500,
        ge=0,
        le=50_000,
        description="Cameras this close to an activation's site (metres) are shown besides "
        "the site's own.",
    )
    camera_nearby_max: int = Field(
        default=4, ge=0, le=50, description="At most this many nearby cameras per activation."
    )
    evidence_retention_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Camera snapshots kept with an activation are deleted after this many "
        "days (stadsvakt.centre.cameras.service.purge_evidence).",
    )
    dispatch_accept_s: int = Field(
        default=120,
        ge=10,
        le=3600,
        description="A dispatched field unit that has not accepted within this many seconds "
        "escalates to the shift leader (see docs/centre.md).",
    )
    map_tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        max_length=300,
        pattern=r"^(https?://[^/\s]+/\S*)?$",
        description="The map's tile URL with {z}, {x} and {y}; empty: markers on a plain "
        "background. Its host is allowed as an image source on the map page only.",
    )
    map_tile_attribution: str = Field(default="© OpenStreetMap contributors", max_length=300)
    notify_smtp_host: str = Field(
        default="",
        max_length=253,
        description="SMTP server for the action plans' e-mail notices; empty: e-mail is not "
        "configured and an e-mail step shows as failed.",
    )
    notify_smtp_port: int = Field(default=25, ge=1, le=65_535)
    notify_smtp_from: str = Field(
        default="trygghetscentralen@localhost", max_length=254, description="The sender address."
    )
    notify_smtp_starttls: bool = Field(
        default=False, description="Upgrade the SMTP connection with STARTTLS before sending."
    )
    notify_smtp_username: str = Field(
        default="", max_length=200, description="SMTP login; empty: send without logging in."
    )
    notify_smtp_password: SecretStr = SecretStr("")
    notify_smtp_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="Longest wait for the SMTP server (seconds); a slower server fails the "
        "step, never the page.",
    )
    notify_sms: str = Field(
        default="demo",
        max_length=40,
        pattern=r"^[a-z0-9_]+$",
        description="The SMS notifier: `demo` keeps the messages and shows them on "
        "/centre/sms (nothing leaves the installation); `none` refuses to send SMS; other "
        "names are notifiers registered with stadsvakt.centre.notify.register_sms.",
    )


class AccessSettings(BaseModel):
    """The decision engine: its in-memory index and the access event log."""

    event_retention_days: int = Field(
        default=14, ge=1, le=3650, description="Access events older than this are purged."
    )
    index_poll_ms: int = Field(
        default=200, ge=10, le=60_000, description="How often each process reads the change feed."
    )
    purge_interval_minutes: int = Field(
        default=60, ge=1, le=7 * 24 * 60, description="How often `stadsvakt serve` purges events."
    )
    event_gather_ms: float = Field(
        default=2.0,
        ge=0,
        le=50,
        description="Under load, how long the event writer waits to commit more events at once.",
    )
    decision_past_hours: int = Field(
        default=72,
        ge=0,
        le=3650 * 24,
        description="How far back a decision's `at` may lie: a controller replaying what it "
        "buffered offline over a long weekend.",
    )
    decision_ahead_seconds: int = Field(
        default=300,
        ge=0,
        le=3600,
        description="How far ahead of the server's clock a decision's `at` may lie (clock skew).",
    )


#: The development audit HMAC key and its id; production mode refuses both.
DEV_AUDIT_HMAC_KEY = "dev-insecure-audit-hmac-key-change-me"
DEV_AUDIT_KEY_ID = "dev"
#: The development checkpoint signing key: base64 of a published Ed25519 seed, so anyone
#: can sign with it. Production mode refuses it.
DEV_AUDIT_SIGNING_KEY = "WGjr9tI0BhjHReyQaqeH7IFxoASmLn2WvQ/lKRDPJIk="
#: What an audit key id may look like (it is stored in each row, 32 characters at most).
AUDIT_KEY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"


class AuditSettings(BaseModel):
    """The audit chain's HMAC keys and its signed checkpoints outside the database.

    None of these keys is ever stored in the database: someone who can write the
    database but does not hold them can neither rewrite the chain nor sign a checkpoint.
    """

    hmac_key_id: str = Field(
        default=DEV_AUDIT_KEY_ID,
        pattern=AUDIT_KEY_ID_PATTERN,
        description="Name of the current HMAC key, stored in each row it makes; never reused.",
    )
    hmac_key: SecretStr = Field(
        default=SecretStr(DEV_AUDIT_HMAC_KEY),
        description="The current HMAC-SHA-256 key of the chain (at least 32 characters).",
    )
    retired_hmac_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Earlier HMAC keys by id (JSON object), kept to verify the rows they made.",
    )
    signing_key: SecretStr = Field(
        default=SecretStr(DEV_AUDIT_SIGNING_KEY),
        description="Ed25519 private key (base64 of 32 bytes) that signs checkpoints.",
    )
    checkpoint_public_keys: list[str] = Field(
        default_factory=list,
        description="Public keys (base64) of earlier signing keys whose checkpoints verify.",
    )
    checkpoint_file: Path | None = Field(
        default=None, description="File that checkpoints are appended to (JSON lines)."
    )
    checkpoint_syslog: bool = Field(
        default=False, description="Also send each checkpoint to syslog (ident stadsvakt-audit)."
    )
    checkpoint_interval_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="How often `stadsvakt serve` writes one."
    )

    @model_validator(mode="after")
    def _check_keys(self) -> Self:
        if not self.hmac_key.get_secret_value():
            raise ValueError("audit.hmac_key: must not be empty")
        for key_id, key in self.retired_hmac_keys.items():
            if not re.fullmatch(AUDIT_KEY_ID_PATTERN, key_id):
                raise ValueError(
                    f"audit.retired_hmac_keys: key id {key_id!r} must match {AUDIT_KEY_ID_PATTERN}"
                )
            if key_id == self.hmac_key_id:
                raise ValueError(
                    f"audit.retired_hmac_keys: {key_id!r} is the current hmac_key_id;"
                    " a retired key needs an id of its own"
                )
            if not key.get_secret_value():
                raise ValueError(f"audit.retired_hmac_keys: key {key_id!r} must not be empty")
        require_private_key("audit.signing_key", self.signing_key.get_secret_value())
        for public in self.checkpoint_public_keys:
            if key_bytes(public) is None:
                raise ValueError(
                    f"audit.checkpoint_public_keys: {public!r} is not base64 of a 32-byte"
                    " Ed25519 public key"
                )
        return self

    def production_problem(self) -> str | None:
        """Why these keys may not run in production mode (development keys), or None."""
        key = self.hmac_key.get_secret_value()
        if key == DEV_AUDIT_HMAC_KEY or len(key) < 32:
            return (
                "audit.hmac_key: production mode needs STADSVAKT_AUDIT__HMAC_KEY set to a random"
                " value of at least 32 characters (`stadsvakt audit keygen` makes one)"
            )
        if self.hmac_key_id == DEV_AUDIT_KEY_ID:
            return (
                "audit.hmac_key_id: production mode needs STADSVAKT_AUDIT__HMAC_KEY_ID set to an"
                f" id of your own, not {DEV_AUDIT_KEY_ID!r}"
            )
        if self.signing_key.get_secret_value() == DEV_AUDIT_SIGNING_KEY:
            return (
                "audit.signing_key: production mode needs STADSVAKT_AUDIT__SIGNING_KEY set to a"
                " private key of your own (`stadsvakt audit keygen` makes one)"
            )
        return None


class ScimSettings(BaseModel):
    """Bounds on what one SCIM request may ask for (see docs/scim.md, "Limits").

    The upper bounds keep every accepted filter well inside SQLite's expression depth
    (1,000) and PostgreSQL's stack: a filter's SQL nests about one level per term.
    """

    filter_max_length: int = Field(
        default=2000, ge=100, le=10_000, description="Characters in a filter."
    )
    filter_max_terms: int = Field(
        default=50, ge=1, le=200, description="Comparisons and presence tests in a filter."
    )
    filter_max_depth: int = Field(
        default=5,
        ge=1,
        le=10,
        description="Nesting of a filter: parentheses, brackets, not, and/or, value paths.",
    )
    max_attributes: int = Field(
        default=50, ge=1, le=500, description="Entries in attributes or excludedAttributes."
    )
    path_max_length: int = Field(
        default=512, ge=100, le=2000, description="Characters in an attribute path."
    )
    patch_max_operations: int = Field(
        default=200, ge=1, le=1000, description="Operations in one PATCH request."
    )
    patch_max_values: int = Field(
        default=1000, ge=1, le=10_000, description="Entries in the value list of one operation."
    )


class Settings(BaseSettings):
    """All of stadsvakt's configuration, one nested object."""

    model_config = SettingsConfigDict(
        env_prefix="STADSVAKT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    mode: Mode = Mode.DEVELOPMENT
    database: DatabaseSettings = DatabaseSettings()
    server: ServerSettings = ServerSettings()
    security: SecuritySettings = SecuritySettings()
    access: AccessSettings = AccessSettings()
    alarms: AlarmSettings = AlarmSettings()
    centre: CentreSettings = CentreSettings()
    scim: ScimSettings = ScimSettings()
    audit: AuditSettings = AuditSettings()
    edge: EdgeSettings = EdgeSettings()
    default_language: str = Field(default="sv", pattern="^(sv|en)$")
    #: Shortcut for ``database.url``: ``STADSVAKT_DATABASE_URL``.
    database_url: str | None = None
    #: Shortcut for ``alarms.dc09_port``: ``STADSVAKT_DC09_PORT``.
    dc09_port: int | None = Field(default=None, ge=0, le=65535)
    #: Shortcut for ``alarms.sip_port``: ``STADSVAKT_SIP_PORT``.
    sip_port: int | None = Field(default=None, ge=0, le=65535)

    @model_validator(mode="after")
    def _apply_shortcuts(self) -> Self:
        if self.database_url:
            self.database.url = self.database_url
        if self.dc09_port is not None:
            self.alarms.dc09_port = self.dc09_port
        if self.sip_port is not None:
            self.alarms.sip_port = self.sip_port
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.mode is Mode.PRODUCTION:
            key = self.security.secret_key.get_secret_value()
            if key == DEV_SECRET_KEY or len(key) < 32:
                raise ValueError(
                    "security.secret_key: production mode needs STADSVAKT_SECURITY__SECRET_KEY"
                    " set to a random value of at least 32 characters"
                )
            if not self.security.cookie_secure:
                raise ValueError("security.cookie_secure: must be true in production mode")
        return self

    @model_validator(mode="after")
    def _refuse_development_audit_keys(self) -> Self:
        if self.mode is Mode.PRODUCTION:
            problem = self.audit.production_problem() or self.edge.snapshot.production_problem()
            if problem is not None:
                raise ValueError(problem)
        return self

    def sqlite_path(self) -> Path | None:
        """The file of a SQLite database URL, or None for other databases."""
        url = self.database.url
        prefix = "sqlite:///"
        if not url.startswith(prefix) or url == "sqlite://":
            return None
        return Path(url[len(prefix) :])
