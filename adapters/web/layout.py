"""The page frame and tiny HTML helpers shared by the board and the simulator (pure functions)."""
from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

STATIC = "/static/web"


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def href(path: str, **params: Any) -> str:
    """A link that carries the page's query (the signed token, the language) along."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def page(*, title: str, body: str, lang: str, head: str = "", nav: str = "") -> str:
    return f"""<!doctype html>
<html lang="{e(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<link rel="stylesheet" href="{STATIC}/base.css">{head}
</head><body>
<header class="top"><span class="brand">collab-bot</span>{nav}</header>
<main>{body}</main>
</body></html>"""


def table(headers: list[str], rows: list[list[str]], *, cls: str = "grid", empty: str = "—") -> str:
    """Cells are already HTML (callers escape what they put in)."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    if not rows:
        return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody><tr><td colspan="{len(headers)}" ' \
               f'class="muted">{empty}</td></tr></tbody></table>'
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def pill(text: str, kind: str) -> str:
    return f'<span class="pill {e(kind)}">{e(text)}</span>'
