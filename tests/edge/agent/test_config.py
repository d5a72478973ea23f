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


def _with_broker(tmp_path: Path, section: str, *, files: bool = True) -> str:
    extra = (
        f'snapshot_file = "{tmp_path / "snapshot.json"}"\n'
        f'centre_key_file = "{tmp_path / "centre.pub"}"\n'
        if files
        else ""
    )
    return _toml(tmp_path).replace("\n[[readers]]", f"{extra}\n[broker]\n{section}\n[[readers]]", 1)


def test_the_broker_section_parses_and_its_password_is_read_from_its_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "mqtt.password").write_text("s3cret\n")
    section = f'host = "broker.test"\npassword_file = "{tmp_path / "mqtt.password"}"\n'
    config = parse_config(_with_broker(tmp_path, section))
    assert config.broker is not None
    assert (config.broker.host, config.broker.port, config.broker.ca_file) == (
        "broker.test",
        8883,
        None,
    )
    assert config.broker.password() == "s3cret"
    assert config.status_interval_seconds == 30.0
    assert parse_config(_toml(tmp_path)).broker is None


@pytest.mark.parametrize(
    ("section", "files", "named"),
    [
        ('host = "b"\n', True, "broker.password_file"),
        ('password_file = "/p"\n', True, "broker.host"),
        ('host = "b"\nport = 70000\npassword_file = "/p"\n', True, "broker.port"),
        ('host = "b"\npassword_file = "/p"\nuser = "x"\n', True, "broker.user"),
        ('host = "b"\npassword_file = "/p"\n', False, "broker: needs snapshot_file"),
    ],
)
def test_a_bad_broker_section_is_named(
    tmp_path: Path, section: str, files: bool, named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        parse_config(_with_broker(tmp_path, section, files=files))


def test_a_missing_or_empty_password_file_is_named(tmp_path: Path) -> None:
    section = f'host = "b"\npassword_file = "{tmp_path / "mqtt.password"}"\n'
    broker = parse_config(_with_broker(tmp_path, section)).broker
    assert broker is not None
    with pytest.raises(ConfigError, match=r"broker\.password_file: cannot read"):
        broker.password()
    (tmp_path / "mqtt.password").write_text("\n")
    with pytest.raises(ConfigError, match=r"broker\.password_file: .* is empty"):
        broker.password()
