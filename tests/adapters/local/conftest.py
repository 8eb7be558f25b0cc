"""Browser tests: Debian's chromium driven by Playwright (launched by its path — never
`playwright install`), one browser for all of them; the app on a real uvicorn server in a thread
of its own, so the tests drive the browser synchronously.

The browser lives for one module only: Playwright's sync API marks an event loop as running in
the main thread while it is started, and every async test after it would fail to start its own.
All browser tests are in one module, so that is still one browser per session."""
from __future__ import annotations

import asyncio
import shutil
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest

from harness import start_platform, stop_platform

START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, a working day
HOW = "Debian's chromium is not installed: `apt-get install -y chromium` (CI's .ci/run does it)"


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip(HOW)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chrome = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
    except Exception as exc:  # noqa: BLE001 — a broken install: say how to get a working one
        playwright.stop()
        pytest.skip(f"{HOW} ({exc})")
    yield chrome
    chrome.close()
    playwright.stop()


class ThreadedPlatform:
    """The local platform (demo org, virtual clock at START) served from its own event loop."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.started = self.run(start_platform(url, None, start=START))
        self.platform = self.started[0]
        self.base = str(self.platform.http.base_url).rstrip("/")

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def close(self) -> None:
        self.run(stop_platform(*self.started))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[ThreadedPlatform]:
    served = ThreadedPlatform(f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}")
    yield served
    served.close()
