"""Settings come from ``STADSVAKT_*`` variables and ``.env``; production refuses weak secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from stadsvakt.settings import DEV_SECRET_KEY, Mode, Settings
from tests.conftest import clean_environment

STRONG = "k" * 20 + "9f3b2c7d1e0a4b5c6d7e8f90"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No STADSVAKT_* variable or .env from the machine leaks into these tests."""
    clean_environment(monkeypatch, tmp_path)


def test_defaults_use_a_sqlite_file_under_var() -> None:
    settings = Settings()
    assert settings.database.url == "sqlite:///./var/stadsvakt.db"
    assert settings.sqlite_path() == Path("var/stadsvakt.db")
    assert settings.mode is Mode.DEVELOPMENT


def test_prefixed_and_nested_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STADSVAKT_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("STADSVAKT_SECURITY__LOGIN_MAX_FAILURES", "7")
    monkeypatch.setenv("STADSVAKT_SERVER__PORT", "8443")
    settings = Settings()
    assert settings.default_language == "en"
    assert settings.security.login_max_failures == 7
    assert settings.server.port == 8443


def test_unprefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    assert Settings().default_language == "sv"


def test_database_url_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STADSVAKT_DATABASE_URL", "postgresql+psycopg://db.example/stadsvakt")
    settings = Settings()
    assert settings.database.url == "postgresql+psycopg://db.example/stadsvakt"
    assert settings.sqlite_path() is None


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "STADSVAKT_DATABASE_URL=sqlite:///./data/x.db\nSTADSVAKT_SECURITY__SESSION_HOURS=3\n",
        encoding="utf-8",
    )
    settings = Settings()
    assert settings.database.url == "sqlite:///./data/x.db"
    assert settings.security.session_hours == 3


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("STADSVAKT_SERVER__PORT=9000\n", encoding="utf-8")
    monkeypatch.setenv("STADSVAKT_SERVER__PORT", "9001")
    assert Settings().server.port == 9001


def test_secrets_are_hidden_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STADSVAKT_SECURITY__SECRET_KEY", STRONG)
    settings = Settings()
    assert isinstance(settings.security.secret_key, SecretStr)
    assert settings.security.secret_key.get_secret_value() == STRONG
    assert STRONG not in repr(settings)
    assert STRONG not in str(settings.model_dump())


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STADSVAKT_SERVER__PORT", "99999")
    with pytest.raises(ValidationError, match="port"):
        Settings()


@pytest.mark.parametrize("secret", [None, DEV_SECRET_KEY, "short-but-not-default"])
def test_production_refuses_default_or_short_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("STADSVAKT_MODE", "production")
    if secret is not None:
        monkeypatch.setenv("STADSVAKT_SECURITY__SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="STADSVAKT_SECURITY__SECRET_KEY"):
        Settings()


def test_production_refuses_insecure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STADSVAKT_MODE", "production")
    monkeypatch.setenv("STADSVAKT_SECURITY__SECRET_KEY", STRONG)
    monkeypatch.setenv("STADSVAKT_SECURITY__COOKIE_SECURE", "false")
    with pytest.raises(ValidationError, match="cookie_secure"):
        Settings()


def test_production_starts_with_a_strong_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STADSVAKT_MODE", "production")
    monkeypatch.setenv("STADSVAKT_SECURITY__SECRET_KEY", STRONG)
    # The audit chain's keys are refused at their development values too (tests/audit).
    monkeypatch.setenv("STADSVAKT_AUDIT__HMAC_KEY_ID", "k2026")
    monkeypatch.setenv("STADSVAKT_AUDIT__HMAC_KEY", STRONG)
    monkeypatch.setenv("STADSVAKT_AUDIT__SIGNING_KEY", "Q" * 43 + "=")
    monkeypatch.setenv("STADSVAKT_EDGE__SNAPSHOT__SIGNING_KEY", "R" * 43 + "=")
    assert Settings().mode is Mode.PRODUCTION


def test_production_refuses_the_development_snapshot_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STADSVAKT_MODE", "production")
    monkeypatch.setenv("STADSVAKT_SECURITY__SECRET_KEY", STRONG)
    monkeypatch.setenv("STADSVAKT_AUDIT__HMAC_KEY_ID", "k2026")
    monkeypatch.setenv("STADSVAKT_AUDIT__HMAC_KEY", STRONG)
    monkeypatch.setenv("STADSVAKT_AUDIT__SIGNING_KEY", "Q" * 43 + "=")
    with pytest.raises(ValueError, match="STADSVAKT_EDGE__SNAPSHOT__SIGNING_KEY"):
        Settings()


def test_development_accepts_the_default_secret() -> None:
    assert Settings().security.secret_key.get_secret_value() == DEV_SECRET_KEY
