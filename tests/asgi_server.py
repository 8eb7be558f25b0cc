"""An ASGI app on uvicorn on a random 127.0.0.1 port, in the test's own event loop: every test
that talks to an app over real HTTP starts it this way."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import uvicorn


@asynccontextmanager
async def serve(app: Any, *, lifespan: str = "off") -> AsyncIterator[str]:
    """The app's base URL while the block runs; the server stops after it."""
    # log_config=None: the test's own logging stays as it is (some watch for ERROR records)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", log_config=None,
                            lifespan=lifespan)
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
