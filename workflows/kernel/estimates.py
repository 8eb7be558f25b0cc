"""R26: a deadline in a year whose official holiday schedule is not published yet is only an
estimate — log it and tell the workspace admins once per year (the `job_run` key makes it once)."""
from __future__ import annotations

import logging

from sqlmodel import select

from storage.tables import JobRun
from workflows.kernel import outbox, timers
from workflows.cards import Card
from workflows.kernel.context import Ctx

log = logging.getLogger("collab.calendar")


async def warn_estimated_years(ctx: Ctx) -> None:
    """Look at the timers this transaction created; warn once per (workspace, year)."""
    years = {}
    for due_at in timers.born(ctx.uow):
        day = ctx.calendar.local_date(due_at)
        if ctx.calendar.is_estimated(day):
            years.setdefault(day.year, day)
    for year, day in sorted(years.items()):
        period = f"{ctx.calendar.country}-{year}"
        seen = await ctx.uow.first(select(JobRun).where(
            JobRun.job == "calendar.estimated", JobRun.workspace_id == ctx.workspace.id, JobRun.period == period))
        if seen is not None:
            continue
        text = ctx.calendar.estimate_warning(day, ctx.t) or ""
        log.warning("deadline in a year with estimated holidays", extra={"workspace": ctx.workspace.id,
                                                                        "year": year})
        ctx.uow.add(JobRun(job="calendar.estimated", workspace_id=ctx.workspace.id, period=period, ran_at=ctx.now))
        for admin in (p for p in ctx._people.values() if p.is_admin):
            outbox.direct(ctx, person_id=admin.id, card=Card(title=ctx.t("calendar.estimated.title", year=year),
                                                             tone="warning", text=text))
