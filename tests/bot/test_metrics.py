"""Operability (issue 3): /metrics in Prometheus text — events handled, clicks refused,
duplicates, timers fired and their lateness, outbox depth and failures, ticks — and JSON logs."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from bot.logging import JsonFormatter
from bot.metrics import InstrumentedCore, Metrics, metrics_route
from storage.tables import OutboxMessage, Timer
from workflows.clock import VirtualClock
from workflows.events import ActionInvoked, CommandInvoked, Reply, Tenant

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)
TENANT = Tenant("slack", "T1")


class ScriptedCore:
    """Answers each event from a script; anything else passes through the wrapper."""

    def __init__(self, replies: list[Reply | Exception]) -> None:
        self.replies = replies

    async def handle(self, _event) -> Reply:
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def fire_timer(self, _uow, timer) -> str:
        return f"fired {timer}"


def samples(metrics: Metrics) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


async def test_instrumented_core_counts_events_refusals_duplicates_and_errors():
    metrics = Metrics()
    core = InstrumentedCore(ScriptedCore([Reply(text="ok"), Reply(refused=True, ok=False),
                                          Reply(duplicate=True), RuntimeError("boom")]),
                            metrics)
    click = ActionInvoked(tenant=TENANT, actor="U1", conversation="C1", event_id="e1")
    await core.handle(CommandInvoked(tenant=TENANT, actor="U1", conversation="C1",
                                     event_id="e0", text="help"))
    await core.handle(click)
    await core.handle(click)
    with pytest.raises(RuntimeError):
        await core.handle(click)
    got = samples(metrics)
    assert got[("collab_events_handled_total",
                (("event", "ActionInvoked"), ("platform", "slack")))] == 2
    assert got[("collab_events_handled_total",
                (("event", "CommandInvoked"), ("platform", "slack")))] == 1
    assert got[("collab_clicks_refused_total", (("platform", "slack"),))] == 1
    assert got[("collab_duplicate_events_total", (("platform", "slack"),))] == 1
    assert got[("collab_event_errors_total",
                (("event", "ActionInvoked"), ("platform", "slack")))] == 1
    assert await core.fire_timer(None, "t") == "fired t"  # the rest passes straight through


async def test_metrics_route_serves_queue_depths_from_the_database(db):
    clock = VirtualClock(T0)
    metrics = Metrics()
    metrics.timer_lateness.observe(0.4)
    async with db.uow() as uow:
        for state in ("pending", "pending", "failed", "sent"):
            uow.add(OutboxMessage(workspace_id="w", platform="slack", conversation="C",
                                  kind="post", state=state, next_attempt_at=T0, created_at=T0))
        uow.add(Timer(workspace_id="w", kind="task.due", subject="task:1",
                      due_at=T0 - timedelta(minutes=1), created_at=T0))
        uow.add(Timer(workspace_id="w", kind="task.due", subject="task:2",
                      due_at=T0 + timedelta(minutes=1), created_at=T0))
    app = Starlette(routes=[metrics_route(metrics, db=db, clock=clock)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://bot") as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    got = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            got[(s.name, tuple(sorted(s.labels.items())))] = s.value
    assert got[("collab_outbox_depth", (("state", "pending"),))] == 2
    assert got[("collab_outbox_depth", (("state", "failed"),))] == 1
    assert got[("collab_timers_overdue", ())] == 1
    assert got[("collab_timer_lateness_seconds_count", ())] == 1
    assert got[("collab_timer_lateness_seconds_bucket", (("le", "0.5"),))] == 1


def test_json_log_lines_carry_the_extra_fields():
    record = logging.LogRecord("collab.delivery", logging.ERROR, __file__, 1, "outbox failed",
                               (), None)
    record.outbox_id = 7
    record.error = "500 Internal Server Error"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "outbox failed" and line["level"] == "error"
    assert line["outbox_id"] == 7 and line["error"] == "500 Internal Server Error"
    assert line["logger"] == "collab.delivery" and line["ts"].endswith("+00:00")


def test_apscheduler_chatter_is_quiet_and_our_own_logs_are_not():
    """2 INFO lines a second from APScheduler drowned what the bot itself said."""
    import logging

    from bot.logging import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("INFO")
        assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
        assert logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.WARNING)
        assert logging.getLogger("collab.delivery").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
