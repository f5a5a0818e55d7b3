"""The chat page in a real headless Chromium (Debian's ``chromium``, driven by Playwright)
against ``g4f api`` in front of the hub: streaming, stop, conversations kept in the browser and
continued on the server, models, images, errors, the API key, hostile answers, themes, a phone.

Every test also checks that the page asked no other origin for anything and logged no error
(but the failed requests a test provokes on purpose).
"""

from __future__ import annotations

import base64
import gzip
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright import sync_api

from g4f.api import ApiSettings, ApiThread
from g4f.client import NO_RETRY
from g4f.hub import Hub, HubThread, Reply, TurnRequest, echo_responder, make_test_token

from .common import api_settings as flat_settings

sync_api.expect.set_options(timeout=30_000)  # generous: the machine may be busy

CHROMIUM = os.environ.get("G4F_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[1] / "docs"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)

HOSTILE = (
    'Look: <img src=x onerror="window.__pwned=1;alert(1)"> and '
    "<script>window.__pwned=2</script>\n\n"
    "[click me](javascript:window.__pwned=3) and [a site](https://example.com/page)\n\n"
    '<div onclick="window.__pwned=4"><b>raw html</b></div>\n\n'
    "![remote](https://example.com/tracker.png)"
)
CODE = "Here:\n\n```python\ndef add(a, b):\n    return a + b\n```\n"


def responder(request: TurnRequest) -> Reply | str:
    """The hub's answers, chosen by the prompt."""
    if request.prompt == "hold":  # some text, then silence: the turn runs until stopped
        return Reply(" ".join(f"w{i}" for i in range(40)), scenario="silence-mid")
    if request.prompt == "hostile":
        return HOSTILE
    if request.prompt == "code":
        return CODE
    if request.prompt == "fail":
        return Reply("never shown", scenario="fail:Throttled")
    if request.prompt == "search":
        return Reply(
            "Found it.",
            sources=(("Example Domain", "https://example.com/"),),
            suggestions=("Tell me more.",),
            search_query="the thing",
            scenario="search",
        )
    return echo_responder(request)


@pytest.fixture
def hub() -> Hub:
    return Hub(responder=responder)


@pytest.fixture(autouse=True)
def no_pending_tasks() -> None:
    """These tests run no asyncio code of their own: Playwright's sync API runs its event loop
    in this thread, where conftest's async check could not run."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(  # never a silent skip: CI installs it, as the README's test section says
            f"no Chromium at {CHROMIUM}: install Debian's chromium "
            "(sudo apt-get install chromium; .ci/run does)"
        )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@dataclass
class Page:
    """A browser page on the API, recording what it requested and logged."""

    page: Any
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    expected_errors: list[str] = field(default_factory=list)

    def open(self) -> Any:
        self.page.goto(self.base + "/")
        return self.page

    def idle(self) -> None:
        """Wait until no answer runs (the turn ended, the page saved it)."""
        sync_api.expect(self.page.locator("#app")).not_to_have_attribute("aria-busy", "true")

    def ask(self, text: str) -> Any:
        """Wait for the answer before to end, as a person would (Enter sends nothing while one
        runs), type ``text``, press Enter, and return the answer's article."""
        self.idle()
        self.page.get_by_label("Message", exact=True).fill(text)
        self.page.get_by_label("Message", exact=True).press("Enter")
        return self.page.locator("article.message.assistant").last

    def check(self) -> None:
        foreign = [url for url in self.requests if not url.startswith((self.base, "data:"))]
        assert foreign == [], "requests to another origin"
        unexpected = [e for e in self.errors if not any(x in e for x in self.expected_errors)]
        assert unexpected == [], "errors in the console"
        assert self.dialogs == [], "alerts raised"


def open_page(browser: Any, base: str, **context: Any) -> Iterator[Page]:
    ctx = browser.new_context(**context)
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    recorded = Page(page, base)
    page.on("request", lambda r: recorded.requests.append(r.url))
    page.on("console", lambda m: recorded.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: recorded.errors.append(f"pageerror: {e}"))

    def on_dialog(dialog: Any) -> None:
        recorded.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield recorded
        recorded.check()
    finally:
        ctx.close()


def api_settings(hub_url: str, **kwargs: Any) -> ApiSettings:
    return flat_settings(url=hub_url, retry=NO_RETRY, **kwargs)


@pytest.fixture
def api(thread_hub: str) -> Iterator[str]:
    with ApiThread(api_settings(thread_hub)) as url:
        yield url


@pytest.fixture
def ui(browser: Any, api: str) -> Iterator[Page]:
    yield from open_page(browser, api)


def test_send_and_see_the_answer_stream_in(ui: Page) -> None:
    page = ui.open()
    box = page.get_by_label("Message", exact=True)
    box.fill("two")
    box.press("Shift+Enter")  # a new line, not a send
    box.press_sequentially("lines")
    assert box.input_value() == "two\nlines"
    box.press("Enter")
    answer = page.locator("article.message.assistant").last
    sync_api.expect(answer).to_contain_text(re.compile(r"You said: «two\s*lines». No earlier"))
    sync_api.expect(page.locator("article.message.user")).to_have_text(re.compile("two\nlines"))
    sync_api.expect(page.get_by_role("button", name="Send “Tell me more.”")).to_be_visible()
    sync_api.expect(page.get_by_role("button", name="Stop the answer")).to_be_hidden()
    assert box.input_value() == ""


def test_search_progress_sources_and_a_suggested_reply(ui: Page) -> None:
    page = ui.open()
    answer = ui.ask("search")
    sync_api.expect(answer.get_by_label("Search progress")).to_contain_text("Searching for:")
    link = answer.get_by_label("Sources").get_by_role("link", name="Example Domain")
    sync_api.expect(link).to_have_attribute("href", "https://example.com/")
    sync_api.expect(link).to_have_attribute("rel", "noopener noreferrer")
    page.get_by_role("button", name="Send “Tell me more.”").click()
    sync_api.expect(page.locator("article.message.user .body").last).to_have_text("Tell me more.")
    sync_api.expect(page.locator("article.message.assistant").last).to_contain_text(
        "We spoke 1 time(s) before"
    )


def test_stop_keeps_the_partial_answer_and_ends_the_upstream_turn(
    ui: Page, hub: Hub, hub_thread: HubThread
) -> None:
    page = ui.open()
    answer = ui.ask("hold")
    sync_api.expect(answer).to_contain_text("w3")  # the hub sent some, then went silent
    page.get_by_role("button", name="Stop the answer").click()
    sync_api.expect(answer.locator(".stopped")).to_have_text("(stopped)")
    hub_thread.wait_closed(timeout=30)  # the API closed the upstream websocket
    assert (hub.websockets_opened, hub.open_websockets) == (1, 0)
    page.reload()
    kept = page.locator("article.message.assistant").last
    sync_api.expect(kept).to_contain_text("w3")  # what arrived is kept
    sync_api.expect(kept.locator(".stopped")).to_have_text("(stopped)")


def test_while_an_answer_runs_nothing_starts_another_and_typed_text_is_kept(ui: Page) -> None:
    page = ui.open()
    answer = ui.ask("hold")
    sync_api.expect(answer).to_contain_text("w3")  # running, and silent until stopped
    for action in ("Regenerate the last answer", "Edit this question and resend"):
        sync_api.expect(page.get_by_role("button", name=action)).to_have_count(0)
    box = page.get_by_label("Message", exact=True)
    box.fill("after it")
    box.press("Enter")
    sync_api.expect(box).to_have_value("after it")  # not cleared: nothing typed is lost
    sync_api.expect(page.locator("article.message.user")).to_have_count(1)
    page.get_by_role("button", name="Stop the answer").click()
    sync_api.expect(answer.locator(".stopped")).to_have_text("(stopped)")
    sync_api.expect(answer.get_by_role("button", name="Regenerate the last answer")).to_be_visible()
    box.press("Enter")  # the answer ended: now it is sent
    sync_api.expect(page.locator("article.message.user .body").last).to_have_text("after it")
    sync_api.expect(page.locator("article.message.assistant").last).to_contain_text(
        "You said: «after it»"
    )
    sync_api.expect(box).to_have_value("")


def test_reload_finds_the_conversation_and_the_server_continues_it(ui: Page, hub: Hub) -> None:
    page = ui.open()
    sync_api.expect(ui.ask("first question")).to_contain_text("No earlier messages")
    ui.idle()  # the answer ended (a reload mid-answer: the next test)
    page.reload()
    listed = page.get_by_label("Saved conversations").get_by_role(
        "button", name="first question", exact=True
    )
    sync_api.expect(listed).to_have_attribute("aria-current", "true")
    sync_api.expect(page.locator("article.message.user .body")).to_have_text("first question")
    answer = ui.ask("second")
    # The hub's answer proves the server kept the history: the request held only "second".
    sync_api.expect(answer).to_contain_text(
        "We spoke 1 time(s) before; you last said: «first question»"
    )
    assert len(hub.conversations) == 1


def test_a_reload_mid_answer_keeps_what_arrived_and_the_server_conversation(
    ui: Page, hub: Hub, hub_thread: HubThread
) -> None:
    page = ui.open()
    sync_api.expect(ui.ask("hold")).to_contain_text("w3")  # running, silent until it ends
    page.reload()  # the request ends with the page
    kept = page.locator("article.message.assistant").last
    sync_api.expect(kept).to_contain_text("w3")  # what arrived is kept ...
    sync_api.expect(kept.locator(".stopped")).to_have_text("(stopped)")  # ... and says so
    sync_api.expect(page.get_by_role("button", name="Stop the answer")).to_be_hidden()
    hub_thread.wait_closed(timeout=30)  # the API closed the upstream websocket
    assert (hub.websockets_opened, hub.open_websockets) == (1, 0)
    saved = page.evaluate("JSON.parse(localStorage.getItem('g4f.conversations'))[0]")
    # The server's conversation id was kept when the answer began, not only when it ended:
    # the next question continues that conversation instead of starting anew.
    assert isinstance(saved["serverId"], str) and saved["serverId"]
    assert [(m["role"], m.get("stopped", False)) for m in saved["messages"]] == [
        ("user", False),
        ("assistant", True),
    ]
    assert saved["messages"][1]["text"].startswith("w0 w1 w2 w3")
    # ... and the server continues it with that id alone, once the API has given the cut turn's
    # lease back (just after it closed the websocket; a question sooner is told "busy", 429).
    question = {"model": saved["model"], "messages": [{"role": "user", "content": "again"}]}
    deadline = time.monotonic() + 30
    while True:
        reply = httpx.post(
            ui.base + "/v1/g4f/chat", json={**question, "conversation_id": saved["serverId"]}
        )
        if reply.status_code != 429 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert reply.status_code == 200, reply.text
    assert "We spoke 1 time(s) before; you last said: «hold»" in reply.text


def test_a_conversation_the_server_forgot_goes_on_anew_and_runs_until_it_ends(
    ui: Page, hub: Hub
) -> None:
    page = ui.open()
    forgotten = {
        "id": "kept-here", "title": "old", "created": 1, "updated": 1, "model": "gpt-4",
        "system": "", "serverId": "expired-on-the-server",
        "messages": [{"role": "user", "text": "earlier", "images": []},
                     {"role": "assistant", "text": "an answer"}],
    }  # fmt: skip
    page.evaluate("c => localStorage.setItem('g4f.conversations', JSON.stringify([c]))", forgotten)
    page.reload()
    ui.expected_errors.append("status of 404")  # the first try: conversation_not_found
    sync_api.expect(ui.ask("hold")).to_contain_text("w3")  # the second: a new conversation
    # The retried answer runs until it ends: Stop is offered and the page says it is busy.
    sync_api.expect(page.get_by_role("button", name="Stop the answer")).to_be_visible()
    sync_api.expect(page.locator("#app")).to_have_attribute("aria-busy", "true")
    page.get_by_role("button", name="Stop the answer").click()
    ui.idle()
    saved = page.evaluate("JSON.parse(localStorage.getItem('g4f.conversations'))[0]")
    assert saved["serverId"] not in (None, "expired-on-the-server")
    assert [m["text"] for m in saved["messages"][:3]] == ["earlier", "an answer", "hold"]
    assert saved["messages"][3]["stopped"] is True
    assert len(hub.conversations) == 1


def test_deleting_a_conversation_mid_answer_stops_its_answer(
    ui: Page, hub: Hub, hub_thread: HubThread
) -> None:
    page = ui.open()
    sync_api.expect(ui.ask("alpha")).to_contain_text("You said: «alpha»")
    ui.idle()
    page.get_by_role("button", name="New chat").click()
    sync_api.expect(ui.ask("hold")).to_contain_text("w3")  # running, silent until it ends
    page.get_by_role("button", name="Delete “hold”").click()
    page.get_by_role("button", name="OK").click()
    sync_api.expect(page.get_by_role("button", name="Stop the answer")).to_be_hidden()
    # The API closed the cut turn's websocket; alpha's, idle since its turn, stays for the next.
    hub_thread.wait_closed(timeout=30, at_most=1)
    assert (hub.websockets_opened, hub.open_websockets) == (2, 1)
    sync_api.expect(page.locator("article.message.user .body")).to_have_text("alpha")
    sync_api.expect(ui.ask("next")).to_contain_text("We spoke 1 time(s) before")
    saved = page.evaluate("JSON.parse(localStorage.getItem('g4f.conversations'))")
    assert [c["title"] for c in saved] == ["alpha"]


def test_new_rename_delete_and_export_import(ui: Page, tmp_path: Path) -> None:
    page = ui.open()
    sync_api.expect(ui.ask("alpha")).to_contain_text("alpha")
    page.get_by_role("button", name="Rename “alpha”").click()
    page.locator("#dialog-input").fill("Renamed")
    page.get_by_role("button", name="OK").click()
    listed = page.get_by_label("Saved conversations")
    sync_api.expect(listed.get_by_role("button", name="Renamed", exact=True)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export all conversations as JSON").click()
    exported = tmp_path / "export.json"
    download.value.save_as(exported)
    assert '"title": "Renamed"' in exported.read_text()
    page.get_by_role("button", name="Delete all conversations").click()
    page.get_by_role("button", name="OK").click()
    sync_api.expect(listed.get_by_role("button", name="Renamed", exact=True)).to_have_count(0)
    page.locator("#import-file").set_input_files(str(exported))
    sync_api.expect(listed.get_by_role("button", name="Renamed", exact=True)).to_be_visible()
    sync_api.expect(page.locator("article.message.user .body")).to_have_text("alpha")
    page.get_by_role("button", name="+ New chat").click()
    sync_api.expect(listed.get_by_role("button", name="New chat", exact=True)).to_have_count(1)
    page.get_by_role("button", name="Delete “Renamed”").click()
    page.get_by_role("button", name="OK").click()
    sync_api.expect(listed.get_by_role("button", name="Renamed", exact=True)).to_have_count(0)


def test_regenerate_and_edit_resend(ui: Page) -> None:
    page = ui.open()
    sync_api.expect(ui.ask("one")).to_contain_text("«one»")
    page.get_by_role("button", name="Regenerate the last answer").click()
    answers = page.locator("article.message.assistant")
    sync_api.expect(answers).to_have_count(1)
    sync_api.expect(answers.last).to_contain_text("You said: «one». No earlier messages.")
    page.get_by_role("button", name="Edit this question and resend").click()
    page.locator("#dialog-area").fill("changed")
    page.get_by_role("button", name="OK").click()
    sync_api.expect(page.locator("article.message.user .body")).to_have_text("changed")
    sync_api.expect(answers.last).to_contain_text("You said: «changed». No earlier messages.")


def test_a_system_prompt_is_sent_with_a_new_conversation(ui: Page) -> None:
    page = ui.open()
    page.get_by_role("button", name="Set the system prompt").click()
    page.locator("#dialog-area").fill("Be brief.")
    page.get_by_role("button", name="OK").click()
    answer = ui.ask("hi")
    sync_api.expect(answer).to_contain_text("the last, from system: «Be brief.»")


def test_switching_the_model(ui: Page) -> None:
    page = ui.open()
    picker = page.get_by_label("Model", exact=True)
    sync_api.expect(picker.locator("option")).to_contain_text(["bing-balanced"])
    picker.select_option("bing-creative")
    sync_api.expect(ui.ask("hi")).to_contain_text("Style: Creative")
    picker.select_option("bing-precise")
    sync_api.expect(ui.ask("again")).to_contain_text("Style: Precise")


def test_code_blocks_are_highlighted_with_a_copy_button(ui: Page) -> None:
    page = ui.open()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    answer = ui.ask("code")
    code = answer.locator("pre.code code.hljs")
    sync_api.expect(code.locator(".hljs-keyword").first).to_have_text("def")
    answer.get_by_role("button", name="Copy this code").click()
    sync_api.expect(answer.get_by_role("button", name="Copy this code")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "def add(a, b):\n    return a + b\n"
    answer.get_by_role("button", name="Copy this message").click()
    assert page.evaluate("navigator.clipboard.readText()").strip() == CODE.strip()


def test_hostile_markup_shows_as_text_and_runs_nothing(ui: Page) -> None:
    page = ui.open()
    answer = ui.ask("hostile")
    body = answer.locator(".body")
    sync_api.expect(body).to_contain_text("<script>window.__pwned=2</script>")
    sync_api.expect(body).to_contain_text('<img src=x onerror="window.__pwned=1;alert(1)">')
    sync_api.expect(body).to_contain_text('<div onclick="window.__pwned=4">')
    assert body.locator("img, script, div[onclick], iframe").count() == 0
    click_me = body.get_by_text("click me")
    assert click_me.get_attribute("href") is None  # the javascript: link lost its target
    click_me.click()
    site = body.get_by_role("link", name="a site")
    assert site.get_attribute("rel") == "noopener noreferrer"
    assert site.get_attribute("target") == "_blank"
    remote = body.get_by_role("link", name="image: remote")  # a link, never loaded
    assert remote.get_attribute("href") == "https://example.com/tracker.png"
    assert page.evaluate("window.__pwned") is None
    csp = httpx.get(ui.base + "/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp and "unsafe" not in csp


def test_an_upstream_failure_is_shown_in_the_conversation(ui: Page) -> None:
    ui.expected_errors.append("status of 429")
    page = ui.open()
    ui.ask("fail")
    alert = page.locator("article.message.error")
    sync_api.expect(alert).to_contain_text("throttled", ignore_case=True)
    sync_api.expect(alert).to_have_attribute("role", "alert")
    sync_api.expect(ui.ask("hello again")).to_contain_text("«hello again»")  # and it goes on
    sync_api.expect(alert).to_have_count(0)


def test_an_image_is_refused_on_bing_with_the_api_message(ui: Page) -> None:
    ui.expected_errors.append("status of 400")
    page = ui.open()
    page.locator("#attach-file").set_input_files(
        files=[{"name": "dot.png", "mimeType": "image/png", "buffer": PNG}]
    )
    sync_api.expect(page.get_by_label("Attached images").locator("img")).to_have_count(1)
    ui.ask("what is this?")
    sync_api.expect(page.locator("article.message.error")).to_have_text(
        "The bing service takes no images."
    )


def test_an_image_is_attached_on_microsoft_365(browser: Any, hub: Hub, thread_hub: str) -> None:
    settings = api_settings(thread_hub, service="m365", token=make_test_token())
    with ApiThread(settings) as url:
        for ui in open_page(browser, url):
            page = ui.open()
            picker = page.get_by_label("Model", exact=True)
            sync_api.expect(picker.locator("option").first).to_have_text(re.compile("m365"))
            page.locator("#attach-file").set_input_files(
                files=[{"name": "dot.png", "mimeType": "image/png", "buffer": PNG}]
            )
            answer = ui.ask("what is this?")
            sync_api.expect(answer).to_contain_text(f"(png, {len(PNG)} bytes")
            sync_api.expect(page.locator("article.message.user")).to_contain_text("dot.png")
            (upload,) = hub.m365.uploads.values()
            assert upload.data == PNG


def test_the_api_key_is_asked_once_kept_and_sent(browser: Any, thread_hub: str) -> None:
    with ApiThread(api_settings(thread_hub, api_key="s3cret", docs=True)) as url:
        for path in ("/", "/ui/app.js", "/ui/vendor/marked/marked.esm.js", "/docs"):
            assert httpx.get(url + path).status_code == 200, path
        for method, path in [
            ("GET", "/v1/models"),
            ("GET", "/v1/models/gpt-4"),
            ("POST", "/v1/chat/completions"),
            ("POST", "/v1/g4f/chat"),
            ("GET", "/openapi.json"),
            ("GET", "/ui/../v1/models"),
            ("GET", "/uix"),
        ]:
            assert httpx.request(method, url + path, json={}).status_code == 401, path
        raw = httpx.get(url + "/ui/%2e%2e/events.py")  # out of the page's folder: nothing
        assert raw.status_code == 404
        for ui in open_page(browser, url):
            ui.expected_errors.append("status of 401")
            page = ui.open()
            dialog = page.get_by_role("dialog", name="API key")
            sync_api.expect(dialog).to_be_visible()
            page.locator("#dialog-input").fill("s3cret")
            page.get_by_role("button", name="OK").click()
            options = page.get_by_label("Model", exact=True).locator("option")
            sync_api.expect(options).not_to_have_count(0)
            sync_api.expect(ui.ask("hi")).to_contain_text("You said: «hi»")
            ui.idle()
            page.reload()  # kept: not asked again
            sync_api.expect(ui.ask("again")).to_contain_text("We spoke 1 time(s) before")
            sync_api.expect(dialog).to_be_hidden()
            assert page.evaluate("localStorage.getItem('g4f.apiKey')") == "s3cret"


def test_docs_are_served_from_the_package(browser: Any, thread_hub: str) -> None:
    with ApiThread(api_settings(thread_hub, docs=True)) as url:
        for ui in open_page(browser, url):
            page = ui.page
            page.goto(url + "/docs")
            sync_api.expect(page.locator(".swagger-ui .title").first).to_contain_text("g4f-bing")
            sync_api.expect(page.get_by_text("/v1/g4f/chat").first).to_be_visible()


def test_no_ui_when_turned_off(thread_hub: str) -> None:
    with ApiThread(api_settings(thread_hub, ui=False)) as url:
        assert httpx.get(url + "/").status_code == 404
        assert httpx.get(url + "/ui/app.js").status_code == 404


def test_light_and_dark_screenshots(browser: Any, api: str) -> None:
    for scheme in ("light", "dark"):
        for ui in open_page(
            browser, api, color_scheme=scheme, viewport={"width": 1100, "height": 720}
        ):
            page = ui.open()
            sync_api.expect(ui.ask("code")).to_contain_text("return")
            sync_api.expect(ui.ask("search")).to_contain_text("Found it.")
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert (background == "rgb(21, 24, 29)") == (scheme == "dark")
            shot = page.screenshot()  # the README's, rewritten with G4F_UPDATE_SCREENSHOTS=1
            assert shot.startswith(b"\x89PNG")
            if os.environ.get("G4F_UPDATE_SCREENSHOTS"):
                (DOCS / f"ui-{scheme}.png").write_bytes(shot)
            page.get_by_role("button", name="Switch between dark and light").click()
            toggled = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert toggled != background


def test_a_phone_sized_screen(browser: Any, api: str) -> None:
    for ui in open_page(browser, api, viewport={"width": 390, "height": 844}, has_touch=True):
        page = ui.open()
        new_chat = page.get_by_role("button", name="+ New chat")
        sync_api.expect(new_chat).not_to_be_in_viewport()
        sync_api.expect(ui.ask("small")).to_contain_text("«small»")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="Show conversations").click()
        sync_api.expect(new_chat).to_be_in_viewport()
        page.get_by_role("button", name="Close the conversation list").click()
        sync_api.expect(new_chat).not_to_be_in_viewport()


def test_keyboard_only(ui: Page) -> None:
    page = ui.open()
    page.get_by_label("Message", exact=True).focus()
    page.keyboard.type("by keys")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator("article.message.assistant").last).to_contain_text("«by keys»")
    for _ in range(30):  # Tab reaches the theme toggle and every control has a name
        page.keyboard.press("Tab")
        label = page.evaluate(
            "document.activeElement.getAttribute('aria-label')"
            " || document.activeElement.textContent"
        )
        assert label.strip(), "a focusable control without a name"


def test_the_page_is_small() -> None:
    """What the page loads (all but /docs' Swagger UI), compressed, stays under 300 KB."""
    ui = Path(__file__).resolve().parents[1] / "src" / "g4f" / "api" / "ui"
    files = [
        p
        for p in ui.rglob("*")
        if p.is_file()
        and p.suffix in (".html", ".css", ".js", ".mjs", ".svg")
        and "swagger-ui" not in p.parts
        and p.name != "docs.js"
    ]
    compressed = sum(len(gzip.compress(p.read_bytes(), 9)) for p in files)
    assert len(files) >= 25 and compressed < 300_000


def test_g4f_api_local_serves_the_page_in_front_of_a_hub() -> None:
    command = [sys.executable, "-m", "g4f", "api", "--local", "--port", "0", "--store", "memory://"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stderr is not None
            page = ""
            while not page:  # the start-up lines: where it listens, then where the page is
                line = process.stderr.readline()
                assert line, "g4f api --local ended early"
                page = next(iter(re.findall(r"chat page is at (http://\S+/)", line)), "")
            assert "Content-Security-Policy" in httpx.get(page, timeout=30).headers
            body = {"messages": [{"role": "user", "content": "hi"}]}
            answer = httpx.post(page + "v1/g4f/chat", json=body, timeout=60)
            assert "event: final" in answer.text and "You said: «hi»" in answer.text
        finally:
            process.terminate()
            process.wait(timeout=30)
