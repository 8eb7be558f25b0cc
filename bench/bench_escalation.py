"""Escalation lateness (issue 3 benchmark): from an R14 timer's due time to the urgent ping
reaching the (local) platform, with the default 1 s timer sweep, on the real clock.

The whole app runs as in production — real core, scheduler (default TimeSettings), delivery
worker, the local platform's HTTP API — only the workspace's policy shortens the 2 hours to
a few seconds so the bench takes seconds. Goal: ≤ 2 s.
Run: `python bench/bench_escalation.py` (PostgreSQL too when TEST_DATABASE_URL is set).
"""
from __future__ import annotations

import asyncio
import re
import statistics
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.common import backends, fresh_db  # noqa: E402
from bot.app import DEMO_ORG, build, load_org_file  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.time_settings import TimeSettings  # noqa: E402
from storage.tables import Issue, Timer, Workspace  # noqa: E402
from workflows.clock import SystemClock  # noqa: E402

ISSUES = 20
ACK_SECONDS = 4.0
FILE = ("/协作 新建\n名称: 延迟基准\n背景与目标: 测量升级延迟\n协作部门: 技术部\n截止: 12/31\n"
        "交付标准: 延迟≤2秒")


async def measure(backend: str) -> list[float]:
    async with fresh_db(backend) as db:
        settings = Settings(local_platform=True, virtual_clock=False,
                            archive_dir=None)  # type: ignore[arg-type]
        app = build(settings, clock=SystemClock(), time_settings=TimeSettings(), db=db)
        workspace_id = await app.core.import_org(load_org_file(DEMO_ORG))
        async with db.uow() as uow:
            ws = await uow.get(Workspace, workspace_id)
            ws.settings = {**ws.settings, "policy": {"urgent_ack_hours": ACK_SECONDS / 3600}}
        await app.start()
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app.asgi),
                                 base_url="http://local")
        try:
            say = {"chat": "g1", "user": "sun", "text": FILE}
            assert (await http.post("/local/messages", json=say)).json()["ok"]
            for n in range(ISSUES):
                text = f"/协作 问题 XT-2026-001 紧急 接口超时{n}\n责任部门: 技术部"
                answer = await http.post("/local/messages",
                                         json={"chat": "g1", "user": "lin", "text": text})
                assert answer.json()["ok"], answer.text
                await asyncio.sleep(0.3)  # spread the due times over several sweeps
            pings: list[dict] = []
            for _ in range(1200):  # up to a minute on a busy machine
                messages = (await http.get("/local/users/li/messages")).json()["messages"]
                pings = [m for m in messages if m["urgent"]]
                if len(pings) >= ISSUES:
                    break
                await asyncio.sleep(0.05)
            async with db.uow() as uow:
                issues = {i.id: i.seq for i in await uow.all(select(Issue))}
                due = {issues[t.payload["issue"]]: t.due_at for t in await uow.all(
                    select(Timer).where(Timer.kind == "issue.escalate_head"))}
        finally:
            await http.aclose()
            await app.stop()
    lateness = []
    for ping in pings:
        seq = int(re.search(r"XT-2026-001#(\d+)", ping["text"]).group(1))  # type: ignore[union-attr]
        lateness.append((datetime.fromisoformat(ping["created_at"]) - due[seq]).total_seconds())
    assert len(lateness) == ISSUES, (len(lateness), ISSUES)
    return lateness


async def main() -> None:
    print("| backend | escalations | p50 | p95 | max | goal |")
    print("|---|---|---|---|---|---|")
    for backend in backends():
        late = sorted(await measure(backend))
        p95 = late[min(len(late) - 1, round(0.95 * (len(late) - 1)))]
        print(f"| {backend} | {len(late)} | {statistics.median(late):.2f} s | {p95:.2f} s | "
              f"{late[-1]:.2f} s | ≤ 2 s |")


if __name__ == "__main__":
    asyncio.run(main())
