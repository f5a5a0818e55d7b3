"""A stand-in for the user's browser in the loopback-redirect sign-in tests, named by the
``BROWSER`` environment variable (Python's ``webbrowser`` runs it with the URL to open; MSAL's
``acquire_token_interactive`` opens its authorize URL that way). Standard library only: the
tests copy it behind a shebang into an executable file.

Like a browser, it returns at once (``webbrowser`` waits for the command, and MSAL's listener
answers only after that) and goes on in the background: it fetches the URL over HTTPS, trusting
``REQUESTS_CA_BUNDLE``, follows redirects, and submits the form of a ``response_mode=form_post``
answer (what the identity platform's page script does) to the redirect URI — MSAL's listener.
It types nothing and fills in no field: the hub approves the sign-in by itself.

What it saw goes, one JSON line per request, to ``$G4F_TEST_BROWSER_LOG``: the address without
its query (the code and state are never written) and the status; the last line also holds the
listener's answer.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit, urlunsplit


class _Form(HTMLParser):
    """The first form of a page: its action and hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.action and named.get("method", "").upper() == "POST":
            self.action = named.get("action", "")
        elif tag == "input" and named.get("type") == "hidden" and named.get("name"):
            self.fields[named["name"]] = named.get("value", "")


def _bare(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _fetch(
    opener: urllib.request.OpenerDirector, url: str, data: bytes | None
) -> tuple[int, str, str]:
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=30) as answer:
            return answer.status, answer.geturl(), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode("utf-8", "replace")


def follow(url: str, log: str) -> None:
    """Open ``url`` as a browser would, writing what happened to ``log``."""
    context = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE") or None)
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    status, where, body = _fetch(opener, url, None)
    steps = [{"url": _bare(where), "status": status}]
    form = _Form()
    form.feed(body)
    if status == 200 and form.action:
        data = urlencode(form.fields).encode()
        status, where, body = _fetch(opener, form.action, data)
        steps.append({"url": _bare(where), "status": status, "method": "POST"})
    steps[-1]["body"] = body[:500]
    with open(log, "a", encoding="utf-8") as file:
        file.writelines(json.dumps(step) + "\n" for step in steps)


def main(argv: list[str]) -> int:
    """``BROWSER URL``: start the background visit and return; ``--follow URL`` is it."""
    log = os.environ.get("G4F_TEST_BROWSER_LOG", os.devnull)
    if argv[:1] == ["--follow"]:
        follow(argv[1], log)
        return 0
    errors = os.devnull if log == os.devnull else log + ".stderr"
    with open(errors, "a", encoding="utf-8") as stderr:  # a failed visit says why there
        subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--follow", argv[0]],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            start_new_session=True,
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
