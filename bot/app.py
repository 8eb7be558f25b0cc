"""The composition root: storage, core, adapters, scheduler and delivery built from settings.
Adapters come from `adapters.registry` (each configured platform, its SDK imported only then)."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, AsyncIterator

from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.base import Deferred
from adapters.local.adapter import LocalAdapter
from adapters.local.web.routes import Simulator
from adapters.web.archive_page import ArchivePage
from adapters.web.board import BoardWeb
from adapters.local.settings import LocalSettings
from adapters.registry import AdapterContext, build_adapters, complete_org
from bot.delivery import DeliveryWorker
from bot.health import DatabaseHealth
from bot.metrics import InstrumentedCore, Metrics, metrics_route
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.time_settings import TimeSettings
from storage.db import Database, DatabaseUnavailable, is_unavailable
from storage.tables import Workspace
from workflows.clock import Clock, SystemClock, VirtualClock
from workflows import followups
from workflows.core import Core
from workflows.kernel.context import Links
from workflows.org import OrgImport, import_org
from workflows.org.file import digest, read_org_file
from workflows.events import Tenant

log = logging.getLogger("collab.app")
# psycopg warns once per interrupted query ("query cancellation interrupted …"): during an outage
# that is a line per request; the outage itself is logged once by bot/health.py
logging.getLogger("psycopg").setLevel(logging.ERROR)
DEMO_ORG = Path(__file__).parent / "data" / "demo_org.yaml"


class KickingCore(InstrumentedCore):
    """Counts events (metrics) and wakes the delivery worker so replies' messages go out now.

    On PostgreSQL an event's database work is bounded (`DATABASE_EVENT_TIMEOUT_SECONDS`): past
    it, or when the database cannot be reached, `DatabaseUnavailable` is raised — the event's one
    transaction never committed — so the adapter answers "try again" within the platform's ack
    deadline and the platform redelivers, instead of every request hanging in a partition."""

    def __init__(self, core: Core, metrics: Metrics, delivery: DeliveryWorker, *,
                 db: Database | None = None, timeout: float = 2.5,
                 health: DatabaseHealth | None = None) -> None:
        super().__init__(core, metrics)
        self._delivery = delivery
        self._db = db
        self._timeout = timeout
        self._health = health or DatabaseHealth()

    async def handle(self, event: Any) -> Any:
        if self._db is None:
            reply = await super().handle(event)
        else:
            try:
                async with self._db.bounded(self._timeout):
                    reply = await super().handle(event)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                self._health.failure(exc, where="event")
                if isinstance(exc, DatabaseUnavailable):
                    raise
                raise DatabaseUnavailable(str(exc)) from exc
            self._health.success()
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
    health: DatabaseHealth = field(default_factory=DatabaseHealth)
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
        """Bounded: every part gets a time limit, so SIGTERM never waits for ever."""
        await self.scheduler.stop()
        await self.delivery.stop()
        for adapter in self.adapters.values():
            try:
                async with asyncio.timeout(5):
                    await adapter.stop()
            except TimeoutError:
                log.warning("adapter did not stop in time", extra={"platform": adapter.platform})
        try:
            async with asyncio.timeout(5):
                await self.db.dispose()
        except TimeoutError:
            log.warning("database connections not closed in time")


def make_clock(settings: Settings) -> Clock:
    if not settings.virtual_clock:
        return SystemClock()
    start = datetime.fromisoformat(settings.virtual_clock_start) if settings.virtual_clock_start else \
        SystemClock().now()
    return VirtualClock(start)


def read_org(path: Path) -> tuple[Any, str]:
    """(spec, hash) of an org file as its platform's adapter completes it, checked (OrgError
    lists every problem with its line)."""
    return read_org_file(path, complete=complete_org)


def load_org_file(path: Path) -> Any:
    """The org file's spec, completed and checked."""
    return read_org(path)[0]


async def import_org_file(db: Database, path: Path, *, dry_run: bool = False,
                          skip_unchanged: bool = False) -> OrgImport | None:
    """Import (or with `dry_run` only diff) an org file in one transaction. `skip_unchanged`
    (every start-up): a file whose hash is the one last imported is not even parsed — None."""
    text = path.read_bytes().decode("utf-8", errors="strict") if skip_unchanged else ""
    if skip_unchanged:
        async with db.uow() as uow:
            if await uow.first(select(Workspace.id).where(Workspace.org_hash == digest(text))) is not None:
                return None
    spec, sha = read_org(path)
    async with db.uow() as uow:
        return await import_org(uow, spec, digest=sha, dry_run=dry_run)


def build(settings: Settings, *, clock: Clock | None = None, time_settings: TimeSettings | None = None,
          db: Database | None = None) -> App:
    clock = clock or make_clock(settings)
    db = db or Database(settings.database_url,
                        connect_timeout=settings.database_connect_timeout_seconds,
                        statement_timeout=settings.database_statement_timeout_seconds,
                        pool_size=settings.database_pool_size)
    links = Links(base_url=settings.board_base_url, secret=settings.board_secret,
                  ttl=timedelta(hours=settings.board_link_hours)) if settings.board_secret else None
    core = Core(db=db, clock=clock, archive_dir=settings.archive_dir, links=links)
    metrics = Metrics()
    health = DatabaseHealth()
    adapters: dict[str, Any] = {}
    delivery = DeliveryWorker(db=db, clock=clock, adapters=adapters, settings=time_settings,
                              metrics=metrics, health=health)
    scheduler = Scheduler(db=db, core=core, clock=clock, settings=time_settings, metrics=metrics,
                          on_work=delivery.kick, health=health)
    facade = KickingCore(core, metrics, delivery, db=db, health=health,
                         timeout=settings.database_event_timeout_seconds)

    async def clock_moved() -> None:
        await scheduler.kick()
        delivery.kick()

    context = AdapterContext(core=facade, clock=clock, db=db, on_clock_change=clock_moved)
    local = LocalSettings(platform=settings.local_platform, workspace=settings.local_workspace)
    adapters.update(build_adapters(context, overrides={"local": local}))
    for adapter in adapters.values():  # platform gauges (DingTalk's monthly quota) in /metrics
        if hasattr(adapter, "register_metrics"):
            adapter.register_metrics(metrics.registry)
    app = App(settings=settings, db=db, clock=clock, core=core, metrics=metrics, delivery=delivery,
              scheduler=scheduler, adapters=adapters, health=health)
    app.asgi = asgi(app)
    return app


def settle_heap() -> None:
    """Once the server is built, before it takes traffic: move every object alive (modules, SDK
    classes, settings: ~170k in a DingTalk bot, ~480k with all three SDKs imported) out of the
    collector's reach (`gc.freeze`, instant). A full collection walks every tracked object: it
    stopped a busy DingTalk bot for 160 ms mid-click, and now walks only what serving made (21 ms,
    issue 15). No `gc.collect()` first: it found 4 unreachable objects at start-up and took
    0.4–0.55 s. Only the serving entry points call this: a test process builds many apps and
    must get their garbage back."""
    gc.freeze()


def serve_from_environment() -> Starlette:
    """One worker process of `collab-bot serve --workers N` (uvicorn imports and calls this in
    each): the app built from the same environment the parent read, logging JSON lines."""
    from bot.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    asgi_app = build(settings).asgi
    assert asgi_app is not None
    settle_heap()
    return asgi_app


def web_routes(app: App) -> list[Any]:
    """The board on every server; the simulator (`/`) with the local platform. The demo's own
    workspace is open (a sample org on a virtual clock); anything else needs a signed link."""
    settings, routes = app.settings, []
    local = f"local:{settings.local_workspace}"
    demo = settings.local_platform and settings.virtual_clock
    routes += BoardWeb(db=app.db, clock=app.clock, secret=settings.board_secret,
                       open_workspace=local if demo else None).routes()
    routes += ArchivePage(db=app.db, clock=app.clock, secret=settings.board_secret, core=app.core).routes()
    if settings.local_platform:
        routes += Simulator(db=app.db, clock=app.clock, workspace_id=local).routes()
    return routes


def asgi(app: App) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        """Liveness: the process answers. It says nothing about the database (see /readyz)."""
        return JSONResponse({"ok": True, "platforms": sorted(app.adapters), "now": app.clock.now().isoformat()})

    async def readyz(_request: Request) -> JSONResponse:
        """Readiness: the database answers within 1 s, the scheduler and the delivery worker
        run. 503 with the failing checks otherwise (a load balancer sends traffic elsewhere)."""
        checks = {"database": True, "scheduler": app.scheduler.alive,
                  "delivery": app.delivery.alive}
        try:
            await app.db.ping(seconds=1.0)
            app.health.success()
        except Exception as exc:  # noqa: BLE001 — any failure means "not ready"
            checks["database"] = False
            app.health.failure(exc, where="readyz")
        ready = all(checks.values())
        body: dict[str, Any] = {"ready": ready, "checks": checks}
        if not checks["database"]:
            body["database_error"] = app.health.last_error
        return JSONResponse(body, status_code=200 if ready else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await app.start()
        try:
            yield
        finally:
            await app.stop()

    routes = [Route("/healthz", healthz), Route("/readyz", readyz), metrics_route(app.metrics, db=app.db, clock=app.clock)]
    for adapter in app.adapters.values():
        routes += adapter.routes()
    routes += web_routes(app)

    async def unavailable(_request: Request, _exc: Exception) -> JSONResponse:
        """A route that let `DatabaseUnavailable` through: 503 + Retry-After, never a 500 —
        nothing was committed, the platform (or the caller) sends it again."""
        return JSONResponse({"error": "database unavailable, try again"}, status_code=503,
                            headers={"Retry-After": "5"})

    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={DatabaseUnavailable: unavailable})
