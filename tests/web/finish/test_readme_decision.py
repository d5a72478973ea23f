"""The README's first access decision is granted at any hour (issue 11, point 12): the
command is read out of README.md, filled in with the demo's device token, door and card
as the demo prints them, and sent with the server's clock at night, at noon and on a
Sunday evening."""

from __future__ import annotations

import io
import json
import re
import shlex
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.app import create_app
from stadsvakt.demo.run import decision_command, show_city
from tests.web.finish.conftest import Demo

README = Path(__file__).resolve().parents[3] / "README.md"
#: What the README writes where the demo prints its own values.
PLACEHOLDERS = ("<device token>", "<door id>", "<card UID>")
_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def readme_decision() -> str:
    """The first shell example of README.md that asks for an access decision."""
    for block in _BLOCK.findall(README.read_text(encoding="utf-8")):
        if "/api/v1/access/decisions" in block:
            return str(block).strip()
    raise AssertionError("README.md has no example that asks for an access decision")


class Clock:
    """The server's decision clock, set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _request(command: str) -> tuple[str, str, dict[str, str], str]:
    """Method, path, headers and body of a curl command."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl"
    method, headers, body, url = "GET", {}, "", ""
    pairs = iter(words[1:])
    for word in pairs:
        if word == "-X":
            method = next(pairs)
        elif word == "-H":
            name, _, value = next(pairs).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-d":
            body = next(pairs)
        elif not word.startswith("-"):
            url = word
    return method, urlsplit(url).path, headers, body


def test_the_readme_shows_what_the_demo_prints() -> None:
    command = readme_decision()
    assert command == decision_command("http://127.0.0.1:8000", *PLACEHOLDERS)
    method, path, headers, body = _request(command)
    assert (method, path) == ("POST", "/api/v1/access/decisions")
    assert headers["Authorization"] == "Bearer <device token>"
    assert json.loads(body) == {"door_id": "<door id>", "credential": "<card UID>"}


def _moments(after: datetime) -> list[datetime]:
    """A night, a noon and a Sunday evening after ``after`` (Stockholm time)."""
    day = after.astimezone(STOCKHOLM).date() + timedelta(days=1)
    sunday = day + timedelta(days=(6 - day.weekday()) % 7)
    return [
        datetime(day.year, day.month, day.day, 3, 0, tzinfo=STOCKHOLM),
        datetime(day.year, day.month, day.day, 12, 0, tzinfo=STOCKHOLM),
        datetime(sunday.year, sunday.month, sunday.day, 22, 30, tzinfo=STOCKHOLM),
    ]


@pytest.mark.slow
def test_the_readme_decision_is_granted_at_any_hour(demo: Demo) -> None:
    example = demo.result.example
    assert example is not None
    values = (demo.result.device_token, str(example.door_id), example.card_uid)
    command = readme_decision()
    for placeholder, value in zip(PLACEHOLDERS, values, strict=True):
        command = command.replace(placeholder, value)
    # The demo prints exactly this command.
    assert command in _printed(demo)
    method, path, headers, body = _request(command)
    app = create_app(demo.settings, demo.services)
    clock = Clock(datetime.now(STOCKHOLM))
    app.state.access_time = replace(app.state.access_time, clock=clock)
    client = TestClient(app, base_url="http://127.0.0.1:8000")
    answers = {}
    for moment in _moments(datetime.now(STOCKHOLM)):
        clock.now = moment
        response = client.request(method, path, headers=headers, content=body)
        assert response.status_code == 200, response.text
        answers[moment.isoformat()] = (response.json()["granted"], response.json()["reason"])
    assert all(granted for granted, _ in answers.values()), answers


def _printed(demo: Demo) -> str:
    """What ``stadsvakt demo`` prints about the city, the decision command included."""
    output = io.StringIO()
    show_city(Console(file=output, width=300), demo.settings, demo.result)
    return output.getvalue()
