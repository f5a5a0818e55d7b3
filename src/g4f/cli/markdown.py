"""A small markdown-to-ANSI renderer for answers shown on a terminal."""

from __future__ import annotations

import re

__all__ = ["render_markdown"]

BOLD, DIM, ITALIC, UNDERLINE, CYAN, RESET = (
    "\x1b[1m",
    "\x1b[2m",
    "\x1b[3m",
    "\x1b[4m",
    "\x1b[36m",
    "\x1b[0m",
)

_INLINE = [
    (re.compile(r"\[\^(\d+)\^\]"), lambda m: f"{DIM}[{m.group(1)}]{RESET}"),
    (re.compile(r"`([^`\n]+)`"), lambda m: f"{CYAN}{m.group(1)}{RESET}"),
    (re.compile(r"\*\*(.+?)\*\*"), lambda m: f"{BOLD}{m.group(1)}{RESET}"),
    (
        re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"),
        lambda m: f"{ITALIC}{m.group(1)}{RESET}",
    ),
    (
        re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)"),
        lambda m: f"{m.group(1)} {DIM}({m.group(2)}){RESET}",
    ),
]
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")


def _inline(line: str) -> str:
    for pattern, replace in _INLINE:
        line = pattern.sub(replace, line)
    return line


def render_markdown(text: str) -> str:
    """Render the markdown Bing used (headings, emphasis, code, lists, links, footnotes) as ANSI.

    >>> render_markdown("**hi**") == "\\x1b[1mhi\\x1b[0m"
    True
    """
    out: list[str] = []
    in_code = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            out.append(f"{CYAN}  {line}{RESET}")
            continue
        heading = _HEADING.match(line)
        if heading:
            out.append(f"{BOLD}{UNDERLINE}{_inline(heading.group(2))}{RESET}")
            continue
        line = _BULLET.sub(lambda m: f"{m.group(1)}• ", line)
        out.append(_inline(line))
    return "\n".join(out)
