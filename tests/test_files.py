"""g4f.files: the one way private files are written (saved conversations, the sign-in's state)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from g4f.files import private_dir, write_private


def test_a_private_file_replaces_a_wider_one_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "saved.json"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new")
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["saved.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "saved.json"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_private(path, "half \ud800")  # a lone surrogate cannot be written
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["saved.json"]


def test_a_created_folder_is_private_and_its_parents_are_made(tmp_path: Path) -> None:
    made = private_dir(tmp_path / "a" / "state")
    assert made.is_dir() and stat.S_IMODE(made.stat().st_mode) == 0o700
