"""edge.toml: a good file parses, a bad one is refused naming the field."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from stadsvakt.edge.agent.config import ConfigError, load_config, parse_config
from tests.edge.agent.fakes import SCBK, edge_toml


def _toml(tmp_path: Path) -> str:
    return edge_toml(tmp_path, device_id=uuid.uuid4(), tenant_id=uuid.uuid4(), door_id=uuid.uuid4())


def test_a_good_file_parses(tmp_path: Path) -> None:
    path = tmp_path / "edge.toml"
    path.write_text(_toml(tmp_path))
    config = load_config(path)
    assert config.readers[0].key == bytes.fromhex(SCBK)
    assert config.door_of_reader("entrance") == config.doors[0]
    assert config.doors[0].unlock_seconds == 4


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ((f'scbk = "{SCBK}"', 'scbk = "0011"'), "readers.0.scbk"),
        ((f'scbk = "{SCBK}"', 'scbk = "zz"'), "readers.0.scbk"),
        ((f'scbk = "{SCBK}"', ""), "scbk is required"),
        (('reader = "entrance"', 'reader = "back"'), "doors.0.reader"),
        (("address = 101", "address = 300"), "readers.0.address"),
        (('centre_url = "https://centre.test"', 'centre_url = "centre"'), "centre_url"),
        (('"https://centre.test"', '"http://centre.test"'), "centre_url"),
        (("lock_output = 17", "lock_output = -1"), "doors.0.lock_output"),
        (("unlock_seconds = 4", ""), None),
    ],
)
def test_a_bad_field_is_named(tmp_path: Path, change: tuple[str, str], named: str | None) -> None:
    text = _toml(tmp_path).replace(*change)
    if named is None:
        assert parse_config(text).doors[0].unlock_seconds == 5.0
        return
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        parse_config(text)


def test_unreadable_and_broken_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("device_id = ")
    with pytest.raises(ConfigError, match="tenant_id"):
        parse_config(_toml(tmp_path).replace("tenant_id", "tenant"))


def test_plain_http_only_to_this_machine(tmp_path: Path) -> None:
    text = _toml(tmp_path).replace('"https://centre.test"', '"http://127.0.0.1:8000"')
    assert parse_config(text).centre_url == "http://127.0.0.1:8000"


def test_two_readers_on_one_address_are_refused(tmp_path: Path) -> None:
    second = f'[[readers]]\nname = "back"\ndevice = "loopback"\naddress = 101\nscbk = "{SCBK}"\n\n'
    text = _toml(tmp_path).replace("[[doors]]", second + "[[doors]]")
    with pytest.raises(ConfigError, match="same address"):
        parse_config(text)
