"""The board over HTTP: `/board` (list), `/board/r/{number}` (Gantt and history),
`/board/d/{dept}` (what a department owes) and their CSV/xlsx exports. On `serve` every page
needs a personal signed link (`?t=`, bound to a person and a workspace; R22, R25); the demo's
own workspace is open. A missing, forged or expired link gets a 401 page, a page that is not
the viewer's a 403 page — never data."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from adapters.web import board_pages as pages
from adapters.web.export import list_sheet, request_sheets, to_csv, to_xlsx
from adapters.web.layout import href
from storage.db import Database
from workflows.board.context import board_context, person_by_key
from workflows.board.links import BadLink, verify
from workflows.board.queries import department_owes, request_detail, request_rows, request_rows_page
from workflows.board.scope import Viewer, everyone, viewer_for
from workflows.clock import Clock
from workflows.kernel.context import Ctx
from workflows.i18n import Translate, normalise, translator

STATIC = Path(__file__).parent / "static"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Page:
    """What a page handler gets: the context, who is looking, the language and a link maker."""

    def __init__(self, ctx: Ctx, viewer: Viewer, t: Translate, lang: str, link: Callable[..., str]) -> None:
        self.ctx, self.viewer, self.t, self.lang, self.link = ctx, viewer, t, lang, link


class BoardWeb:
    def __init__(self, *, db: Database, clock: Clock, secret: str, open_workspace: str | None = None) -> None:
        self.db, self.clock, self.secret, self.open_workspace = db, clock, secret, open_workspace

    def routes(self) -> list[BaseRoute]:
        return [Route("/board", self.list_page), Route("/board/export.{fmt}", self.list_export),
                Route("/board/r/{number}", self.request_page),
                Route("/board/r/{number}/export.{fmt}", self.request_export),
                Route("/board/d/{dept}", self.department_page),
                Mount("/static/web", app=StaticFiles(directory=STATIC), name="web-static")]

    def _refuse(self, request: Request, status: int, reason: str) -> HTMLResponse:
        lang = normalise(request.query_params.get("lang") or request.headers.get("accept-language", "zh-CN"))
        return HTMLResponse(pages.refusal_page(status=status, reason=reason, t=translator(lang), lang=lang),
                            status_code=status)

    async def _serve(self, request: Request, render: Callable[[Page], Awaitable[Response | None]]) -> Response:
        token = request.query_params.get("t") or ""
        asked = request.query_params.get("lang") or ""
        now = self.clock.now()
        async with self.db.uow() as uow:
            if token or not self.open_workspace:
                try:
                    grant = verify(token, secret=self.secret, now=now)
                except BadLink as bad:
                    return self._refuse(request, 401, bad.reason)
                ctx = await board_context(uow, workspace_id=grant.workspace_id, now=now)
                person = person_by_key(ctx, grant.person_key) if ctx else None
                if ctx is None or person is None:
                    return self._refuse(request, 403, "gone")
                viewer = viewer_for(ctx, person)
            else:
                ctx = await board_context(uow, workspace_id=self.open_workspace, now=now)
                if ctx is None:
                    return self._refuse(request, 404, "nothing")
                viewer = everyone()
            lang = normalise(asked or ctx.workspace.locale)

            def link(path: str, **query: Any) -> str:
                """A board link keeping the token and language; `link("", lang="flip")` is this
                page in the other language."""
                if query.get("lang") == "flip":
                    return href(request.url.path, **{**request.query_params,
                                                     "lang": "en" if lang == "zh-CN" else "zh-CN"})
                return href(path, **{"t": token, "lang": asked, **query})

            response = await render(Page(ctx, viewer, translator(lang), lang, link))
        return response if response is not None else self._refuse(request, 403, "forbidden")

    @staticmethod
    def _filters(request: Request) -> tuple[int | None, str]:
        dept = request.query_params.get("dept", "")
        state = request.query_params.get("state", "")
        return (int(dept) if dept.isdigit() and len(dept) < 10 else None,
                state if state in pages.STATES or state == "open" else "")

    async def list_page(self, request: Request) -> Response:
        dept, state = self._filters(request)
        raw = request.query_params.get("page", "")
        number = int(raw) if raw.isdigit() and len(raw) < 7 else 1  # anything else: the first page

        async def render(p: Page) -> Response:
            found = await request_rows_page(p.ctx, viewer=p.viewer, department=dept, state=state, page=number)
            depts = [(d.id, d.name) for d in p.ctx.departments()
                     if p.viewer.sees_all or d.id in p.viewer.departments]
            return HTMLResponse(pages.list_page(rows=found.rows, t=p.t, lang=p.lang, link=p.link, depts=depts,
                                                dept=dept, state=state, who=p.viewer.name, number=found.page,
                                                has_next=found.has_next))
        return await self._serve(request, render)

    async def list_export(self, request: Request) -> Response:
        dept, state = self._filters(request)
        fmt = request.path_params["fmt"]

        async def render(p: Page) -> Response | None:
            sheet = list_sheet(await request_rows(p.ctx, viewer=p.viewer, department=dept, state=state), p.t)
            return _download(fmt, [sheet], "board")
        return await self._serve(request, render)

    async def request_page(self, request: Request) -> Response:
        async def render(p: Page) -> Response | None:
            detail = await request_detail(p.ctx, viewer=p.viewer, number=_number(request))
            if detail is None:
                return None
            return HTMLResponse(pages.request_page(d=detail, t=p.t, lang=p.lang, link=p.link, who=p.viewer.name))
        return await self._serve(request, render)

    async def request_export(self, request: Request) -> Response:
        fmt = request.path_params["fmt"]

        async def render(p: Page) -> Response | None:
            detail = await request_detail(p.ctx, viewer=p.viewer, number=_number(request))
            if detail is None:
                return None
            return _download(fmt, request_sheets(detail, p.t), detail.row.number)
        return await self._serve(request, render)

    async def department_page(self, request: Request) -> Response:
        raw = request.path_params["dept"]

        async def render(p: Page) -> Response | None:
            dept = int(raw) if raw.isdigit() and len(raw) < 10 else -1
            owed = await department_owes(p.ctx, viewer=p.viewer, department=dept)
            if owed is None:
                return None
            return HTMLResponse(pages.department_page(name=p.ctx.dept_name(dept), owed=owed, t=p.t, lang=p.lang,
                                                      link=p.link, who=p.viewer.name))
        return await self._serve(request, render)


def _number(request: Request) -> str:
    """A request number as people write it; anything else finds nothing (a 403/404 page, not a
    query PostgreSQL refuses)."""
    number = request.path_params["number"]
    return number if len(number) <= 60 and number.isprintable() else ""


def _download(fmt: str, sheets: list, name: str) -> Response | None:
    if fmt == "csv":
        return Response(to_csv(sheets[0]), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "xlsx":
        return Response(to_xlsx(sheets), media_type=XLSX,
                        headers={"content-disposition": f'attachment; filename="{name}.xlsx"'})
    return Response("unknown format (csv or xlsx)", status_code=404)
