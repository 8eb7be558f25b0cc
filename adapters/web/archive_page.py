"""The archive's page on the board (R22): `/board/r/{number}/archive?t=<personal link>` — read
by the involved departments (and VPs, admins), with a note form for the lead (initiating)
department only. Always behind a personal link, the demo's open board included: the gating is
the archive's, not the sample board's. A note goes through the core as a form event — whoever posts
it — so the same rule, audit row (a refusal's too) and de-duplication apply as in the chat; a
refused note is the refusal page in the core's words."""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.web.board_pages import refusal_page
from adapters.web.layout import e, href, page
from storage.db import Database
from workflows.archive.access import ArchiveView, archive_view
from workflows.board.context import board_context, person_by_key
from workflows.board.links import BadLink, verify
from workflows.clock import Clock
from workflows.events import FormSubmitted, Tenant
from workflows.i18n import Translate, normalise, translator

MAX_NOTE = 4000  # characters: a note, not a document


def markdown_html(markdown: str) -> str:
    """The archive's Markdown as the few HTML elements it uses (headings, list items, text)."""
    out: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            out.append(f"<h2>{e(line[3:])}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{e(line[2:])}</h1>")
        elif line.startswith("- "):
            out.append(f"<li>{e(line[2:])}</li>")
        elif line.strip():
            out.append(f"<p>{e(line)}</p>")
    return "\n".join(out)


def archive_html(view: ArchiveView, *, t: Translate, lang: str, token: str, nonce: str) -> str:
    form = (f'<section class="note"><h2>{e(t("web.archive_note"))}</h2>'
            f'<form method="post" action="{e(href(f"/board/r/{view.number}/archive", t=token, lang=lang))}">'
            f'<input type="hidden" name="n" value="{e(nonce)}"><textarea name="note" rows="4" maxlength="{MAX_NOTE}" '
            f'required></textarea><button>{e(t("web.archive_save"))}</button></form></section>'
            if view.editable else f'<p class="muted">{e(t("web.archive_readonly"))}</p>')
    crumbs = (f'<p class="crumbs"><a href="{e(href("/board", t=token, lang=lang))}">{e(t("web.board"))}</a> / '
              f'<a href="{e(href(f"/board/r/{view.number}", t=token, lang=lang))}">{e(view.number)}</a> / '
              f'{e(t("web.archive"))}</p>')
    return page(title=view.name, body=f'{crumbs}<article class="archive">{markdown_html(view.markdown)}</article>{form}',
                lang=lang)


class ArchivePage:
    def __init__(self, *, db: Database, clock: Clock, secret: str, core: Any) -> None:
        self.db, self.clock, self.secret, self.core = db, clock, secret, core

    def routes(self) -> list[BaseRoute]:
        return [Route("/board/r/{number}/archive", self.handle, methods=["GET", "POST"])]

    @staticmethod
    def _refuse(status: int, reason: str, lang: str, text: str = "") -> HTMLResponse:
        t = translator(lang)
        body = refusal_page(status=status, reason=reason, t=t, lang=lang)
        if text:  # the core's own words for a refused note
            body = body.replace(f"<p>{e(t(f'web.denied_{reason}'))}</p>", f"<p>{e(text)}</p>", 1)
        return HTMLResponse(body, status_code=status)

    async def handle(self, request: Request) -> Response:
        token = request.query_params.get("t") or ""
        asked = request.query_params.get("lang") or ""
        lang = normalise(asked or request.headers.get("accept-language", "zh-CN"))
        number = request.path_params["number"]
        if len(number) > 60 or not number.isprintable():
            return self._refuse(403, "forbidden", lang)
        try:
            grant = verify(token, secret=self.secret, now=self.clock.now())
        except BadLink as bad:
            return self._refuse(401, bad.reason, lang)
        async with self.db.uow() as uow:
            ctx = await board_context(uow, workspace_id=grant.workspace_id, now=self.clock.now())
            person = person_by_key(ctx, grant.person_key) if ctx else None
            if ctx is None or person is None:
                return self._refuse(403, "gone", lang)
            lang = normalise(asked or ctx.workspace.locale)
            view = await archive_view(ctx, person=person, number=number)
            if view is None:
                return self._refuse(403, "forbidden", lang)
            workspace, user = ctx.workspace, ctx.platform_user(person.id)
        if request.method == "GET":
            return HTMLResponse(archive_html(view, t=translator(lang), lang=lang, token=token, nonce=uuid.uuid4().hex))
        if not user:  # no user id on the workspace's platform: no event can name them
            return self._refuse(403, "archive", lang)
        form = parse_qs((await request.body()).decode("utf-8", errors="replace")[: MAX_NOTE * 12])
        nonce = (form.get("n") or [""])[0][:64] or uuid.uuid4().hex
        reply = await self.core.handle(FormSubmitted(
            tenant=Tenant(workspace.platform, workspace.external_id, locale=workspace.locale), actor=user,
            conversation=user, event_id=f"web-archive:{nonce}", form_id="archive.note",
            fields={"note": (form.get("note") or [""])[0][:MAX_NOTE]}, value={"r": view.request_id}))
        if not reply.ok and not reply.duplicate:
            return self._refuse(403 if reply.refused else 400, "archive", lang, reply.text)
        return RedirectResponse(href(f"/board/r/{view.number}/archive", t=token, lang=asked), status_code=303)
