"""The audit section of the settings: development keys refused in production, key ids and
keys checked when the settings are read (a clear message, never a crash later)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from stadsvakt.settings import DEV_AUDIT_HMAC_KEY, DEV_AUDIT_SIGNING_KEY, Settings
from tests.conftest import clean_environment

STRONG = "k" * 20 + "9f3b2c7d1e0a4b5c6d7e8f90"
SIGNING = "Q" * 43 + "="


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No STADSVAKT_* variable or .env from the machine leaks into these tests."""
    clean_environment(monkeypatch, tmp_path)


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Production mode with every secret set; tests take one back."""
    monkeypatch.setenv("STADSVAKT_MODE", "production")
    monkeypatch.setenv("STADSVAKT_SECURITY__SECRET_KEY", STRONG)
    monkeypatch.setenv("STADSVAKT_AUDIT__HMAC_KEY_ID", "k2026")
    monkeypatch.setenv("STADSVAKT_AUDIT__HMAC_KEY", STRONG)
    monkeypatch.setenv("STADSVAKT_AUDIT__SIGNING_KEY", SIGNING)
    monkeypatch.setenv("STADSVAKT_EDGE__SNAPSHOT__SIGNING_KEY", "R" * 43 + "=")
    return monkeypatch


def test_production_starts_with_keys_of_its_own(production: pytest.MonkeyPatch) -> None:
    assert Settings().audit.hmac_key_id == "k2026"


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("HMAC_KEY", None, "STADSVAKT_AUDIT__HMAC_KEY "),
        ("HMAC_KEY", DEV_AUDIT_HMAC_KEY, "STADSVAKT_AUDIT__HMAC_KEY "),
        ("HMAC_KEY", "short", "STADSVAKT_AUDIT__HMAC_KEY "),
        ("HMAC_KEY_ID", None, "STADSVAKT_AUDIT__HMAC_KEY_ID"),
        ("HMAC_KEY_ID", "dev", "STADSVAKT_AUDIT__HMAC_KEY_ID"),
        ("SIGNING_KEY", None, "STADSVAKT_AUDIT__SIGNING_KEY"),
        ("SIGNING_KEY", DEV_AUDIT_SIGNING_KEY, "STADSVAKT_AUDIT__SIGNING_KEY"),
    ],
)
def test_production_refuses_missing_or_development_audit_keys(
    production: pytest.MonkeyPatch, name: str, value: str | None, named: str
) -> None:
    if value is None:
        production.delenv(f"STADSVAKT_AUDIT__{name}")
    else:
        production.setenv(f"STADSVAKT_AUDIT__{name}", value)
    with pytest.raises(ValidationError, match=named):
        Settings()


def test_development_uses_the_marked_development_keys() -> None:
    audit = Settings().audit
    assert audit.hmac_key_id == "dev"
    assert (
        audit.hmac_key.get_secret_value()
        == DEV_AUDIT_HMAC_KEY
        == "dev-insecure-audit-hmac-key-change-me"
    )
    assert audit.signing_key.get_secret_value() == DEV_AUDIT_SIGNING_KEY


def test_retired_keys_come_from_a_json_object(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STADSVAKT_AUDIT__HMAC_KEY_ID", "k2026")
    monkeypatch.setenv("STADSVAKT_AUDIT__RETIRED_HMAC_KEYS", '{"k2025": "old key", "dev": "x"}')
    assert set(Settings().audit.retired_hmac_keys) == {"k2025", "dev"}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"STADSVAKT_AUDIT__HMAC_KEY_ID": "has space"}, "hmac_key_id"),
        ({"STADSVAKT_AUDIT__HMAC_KEY_ID": "x" * 33}, "hmac_key_id"),
        ({"STADSVAKT_AUDIT__HMAC_KEY": ""}, "must not be empty"),
        ({"STADSVAKT_AUDIT__RETIRED_HMAC_KEYS": '{"a b": "k"}'}, "'a b' must match"),
        ({"STADSVAKT_AUDIT__RETIRED_HMAC_KEYS": '{"dev": "k"}'}, "is the current hmac_key_id"),
        ({"STADSVAKT_AUDIT__RETIRED_HMAC_KEYS": '{"old": ""}'}, "'old' must not be empty"),
        # pydantic-settings names the section of a value that is not JSON.
        ({"STADSVAKT_AUDIT__RETIRED_HMAC_KEYS": "not json"}, 'field "audit"'),
        ({"STADSVAKT_AUDIT__SIGNING_KEY": "not base64!"}, "audit.signing_key"),
        ({"STADSVAKT_AUDIT__SIGNING_KEY": "QUJD"}, "audit.signing_key"),
        ({"STADSVAKT_AUDIT__CHECKPOINT_PUBLIC_KEYS": '["QUJD"]'}, "checkpoint_public_keys"),
        ({"STADSVAKT_AUDIT__CHECKPOINT_INTERVAL_MINUTES": "0"}, "checkpoint_interval_minutes"),
    ],
)
def test_bad_audit_settings_are_named_when_read(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises((ValidationError, ValueError), match=message):
        Settings()
