"""The agent's rights on disk: the last snapshot and what came after it, as the centre
signed them, so a restart without the centre decides as before it (a revoked card stays
revoked after a reboot).

``snapshot_file`` holds the snapshot message; the directory ``<snapshot_file>.chain``
holds the deltas and revoke commands taken since, one file each, named
``<n>.delta`` or ``<n>.revoke.<seq>`` in the order they came. Every file is written
atomically (a temporary file, fsync, rename, fsync of the directory), so a power cut
leaves the old file or the new one, never half of one. A new snapshot replaces the
chain: deltas go, and so do revocations its version covers.

On start (:func:`replay`) every file is checked again with the centre's key and applied
in order; a delta older than the snapshot (left by a crash between the snapshot's write
and the chain's clean-up) is removed; anything refused is left on disk for a look and
reported as a fault, and the state is what verified.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from stadsvakt.edge.agent.rights import Rights
from stadsvakt.edge.snapshot.verify import SnapshotRefused

log = logging.getLogger(__name__)

#: A chain file's name: its number, and ``delta`` or ``revoke.<seq>``.
_ENTRY = re.compile(r"(\d{1,12})\.(delta|revoke)(?:\.(\d{1,18}))?")


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new content."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class ChainStore:
    """The snapshot file and the chain directory beside it."""

    def __init__(self, snapshot_file: Path) -> None:
        self.snapshot_file = snapshot_file
        self.chain = snapshot_file.with_name(snapshot_file.name + ".chain")

    def entries(self) -> list[Path]:
        """The chain's files, oldest first (other files there are not the chain's)."""
        if not self.chain.is_dir():
            return []
        found = [p for p in self.chain.iterdir() if _ENTRY.fullmatch(p.name)]
        return sorted(found, key=lambda p: int(p.name.split(".")[0]))

    def save_snapshot(self, payload: bytes, version: int) -> None:
        """Keep a new snapshot; drop the deltas and the revocations up to ``version``."""
        self.snapshot_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.snapshot_file, payload)
        for path in self.entries():
            match = _ENTRY.fullmatch(path.name)
            if match is None:
                continue
            seq = match.group(3)
            if match.group(2) == "delta" or seq is None or int(seq) <= version:
                path.unlink()

    def append_delta(self, payload: bytes) -> Path:
        """Keep a delta taken after the snapshot."""
        return self._append("delta", payload)

    def append_revoke(self, payload: bytes, seq: int) -> Path:
        """Keep a revoke command taken after the snapshot."""
        return self._append(f"revoke.{seq}", payload)

    def _append(self, suffix: str, payload: bytes) -> Path:
        self.chain.mkdir(parents=True, exist_ok=True)
        entries = self.entries()
        number = int(entries[-1].name.split(".")[0]) + 1 if entries else 1
        path = self.chain / f"{number:08d}.{suffix}"
        write_atomically(path, payload)
        return path


@dataclass
class Replayed:
    """What :func:`replay` made of the files: applied, removed as stale, and refused."""

    applied: int = 0
    stale: int = 0
    refused: list[str] = field(default_factory=list)

    def fault(self) -> str | None:
        """The refusals as one fault line, or None."""
        return "; ".join(self.refused)[:500] if self.refused else None


def replay(store: ChainStore, rights: Rights) -> Replayed:
    """Check and apply the saved snapshot and chain to ``rights`` (module docstring)."""
    done = Replayed()
    if store.snapshot_file.exists():
        try:
            rights.snapshot(store.snapshot_file.read_bytes())
            done.applied += 1
        except (SnapshotRefused, OSError) as exc:
            done.refused.append(f"{store.snapshot_file.name} refused ({exc})")
    for path in store.entries():
        kind = path.name.split(".")[1]
        try:
            if kind == "revoke":
                rights.revoke(path.read_bytes())
            else:
                rights.delta(path.read_bytes())
            done.applied += 1
        except OSError as exc:
            done.refused.append(f"{path.name} unreadable ({exc.strerror or exc})")
        except SnapshotRefused as exc:
            if kind == "delta" and exc.rule == "replay":
                path.unlink()
                done.stale += 1
                continue
            log.error("saved %s refused: %s", path, exc)
            done.refused.append(f"{path.name} refused ({exc})")
    return done
