"""A stand-in for `workflows.core.Core`'s time side: records every timer firing and every cron
tick as an audit row in the caller's transaction, so tests can count exactly-once."""
from __future__ import annotations

from datetime import date

from storage.db import UnitOfWork
from storage.tables import AuditEvent, Timer
from workflows.clock import Clock


class RecordingCore:
    def __init__(self, *, clock: Clock, name: str = "core",
                 broken_kinds: tuple[str, ...] = (), broken_jobs: tuple[str, ...] = ()) -> None:
        self.clock = clock
        self.name = name
        self.broken_kinds = set(broken_kinds)
        self.broken_jobs = set(broken_jobs)

    async def fire_timer(self, uow: UnitOfWork, timer: Timer) -> None:
        uow.add(AuditEvent(workspace_id=timer.workspace_id, action="timer.fired",
                           subject=f"timer:{timer.id}", detail={"kind": timer.kind,
                                                                "by": self.name},
                           at=self.clock.now()))
        await uow.flush()  # written, then the handler breaks: the write must not survive
        uow.append(AuditEvent, workspace_id=timer.workspace_id, action="timer.noted",
                   subject=f"timer:{timer.id}", at=self.clock.now())  # nor this one
        if timer.kind in self.broken_kinds:
            raise RuntimeError(f"handler for {timer.kind} is broken")
        timer.state, timer.fired_at = "fired", self.clock.now()

    async def run_tick(self, uow: UnitOfWork, *, job: str, workspace_id: str, day: date, cursor: str = "",
                       limit: int = 200) -> str | None:
        uow.add(AuditEvent(workspace_id=workspace_id, action=f"tick:{job}",
                           subject=day.isoformat(), detail={"by": self.name},
                           at=self.clock.now()))
        await uow.flush()
        if job in self.broken_jobs:
            raise RuntimeError(f"job {job} is broken")
        return None  # one chunk: done
