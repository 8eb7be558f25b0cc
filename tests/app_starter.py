"""The one way tests start the bot: the app as `collab-bot serve` builds it (platforms chosen by
settings and environment), on an empty database or schema with an org imported, behind a real
uvicorn server on 127.0.0.1 with a virtual clock. Each platform's world adds only its fakes."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import uvicorn

from bot.app import App, build
from bot.settings import Settings
from bot.time_settings import TimeSettings
from storage.db import Database
from workflows.clock import VirtualClock


async def start_app(database_url: str, schema: str | None, *, start: datetime, org: Any = None,
                    create: bool = True, **settings_values: Any) -> tuple[App, uvicorn.Server, asyncio.Task, int]:
    """(app, server, task, port); `org` (an `OrgSpec`) is imported when given."""
    settings = Settings(database_url=database_url, virtual_clock=True, archive_dir=None,
                        **settings_values)  # type: ignore[arg-type]
    app = build(settings, clock=VirtualClock(start), time_settings=TimeSettings(tick_sweep_seconds=0.2),
                db=Database(database_url, schema=schema))
    if create:
        await app.db.create_all()
    if org is not None:
        await app.core.import_org(org)
    server = uvicorn.Server(uvicorn.Config(app.asgi, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()  # start-up failed: raise its error here
        await asyncio.sleep(0.01)
    return app, server, task, server.servers[0].sockets[0].getsockname()[1]


async def stop_app(server: uvicorn.Server, task: asyncio.Task) -> None:
    server.should_exit = True
    await task
