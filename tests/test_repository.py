"""Repository hygiene: no build artefact and no large file is ever committed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What a build or a run leaves behind, never source.
ARTEFACTS = (".whl", ".tar.gz", ".db")
#: A tracked file larger than this is a mistake (data and bundles come from packages).
MAX_BYTES = 1024 * 1024


def tracked_files(root: Path) -> list[str]:
    """The files git tracks under ``root``."""
    listing = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True
    )
    return [name for name in listing.stdout.decode().split("\0") if name]


def offences(root: Path) -> list[str]:
    """Each tracked file that is a build artefact or larger than 1 MB, with the reason."""
    found = []
    for name in tracked_files(root):
        path = root / name
        if name.endswith(ARTEFACTS):
            found.append(f"{name}: a build artefact ({', '.join(ARTEFACTS)})")
        elif path.is_file() and path.stat().st_size > MAX_BYTES:
            found.append(f"{name}: {path.stat().st_size:,} bytes, over the 1 MB limit")
    return found


def test_no_tracked_file_is_an_artefact_or_over_a_megabyte() -> None:
    if not (ROOT / ".git").exists():
        pytest.fail("not a git checkout: the repository check needs one")
    assert offences(ROOT) == []


def test_the_check_names_artefacts_and_large_files(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "ok.py").write_text("x = 1\n")
    (tmp_path / "greenlet-3.5.6-cp311.whl").write_bytes(b"PK")
    (tmp_path / "demo.db").write_bytes(b"SQLite format 3\0")
    (tmp_path / "big.json").write_bytes(b"0" * (MAX_BYTES + 1))
    git("add", "-f", ".")
    assert sorted(offences(tmp_path)) == [
        "big.json: 1,048,577 bytes, over the 1 MB limit",
        "demo.db: a build artefact (.whl, .tar.gz, .db)",
        "greenlet-3.5.6-cp311.whl: a build artefact (.whl, .tar.gz, .db)",
    ]
