"""How the click benches run a server process: as `collab-bot serve` runs the bot, saying READY
on stdout once it listens, and — with `--statements` — dumping the bot's SQL counts when it stops."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

SQL_COUNT_VAR = "BENCH_SQL_COUNT"  # --statements: where the bot dumps its statement counts


def serve(asgi: Any, port: int, *, announce: Any = None, keep_alive: int = 300,
          stopped: Callable[[], Any] | None = None) -> None:
    """`uvicorn.run` as `collab-bot serve` does it (uvloop and httptools when installed, else
    asyncio and h11 — alike for every server of a bench; its logging, to the bench's log file);
    prints `READY <announce or port>`."""
    import uvicorn

    from bot.app import settle_heap
    from bot.logging import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))  # as `serve` logs: JSON lines, INFO
    settle_heap()
    # keep-alive longer than any phase: an idle pooled connection closed by the server while
    # the client reuses it would count as a failed click that the server never saw
    config = uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", access_log=False, timeout_keep_alive=keep_alive)

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            print("READY", port if announce is None else announce, flush=True)

        async def shutdown(self, sockets: Any = None) -> None:
            await super().shutdown(sockets=sockets)
            if stopped is not None:  # uvicorn re-raises SIGTERM after this: nothing runs later
                stopped()

    Announcing(config).run()


def counting(db: Any) -> Callable[[], Any] | None:
    """With $BENCH_SQL_COUNT set: count the bot's statements (`common.statements`), and the
    `stopped` hook that writes them there; else None."""
    if not os.environ.get(SQL_COUNT_VAR):
        return None
    from bench.common import statements

    counts = statements(db)
    return lambda: Path(os.environ[SQL_COUNT_VAR]).write_text(json.dumps(counts))
