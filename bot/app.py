"""The composition root: storage, core, adapters, scheduler and delivery built from settings.
Adapters come from `adapters.registry` (each configured platform, its SDK imported only then)."""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncIterator

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.base import Deferred
from adapters.local.adapter import LocalAdapter
from adapters.local.settings import LocalSettings
from adapters.registry import AdapterContext, build_adapters
from bot.delivery import DeliveryWorker
from bot.metrics import InstrumentedCore, Metrics, metrics_route
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.time_settings import TimeSettings
from storage.db import Database
from workflows.clock import Clock, SystemClock, VirtualClock
from workflows import followups
from workflows.core import Core
from workflows.events import Tenant
from workflows.org import parse_org

log = logging.getLogger("collab.app")
DEMO_ORG = Path(__file__).parent / "data" / "demo_org.yaml"


class KickingCore(InstrumentedCore):
    """Counts events (metrics) and wakes the delivery worker so replies' messages go out now."""

    def __init__(self, core: Core, metrics: Metrics, delivery: DeliveryWorker) -> None:
        super().__init__(core, metrics)
        self._delivery = delivery

    async def handle(self, event: Any) -> Any:
        reply = await super().handle(event)
        self._delivery.kick()
        return reply

    async def defer(self, *, tenant: Tenant, message: Deferred) -> None:
        """An inline answer the platform refused just now → the outbox (issue 14)."""
        await followups.defer(self._core.db, now=self._core.clock.now(), workspace_id=tenant.id,
                              platform=tenant.platform, kind=message.kind,
                              conversation=message.conversation, payload=message.payload(),
                              target=message.target)
        self._delivery.kick()


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock
    core: Core
    metrics: Metrics
    delivery: DeliveryWorker
    scheduler: Scheduler
    adapters: dict[str, Any] = field(default_factory=dict)
    asgi: Starlette | None = None

    @property
    def local(self) -> LocalAdapter:
        return self.adapters["local"]

    async def start(self) -> None:
        for adapter in self.adapters.values():
            await adapter.start()
        await self.delivery.start()
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.delivery.stop()
        for adapter in self.adapters.values():
            await adapter.stop()
        await self.db.dispose()


def make_clock(settings: Settings) -> Clock:
    if not settings.virtual_clock:
        return SystemClock()
    start = datetime.fromisoformat(settings.virtual_clock_start) if settings.virtual_clock_start else \
        SystemClock().now()
    return VirtualClock(start)


def load_org_file(path: Path) -> Any:
    return parse_org(yaml.safe_load(path.read_text(encoding="utf-8")))


def build(settings: Settings, *, clock: Clock | None = None, time_settings: TimeSettings | None = None,
          db: Database | None = None) -> App:
    clock = clock or make_clock(settings)
    db = db or Database(settings.database_url)
    core = Core(db=db, clock=clock, archive_dir=settings.archive_dir)
    metrics = Metrics()
    adapters: dict[str, Any] = {}
    delivery = DeliveryWorker(db=db, clock=clock, adapters=adapters, settings=time_settings, metrics=metrics)
    scheduler = Scheduler(db=db, core=core, clock=clock, settings=time_settings, metrics=metrics,
                          on_work=delivery.kick)
    facade = KickingCore(core, metrics, delivery)

    async def clock_moved() -> None:
        await scheduler.kick()
        delivery.kick()

    context = AdapterContext(core=facade, clock=clock, on_clock_change=clock_moved)
    local = LocalSettings(platform=settings.local_platform, workspace=settings.local_workspace)
    adapters.update(build_adapters(context, overrides={"local": local}))
    for adapter in adapters.values():  # platform gauges (DingTalk's monthly quota) in /metrics
        if hasattr(adapter, "register_metrics"):
            adapter.register_metrics(metrics.registry)
    app = App(settings=settings, db=db, clock=clock, core=core, metrics=metrics, delivery=delivery,
              scheduler=scheduler, adapters=adapters)
    app.asgi = asgi(app)
    return app


def asgi(app: App) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "platforms": sorted(app.adapters), "now": app.clock.now().isoformat()})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await app.start()
        try:
            yield
        finally:
            await app.stop()

    routes = [Route("/healthz", healthz), metrics_route(app.metrics, db=app.db, clock=app.clock)]
    for adapter in app.adapters.values():
        routes += adapter.routes()
    return Starlette(routes=routes, lifespan=lifespan)
