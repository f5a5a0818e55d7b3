"""The README tells the truth about how to set up and test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from g4f.api import ApiThread

from .common import api_settings

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


def _python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.+?)\n```", text, flags=re.S)


def test_readme_has_python_examples() -> None:
    assert len(_python_blocks()) >= 6


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_python_example_runs(
    index: int,
    thread_hub: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from g4f.hub import make_test_token

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("G4F_BING_URL", thread_hub)
    monkeypatch.setenv("G4F_M365_URL", thread_hub)
    monkeypatch.setenv("M365_COPILOT_TOKEN", make_test_token())
    from g4f.hub.chatapi import make_chatapi_token

    graph_token = tmp_path / "graph-token"
    graph_token.write_text(make_chatapi_token("graph"))
    monkeypatch.setenv("G4F_GRAPH_URL", thread_hub + "/beta/copilot")
    monkeypatch.setenv("G4F_GRAPH_TOKEN_FILE", str(graph_token))
    code = _python_blocks()[index].replace("http://127.0.0.1:8765", thread_hub)
    # An example of the Microsoft 365 Copilot models talks to a `g4f api --service m365`, one of
    # the Chat API's to a `g4f api --service graph`.
    service = "m365" if '"m365-' in code else "graph" if '"graph-' in code else "bing"
    token = {"m365": make_test_token(), "graph": make_chatapi_token("graph")}.get(service)
    url = thread_hub + "/beta/copilot" if service == "graph" else thread_hub
    with ApiThread(api_settings(url=url, service=service, token=token)) as api_url:
        code = code.replace("http://127.0.0.1:1337", api_url)
        exec(compile(code, f"README.md example {index + 1}", "exec"), {"__name__": "__main__"})
    if "print(" in code:
        assert capsys.readouterr().out.strip()


def test_readme_quotes_the_seeds_example_verbatim() -> None:
    from .seed import SEED_EXAMPLE

    assert SEED_EXAMPLE.strip() in _python_blocks()


def test_the_license_file_is_the_one_pyproject_names() -> None:
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = { text = "GPL-3.0-or-later" }' in pyproject
    assert license_text.split()[:4] == ["GNU", "GENERAL", "PUBLIC", "LICENSE"]
    assert "Version 3, 29 June 2007" in license_text


def test_the_readme_says_the_openai_package_is_installed_separately() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m pip install openai" in text
