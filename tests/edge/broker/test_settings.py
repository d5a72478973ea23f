"""The broker's settings: off by default, and on only with the centre's password."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from stadsvakt.edge.broker.settings import BrokerSettings
from stadsvakt.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No STADSVAKT_* variable of the machine leaks into these settings."""
    for name in list(os.environ):
        if name.startswith("STADSVAKT_"):
            monkeypatch.delenv(name)
    yield


def test_the_broker_is_off_by_default_and_reachable_as_edge_broker() -> None:
    settings = Settings(_env_file=None)
    assert settings.edge.broker == BrokerSettings()
    assert not settings.edge.broker.enabled
    assert settings.edge.broker.port == 8883


def test_enabling_it_needs_the_centre_s_password() -> None:
    with pytest.raises(ValidationError, match="centre_password"):
        BrokerSettings(enabled=True)
    with pytest.raises(ValidationError, match="centre_password"):
        BrokerSettings(enabled=True, centre_password="")
    on = BrokerSettings(enabled=True, centre_password="s3cret")
    assert on.centre_password is not None
    assert "s3cret" not in repr(on)


def test_it_reads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STADSVAKT_EDGE__BROKER__ENABLED", "true")
    monkeypatch.setenv("STADSVAKT_EDGE__BROKER__CENTRE_PASSWORD", "from-env")
    monkeypatch.setenv("STADSVAKT_EDGE__BROKER__PORT", "18883")
    broker = Settings(_env_file=None).edge.broker
    assert broker.enabled and broker.port == 18883
    assert broker.centre_password is not None
    assert broker.centre_password.get_secret_value() == "from-env"
