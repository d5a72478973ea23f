"""`stadsvakt serve` runs the edge hub beside the alarm receivers only when the edge
broker is enabled, and the hub manages the broker's accounts only when told where."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.orm import sessionmaker

from stadsvakt.edge.broker.settings import BrokerSettings
from stadsvakt.edge.hub import EdgeHub, edge_receivers
from stadsvakt.edge.settings import EdgeSettings
from stadsvakt.settings import Settings


def _settings(**broker: object) -> Settings:
    edge = EdgeSettings(broker=BrokerSettings.model_validate(broker))
    return Settings(database_url="sqlite://", edge=edge, _env_file=None)


def test_no_hub_unless_the_edge_broker_is_enabled() -> None:
    assert edge_receivers(_settings(), sessionmaker()) == []


def test_an_enabled_broker_gets_the_hub_and_a_password_file_its_accounts(tmp_path: Path) -> None:
    password = SecretStr("centre-secret")
    (plain,) = edge_receivers(
        _settings(enabled=True, host="mqtt.example", centre_password=password), sessionmaker()
    )
    assert isinstance(plain, EdgeHub) and not plain.accounts.manages_broker
    assert plain.describe() == ("Edge hub on MQTT broker mqtt.example:8883 as stadsvakt-centre")
    (managed,) = edge_receivers(
        _settings(enabled=True, centre_password=password, password_file=tmp_path / "passwd"),
        sessionmaker(),
    )
    assert isinstance(managed, EdgeHub) and managed.accounts.manages_broker
