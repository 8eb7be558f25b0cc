"""Outbound rate limits (DESIGN rule 5): one sliding window per platform app, one per chat.

A platform documents "N per second" (Feishu 5 QPS per chat, Slack ~1 message per second per
channel …) and enforces it by counting requests in a window. The limiter keeps the times of
the last N sends and lets a send through only when fewer than N fell in the last window — so
no window, sliding or fixed, however the platform counts, ever holds more than N; and time lost
to a busy event loop is made up at once instead of being lost (a token bucket of capacity 1
would lose it; a bigger bucket would overrun strict counters). The window carries a small
margin for network jitter between our clock and the platform's.

Real monotonic time, never the workflow clock: a platform's limit counts real seconds even
when the demo's virtual clock stands still or jumps.
"""
from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from typing import Callable

JITTER_MARGIN = 0.02  # the window is 2 % longer than the platform's


class RateWindow:
    """At most `rate` sends per second, counted over a sliding window; rate <= 0: unlimited.

    Rates below 1/s (e.g. one per 3 s) become one send per 1/rate seconds.
    """

    def __init__(self, rate: float, *, margin: float = JITTER_MARGIN,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._now = now
        span = max(1.0, 1.0 / rate) if rate > 0 else 1.0
        self.limit = max(1, math.floor(rate * span + 1e-9)) if rate > 0 else 0
        self.window = span * (1 + margin)
        self._sent: deque[float] = deque()

    def wait_time(self) -> float:
        """Seconds until one more send fits (0 when it does)."""
        if self.rate <= 0:
            return 0.0
        now = self._now()
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        if len(self._sent) < self.limit:
            return 0.0
        return max(0.0, self._sent[0] + self.window - now)

    def take(self) -> None:
        if self.rate > 0:
            self._sent.append(self._now())

    @property
    def idle(self) -> bool:
        """Nothing in the window: forgetting it changes nothing."""
        return self.wait_time() == 0.0 and not self._sent


async def ready(window: RateWindow) -> None:
    """Wait until one more send fits (without taking the slot)."""
    while (wait := window.wait_time()) > 0:
        await asyncio.sleep(wait)


class RateLimiter:
    """The windows of every platform and chat the worker sends to."""

    def __init__(self, *, max_chats: int = 10_000) -> None:
        self._platforms: dict[str, RateWindow] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._chats: dict[tuple[str, str], RateWindow] = {}
        self._max_chats = max_chats

    def platform(self, platform: str, rate: float) -> RateWindow:
        window = self._platforms.get(platform)
        if window is None:
            window = self._platforms[platform] = RateWindow(rate)
        return window

    def chat(self, platform: str, conversation: str, rate: float) -> RateWindow:
        key = (platform, conversation)
        window = self._chats.get(key)
        if window is None:
            if len(self._chats) >= self._max_chats:
                self._chats = {k: w for k, w in self._chats.items() if not w.idle}
            window = self._chats[key] = RateWindow(rate)
        return window

    async def acquire(self, platform: str, conversation: str, *, rate: float,
                      rate_per_chat: float) -> None:
        """A slot in the chat's window and the platform's. Waiters for the platform queue up
        behind one lock (first come, first served, and no herd of sleepers re-polling); a chat
        waits for its own slot outside that lock, so one slow chat never holds up the rest."""
        chat = self.chat(platform, conversation, rate_per_chat)
        app = self.platform(platform, rate)
        lock = self._locks.setdefault(platform, asyncio.Lock())
        while True:
            await ready(chat)
            async with lock:
                await ready(app)
                if chat.wait_time() <= 0:
                    chat.take()
                    app.take()
                    return
