"""Output drivers: the lock relays and door-contact inputs of the edge device.

:class:`OutputDriver` is the interface the agent uses; :class:`SimulatedOutputs`
records what happened (the test fixture and the simulator) and :class:`GpioOutputs`
drives Linux GPIO lines, through the ``gpiod`` character-device API when that package
is installed, else through ``/sys/class/gpio``. LED and buzzer feedback goes to the
reader over OSDP (:mod:`stadsvakt.edge.agent.osdp_reader`), not through this driver.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class OutputDriver(Protocol):
    """Relays and inputs by GPIO line number."""

    def set_output(self, line: int, on: bool) -> None:
        """Energise (``on``) or release an output line."""

    def read_input(self, line: int) -> bool:
        """Whether an input line is active (a door contact: the door is open)."""

    def close(self) -> None:
        """Release the lines."""


@dataclass
class SimulatedOutputs:
    """An output driver in memory: outputs record every change; inputs are set by hand."""

    history: list[tuple[int, bool]] = field(default_factory=list)
    outputs: dict[int, bool] = field(default_factory=dict)
    inputs: dict[int, bool] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_output(self, line: int, on: bool) -> None:
        """Record the change."""
        with self._lock:
            self.outputs[line] = on
            self.history.append((line, on))

    def read_input(self, line: int) -> bool:
        """The input as last set (inactive if never set)."""
        with self._lock:
            return self.inputs.get(line, False)

    def close(self) -> None:
        """Nothing to release."""


class GpioOutputs:
    """Linux GPIO: ``gpiod`` (v2 API) on ``chip`` when importable, else sysfs.

    Written for the edge device's hardware and not tested here: the tests use
    :class:`SimulatedOutputs`. Lines are claimed on first use.
    """

    def __init__(self, chip: str, *, sysfs: Path = Path("/sys/class/gpio")) -> None:
        self._chip = chip
        self._sysfs = sysfs
        self._requests: dict[tuple[int, bool], Any] = {}
        self._exported: dict[int, str] = {}
        try:
            self._gpiod: Any = importlib.import_module("gpiod")
        except ImportError:
            self._gpiod = None

    def _request(self, line: int, output: bool) -> Any:
        key = (line, output)
        if key not in self._requests:
            gpiod = self._gpiod
            direction = gpiod.line.Direction.OUTPUT if output else gpiod.line.Direction.INPUT
            self._requests[key] = gpiod.request_lines(
                self._chip,
                consumer="stadsvakt-edge",
                config={line: gpiod.LineSettings(direction=direction)},
            )
        return self._requests[key]

    def _export(self, line: int, direction: str) -> Path:
        pin = self._sysfs / f"gpio{line}"
        # Set the direction once: writing "out" again would drive the line low.
        if self._exported.get(line) != direction:
            if not pin.exists():
                (self._sysfs / "export").write_text(str(line))
            (pin / "direction").write_text(direction)
            self._exported[line] = direction
        return pin

    def set_output(self, line: int, on: bool) -> None:
        """Drive the line high (``on``) or low."""
        if self._gpiod is not None:
            value = self._gpiod.line.Value.ACTIVE if on else self._gpiod.line.Value.INACTIVE
            self._request(line, True).set_value(line, value)
            return
        (self._export(line, "out") / "value").write_text("1" if on else "0")

    def read_input(self, line: int) -> bool:
        """Whether the line reads high."""
        if self._gpiod is not None:
            value = self._request(line, False).get_value(line)
            return bool(value == self._gpiod.line.Value.ACTIVE)
        return (self._export(line, "in") / "value").read_text().strip() == "1"

    def close(self) -> None:
        """Release every requested line."""
        for request in self._requests.values():
            request.release()
        self._requests.clear()
