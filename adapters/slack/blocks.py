"""Block Kit primitives and limits shared by the card and form renderers (pure)."""
from __future__ import annotations

import re
from typing import Any

MAX_TEXT = 3000  # section text, context text, fallback text

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack's three control characters; everything else is literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Card text (light markdown: **bold**, line breaks) → Slack mrkdwn (`*bold*`)."""
    return _BOLD.sub(r"*\1*", escape(text))


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_TEXT)}}


def sections(text: str) -> list[dict[str, Any]]:
    """Long mrkdwn as several sections of ≤ 3000 characters, cut at line ends where possible
    (a board or the help text is longer than one section holds)."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > MAX_TEXT:  # one line longer than a section: hard cut
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:MAX_TEXT])
            line = line[MAX_TEXT:]
        if current and len(current) + 1 + len(line) > MAX_TEXT:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not chunks:
        chunks.append(current)
    return [section(chunk) for chunk in chunks]


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, MAX_TEXT)}]}


def fit(head: list, body: list, tail: list, note: dict, limit: int) -> list[dict[str, Any]]:
    """Keep within `limit` blocks: the body (fields) gives way first, the tail (inputs, buttons,
    footer) last; `note` marks the cut."""
    if len(head) + len(body) + len(tail) <= limit:
        return head + body + tail
    room = limit - 1 - len(head) - len(tail)
    if room >= 0:
        return head + body[:room] + [note] + tail
    return (head + body + tail)[: limit - 1] + [note]
