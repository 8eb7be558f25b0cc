"""Prometheus metrics at `/metrics` (issue 3 "Operability").

One `Metrics` object per app, with its own registry (tests build as many as they like). Counters
are bumped by `InstrumentedCore` (inbound events), the scheduler (timers, ticks) and the delivery
worker (outbox); the queue depths are read from the database at scrape time, so they are true
across replicas.
"""
from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest
from sqlalchemy import func
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from storage.db import Database
from storage.tables import OutboxMessage, Timer
from workflows.clock import Clock
from workflows.events import Event, Reply

LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 300, 900, 3600, 86400)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events = Counter("collab_events_handled", "Inbound events handled by the core",
                              ["platform", "event"], registry=r)
        self.event_errors = Counter("collab_event_errors", "Inbound events whose handling raised",
                                    ["platform", "event"], registry=r)
        self.refused = Counter("collab_clicks_refused", "Clicks refused (R25)",
                               ["platform"], registry=r)
        self.duplicates = Counter("collab_duplicate_events", "Redelivered events ignored",
                                  ["platform"], registry=r)
        self.timers_fired = Counter("collab_timers_fired", "Timers fired", ["kind"], registry=r)
        self.timer_errors = Counter("collab_timer_errors", "Timer handler errors (retried)",
                                    ["kind"], registry=r)
        self.timers_failed = Counter("collab_timers_failed", "Timers given up after retries",
                                     ["kind"], registry=r)
        self.timer_lateness = Histogram("collab_timer_lateness_seconds",
                                        "fired_at - due_at of fired timers",
                                        buckets=LATENESS_BUCKETS, registry=r)
        self.ticks_run = Counter("collab_ticks_run", "Cron ticks run", ["job"], registry=r)
        self.ticks_skipped = Counter("collab_ticks_skipped",
                                     "Cron ticks already run (another replica or earlier)",
                                     ["job"], registry=r)
        self.tick_errors = Counter("collab_tick_errors", "Cron ticks whose job raised",
                                   ["job"], registry=r)
        self.outbox_sent = Counter("collab_outbox_sent", "Messages delivered",
                                   ["platform"], registry=r)
        self.outbox_retries = Counter("collab_outbox_retries", "Delivery attempts to retry",
                                      ["platform", "reason"], registry=r)
        self.outbox_failed = Counter("collab_outbox_failed", "Messages marked failed",
                                     ["platform"], registry=r)
        self.outbox_expired = Counter("collab_outbox_expired",
                                      "Messages not sent because they expired by policy",
                                      ["platform"], registry=r)
        self.breaker_open = Gauge("collab_delivery_breaker_open",
                                  "1 while a platform's circuit is open (outage, probing)",
                                  ["platform"], registry=r)
        self.breaker_trips = Counter("collab_delivery_breaker_trips",
                                     "Outages detected (circuit opened)", ["platform"], registry=r)
        self.outbox_depth = Gauge("collab_outbox_depth", "Outbox rows by state (scrape time)",
                                  ["state"], registry=r)
        self.timers_overdue = Gauge("collab_timers_overdue",
                                    "Pending timers already due (scrape time)", registry=r)

    async def refresh(self, *, db: Database, clock: Clock) -> None:
        """Queue depths from the database (index-backed counts: state is the index prefix)."""
        async with db.uow() as uow:
            for state in ("pending", "sending", "failed", "expired"):
                count = await uow.first(select(func.count()).select_from(OutboxMessage)
                                        .where(OutboxMessage.state == state))
                self.outbox_depth.labels(state).set(count or 0)
            overdue = await uow.first(select(func.count()).select_from(Timer).where(
                Timer.state == "pending", Timer.due_at <= clock.now()))
            self.timers_overdue.set(overdue or 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def metrics_route(metrics: Metrics, *, db: Database, clock: Clock,
                  path: str = "/metrics") -> Route:
    """The Starlette route the server mounts."""

    async def endpoint(_request: Request) -> Response:
        await metrics.refresh(db=db, clock=clock)
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return Route(path, endpoint, methods=["GET"])


class InstrumentedCore:
    """Wraps the core so every inbound event is counted; adapters receive this wrapper.

    Everything but `handle` (fire_timer, run_tick, …) passes straight through.
    """

    def __init__(self, core: Any, metrics: Metrics) -> None:
        self._core = core
        self._metrics = metrics

    async def handle(self, event: Event) -> Reply:
        platform, kind = event.tenant.platform, type(event).__name__
        try:
            reply = await self._core.handle(event)
        except Exception:
            self._metrics.event_errors.labels(platform, kind).inc()
            raise
        self._metrics.events.labels(platform, kind).inc()
        if reply.failed:
            self._metrics.event_errors.labels(platform, kind).inc()
        if reply.refused:
            self._metrics.refused.labels(platform).inc()
        if reply.duplicate:
            self._metrics.duplicates.labels(platform).inc()
        return reply

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)
