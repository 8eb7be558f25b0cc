"""`/` (the simulator) and `/sim/time` (the workspace's local time arithmetic the clock buttons
need: next working day 09:00 by the workspace calendar, a typed local time with its zone)."""
from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from adapters.local.web.page import simulator_page
from storage.db import Database
from workflows.board.context import board_context
from workflows.clock import Clock
from workflows.i18n import normalise, translator

STATIC = Path(__file__).parent / "static"


class Simulator:
    def __init__(self, *, db: Database, clock: Clock, workspace_id: str) -> None:
        self.db, self.clock, self.workspace_id = db, clock, workspace_id

    def routes(self) -> list[BaseRoute]:
        return [Route("/", self.page), Route("/sim/time", self.local_time),
                Mount("/static/sim", app=StaticFiles(directory=STATIC), name="sim-static")]

    async def _workspace(self) -> tuple[Any, dict[str, Any]]:
        async with self.db.uow() as uow:
            ctx = await board_context(uow, workspace_id=self.workspace_id, now=self.clock.now())
        if ctx is None:
            return None, {"id": self.workspace_id, "timezone": "Asia/Shanghai", "locale": "zh-CN"}
        return ctx, {"id": self.workspace_id, "timezone": ctx.workspace.timezone, "locale": ctx.workspace.locale,
                     "name": ctx.workspace.name}

    async def page(self, request: Request) -> Response:
        _ctx, workspace = await self._workspace()
        lang = normalise(request.query_params.get("lang") or workspace["locale"])
        return HTMLResponse(simulator_page(t=translator(lang), lang=lang, workspace=workspace))

    async def local_time(self, request: Request) -> JSONResponse:
        """`?next_workday=1` or `?local=2026-07-14T09:30` → the aware ISO time to set."""
        ctx, _ = await self._workspace()
        if ctx is None:
            return JSONResponse({"error": "no workspace"}, status_code=404)
        cal = ctx.calendar
        if request.query_params.get("next_workday"):
            day = cal.next_working_day(ctx.today)
            return JSONResponse({"at": cal.at_local(day, time(9, 0)).isoformat()})
        try:
            local = datetime.fromisoformat(request.query_params.get("local", ""))
            if not 2000 <= local.year <= 2100:
                raise ValueError("year out of range")
        except ValueError as exc:
            return JSONResponse({"error": f"bad local time: {exc}"}, status_code=400)
        return JSONResponse({"at": cal.at_local(local.date(), local.time()).isoformat()})
