"""The README tells the truth about how to set up and test."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    test_command = ci[ci.index("# The README's test command:") + 1]
    assert test_command in _readme_commands()


def test_readme_main_job_command_is_the_offline_chat() -> None:
    assert 'python -m pip install . && g4f chat --local "Привет, как дела?"' in _readme_commands()
