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


def _python_blocks(page: str = "README.md") -> list[str]:
    text = (ROOT / page).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.+?)\n```", text, flags=re.S)


def _pages() -> list[str]:
    """The README and every page of docs/, as paths relative to the repository."""
    return ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]


# Every example of every page, so that moving one from the README into docs/ keeps it tested.
EXAMPLES = [(page, index) for page in _pages() for index in range(len(_python_blocks(page)))]


def test_readme_has_python_examples() -> None:
    assert len(_python_blocks()) >= 6
    assert len(EXAMPLES) - len(_python_blocks()) >= 17  # the docs' examples are collected too


@pytest.mark.parametrize(("page", "index"), EXAMPLES, ids=[f"{p}-{i + 1}" for p, i in EXAMPLES])
def test_readme_python_example_runs(
    page: str,
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
    code = _python_blocks(page)[index].replace("http://127.0.0.1:8765", thread_hub)
    # An example of the Microsoft 365 Copilot models talks to a `g4f api --service m365`, one of
    # the Chat API's to a `g4f api --service graph`.
    service = "m365" if '"m365-' in code else "graph" if '"graph-' in code else "bing"
    token = {"m365": make_test_token(), "graph": make_chatapi_token("graph")}.get(service)
    url = thread_hub + "/beta/copilot" if service == "graph" else thread_hub
    with ApiThread(api_settings(url=url, service=service, token=token)) as api_url:
        code = code.replace("http://127.0.0.1:1337", api_url)
        exec(compile(code, f"{page} example {index + 1}", "exec"), {"__name__": "__main__"})
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


# -- the pages link to what exists -----------------------------------------------------------


def _slug(title: str, seen: dict[str, int]) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


def _prose(text: str) -> str:
    """``text`` without its code blocks and code spans (whose brackets are not links)."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))


def _anchors(path: Path) -> set[str]:
    """The anchors of ``path``'s headings (outside code blocks; their code spans count)."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    seen: dict[str, int] = {}
    return {_slug(title, seen) for title in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


def _relative_links(page: str) -> list[str]:
    text = _prose((ROOT / page).read_text(encoding="utf-8"))
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return [t for t in targets if not re.match(r"[a-z]+:", t)]


@pytest.mark.parametrize("page", _pages())
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page: str) -> None:
    links = _relative_links(page)
    broken = []
    for link in links:
        target, _, anchor = link.partition("#")
        path = (ROOT / page).parent / target if target else ROOT / page
        missing = not path.resolve().exists()
        if missing or (anchor and path.suffix == ".md" and anchor not in _anchors(path)):
            broken.append(link)
    assert broken == [], f"{page}: links to nothing: {broken}"


def test_the_readme_links_every_docs_page() -> None:
    links = {link.partition("#")[0] for link in _relative_links("README.md")}
    assert {page for page in _pages() if page.startswith("docs/")} <= links


def test_the_readme_explains_the_seed_before_using_the_word() -> None:
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").lower().split())
    first = text.index("seed")
    assert "gpt4free's 2023 bing provider" in text[first - 120 : first]
    assert text.index("this package grew from a **seed**") < text.index("```python")


def test_the_readme_shows_the_screenshots() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Quick start: the chat page") :]
    assert "](docs/ui-light.png)" in section and "](docs/ui-dark.png)" in section
