"""The control-panel side of OSDP (libosdp's ``osdp`` package): card reads and keypad
input from the readers, LED and buzzer commands back to them.

Every reader runs with the secure channel on and its own install key (SCBK) unless the
configuration turns it off; an unsecured reply is then refused (``EnforceSecure``).
libosdp calls the event handler on its refresh thread while it holds the panel's
lock, so events are queued and handed to the agent on a thread of our own (a handler
that sent a command from libosdp's thread would wait for the lock it holds).

The panel is refreshed by a thread of our own every :data:`REFRESH_S` rather than by the
binding's ``start()``, which sleeps 20 ms between refreshes: a card read waits for the
panel's next poll (libosdp polls each reader every 50 ms) and then for the refresh that
takes the reply, so the binding's pace added up to 40 ms to a door's opening.

Readers on one serial line share a bus and are polled in turn; readers on lines of their
own are told apart by libosdp's channel id, one per line (the binding leaves every
channel at 0, which would make separate lines one bus).
"""

from __future__ import annotations

import os
import queue
import termios
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import osdp  # type: ignore[import-untyped]

from stadsvakt.edge.agent.config import LOOPBACK, ReaderConfig


@dataclass(frozen=True, slots=True)
class CardRead:
    """A card presented at a reader: its UID as hex digits (upper case)."""

    reader: str
    uid: str


@dataclass(frozen=True, slots=True)
class KeyPress:
    """Keys pressed on a reader's keypad (``#`` ends a PIN, ``*`` clears)."""

    reader: str
    keys: str


ReaderEvent = CardRead | KeyPress

#: Seconds between the panel's refreshes (each a short call into libosdp's C code).
REFRESH_S = 0.002


class QueueChannel(osdp.Channel):  # type: ignore[misc]
    """One end of an in-memory byte channel (see :func:`loopback_pair`)."""

    def __init__(self, rx: queue.SimpleQueue[int], tx: queue.SimpleQueue[int]) -> None:
        super().__init__()
        self._rx = rx
        self._tx = tx

    def read(self, max_bytes: int) -> bytes:
        """What has arrived, at most ``max_bytes``, without waiting."""
        out = bytearray()
        while len(out) < max_bytes:
            try:
                out.append(self._rx.get_nowait())
            except queue.Empty:
                break
        return bytes(out)

    def write(self, buf: bytes) -> int:
        """Send all of ``buf``."""
        for byte in buf:
            self._tx.put(byte)
        return len(buf)

    def flush(self) -> None:
        """Nothing is held back."""


def loopback_pair() -> tuple[QueueChannel, QueueChannel]:
    """Two channel ends joined to each other: the panel's and the reader's."""
    a: queue.SimpleQueue[int] = queue.SimpleQueue()
    b: queue.SimpleQueue[int] = queue.SimpleQueue()
    return QueueChannel(a, b), QueueChannel(b, a)


_BAUD = {
    9600: termios.B9600,
    19200: termios.B19200,
    38400: termios.B38400,
    57600: termios.B57600,
    115200: termios.B115200,
}


class SerialChannel(osdp.Channel):  # type: ignore[misc]
    """An RS-485 serial line (``/dev/ttyUSB0``), raw 8N1, read without blocking."""

    def __init__(self, path: str, baud_rate: int) -> None:
        super().__init__()
        if baud_rate not in _BAUD:
            raise ValueError(f"baud_rate {baud_rate} is not one of {sorted(_BAUD)}")
        self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        attrs = termios.tcgetattr(self._fd)
        attrs[0] = 0  # iflag: no translation, no flow control
        attrs[1] = 0  # oflag
        attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
        attrs[3] = 0  # lflag: raw
        attrs[4] = attrs[5] = _BAUD[baud_rate]
        termios.tcsetattr(self._fd, termios.TCSANOW, attrs)

    def read(self, max_bytes: int) -> bytes:
        """What the line has, at most ``max_bytes``."""
        try:
            return os.read(self._fd, max_bytes)
        except BlockingIOError:
            return b""

    def write(self, buf: bytes) -> int:
        """Send what the line takes now."""
        try:
            return os.write(self._fd, buf)
        except BlockingIOError:
            return 0

    def flush(self) -> None:
        """Wait until written bytes are on the line."""
        termios.tcdrain(self._fd)

    def close(self) -> None:
        """Close the line."""
        os.close(self._fd)


def _led(reader: int, color: int, tenths: int) -> dict[str, Any]:
    return {
        "command": osdp.Command.LED,
        "reader": reader,
        "led_number": 0,
        "control_code": 1,  # a temporary colour, then back to the permanent one
        "on_count": tenths,
        "off_count": 0,
        "on_color": color,
        "off_color": osdp.CommandLEDColor.Black,
        "timer_count": tenths,
        "temporary": True,
    }


def _buzzer(reader: int, beeps: int) -> dict[str, Any]:
    return {
        "command": osdp.Command.Buzzer,
        "reader": reader,
        "control_code": 2,  # the default tone
        "on_count": 2,
        "off_count": 1,
        "rep_count": beeps,
    }


class OsdpReaders:
    """The readers of one edge device, under one libosdp control panel."""

    def __init__(
        self,
        readers: list[ReaderConfig],
        deliver: Callable[[ReaderEvent], None],
        *,
        channels: Mapping[str, osdp.Channel] | None = None,
    ) -> None:
        self._deliver = deliver
        self._names = {reader.address: reader.name for reader in readers}
        self._address = {reader.name: reader.address for reader in readers}
        self._events: queue.SimpleQueue[tuple[int, dict[str, Any]] | None] = queue.SimpleQueue()
        infos = []
        self._serial: list[SerialChannel] = []
        lines: dict[str, SerialChannel] = {}
        for reader in readers:
            channel = (channels or {}).get(reader.name)
            if channel is None:
                if reader.device == LOOPBACK:
                    raise ValueError(f"reader {reader.name}: loopback needs a channel given")
                channel = lines.get(reader.device)
                if channel is None:
                    channel = SerialChannel(reader.device, reader.baud_rate)
                    channel.id = len(lines)
                    lines[reader.device] = channel
                    self._serial.append(channel)
            flags = [osdp.LibFlag.EnforceSecure] if reader.key is not None else []
            infos.append(
                osdp.PDInfo(reader.address, channel, scbk=reader.key, name=reader.name, flags=flags)
            )
        self._panel = osdp.ControlPanel(infos, log_level=osdp.LogLevel.Warning)
        self._panel.set_event_handler(self._on_event)
        self._dispatcher: threading.Thread | None = None
        self._refresher: threading.Thread | None = None
        self._stop = threading.Event()
        self._started = threading.Event()

    def _on_event(self, pd: int, event: dict[str, Any]) -> int:
        # libosdp's thread, holding the panel's lock: queue only.
        self._events.put((pd, event))
        return 0

    def _dispatch(self) -> None:
        addresses = list(self._names)
        while (item := self._events.get()) is not None:
            pd, event = item
            name = self._names[addresses[pd]]
            data = bytes(event.get("data", b""))
            if event.get("event") == osdp.Event.CardRead:
                # Raw card data is the UID's bytes; ``length`` counts its bits.
                length = int(event.get("length", len(data) * 8))
                self._deliver(CardRead(name, data[: (length + 7) // 8].hex().upper()))
            elif event.get("event") == osdp.Event.KeyPress:
                self._deliver(KeyPress(name, data.decode("ascii", "replace")))

    def start(self) -> None:
        """Start polling the readers and delivering their events."""
        self._dispatcher = threading.Thread(target=self._dispatch, name="osdp-events", daemon=True)
        self._dispatcher.start()
        # The binding's own methods take ``lock``, which its start() would have made.
        self._panel.lock = threading.Lock()
        self._refresher = threading.Thread(target=self._refresh, name="osdp-panel", daemon=True)
        self._refresher.start()
        self._started.set()

    def _refresh(self) -> None:
        lock, panel = self._panel.lock, self._panel.ctx
        while not self._stop.wait(REFRESH_S):
            with lock:
                panel.refresh()

    def stop(self) -> None:
        """Stop polling and delivering."""
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join()
        self._events.put(None)
        if self._dispatcher is not None:
            self._dispatcher.join()
        for line in self._serial:
            line.close()

    def online(self, reader: str) -> bool:
        """Whether the reader answers (over the secure channel when configured)."""
        return self._started.is_set() and bool(self._panel.is_online(self._address[reader]))

    def secure(self, reader: str) -> bool:
        """Whether the reader's secure channel is up."""
        return self._started.is_set() and bool(self._panel.is_sc_active(self._address[reader]))

    def granted(self, reader: str, seconds: float) -> None:
        """Green LED for the unlock time and one beep."""
        address = self._address[reader]
        tenths = max(1, min(255, round(seconds * 10)))
        self._panel.submit_command(address, _led(0, osdp.CommandLEDColor.Green, tenths))
        self._panel.submit_command(address, _buzzer(0, 1))

    def pin_wanted(self, reader: str, seconds: float) -> None:
        """Amber LED while the reader waits for the PIN, and one short beep."""
        address = self._address[reader]
        tenths = max(1, min(255, round(seconds * 10)))
        self._panel.submit_command(address, _led(0, osdp.CommandLEDColor.Amber, tenths))
        self._panel.submit_command(address, _buzzer(0, 1))

    def denied(self, reader: str) -> None:
        """Red LED for two seconds and three beeps."""
        address = self._address[reader]
        self._panel.submit_command(address, _led(0, osdp.CommandLEDColor.Red, 20))
        self._panel.submit_command(address, _buzzer(0, 3))
