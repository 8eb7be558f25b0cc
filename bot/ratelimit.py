"""Token buckets for outbound sends (DESIGN rule 5): one per platform app, one per chat.

Real monotonic time, never the workflow clock: a platform's rate limit counts real seconds even
when the demo's virtual clock stands still or jumps.
"""
from __future__ import annotations

import asyncio
import time
from typing import Callable


class TokenBucket:
    """`rate` tokens per second, bursts up to `capacity`; rate <= 0 means unlimited."""

    def __init__(self, rate: float, capacity: float | None = None,
                 *, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        self._now = now
        self._tokens = self.capacity
        self._stamp = now()

    def _refill(self) -> None:
        now = self._now()
        if self.rate > 0:
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self) -> float:
        """Seconds until one token is available (0 when it is)."""
        if self.rate <= 0:
            return 0.0
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def take(self) -> None:
        if self.rate > 0:
            self._tokens -= 1

    @property
    def idle(self) -> bool:
        """Full: forgetting it changes nothing."""
        self._refill()
        return self._tokens >= self.capacity


async def acquire(*buckets: TokenBucket) -> None:
    """Wait until every bucket has a token, then take one from each (atomic on the loop)."""
    while True:
        wait = max((b.wait_time() for b in buckets), default=0.0)
        if wait <= 0:
            for bucket in buckets:
                bucket.take()
            return
        await asyncio.sleep(wait)


class RateLimiter:
    """The buckets of every platform and chat the worker sends to."""

    def __init__(self, *, max_chats: int = 10_000) -> None:
        self._platforms: dict[str, TokenBucket] = {}
        self._chats: dict[tuple[str, str], TokenBucket] = {}
        self._max_chats = max_chats

    def platform(self, platform: str, rate: float) -> TokenBucket:
        bucket = self._platforms.get(platform)
        if bucket is None:
            bucket = self._platforms[platform] = TokenBucket(rate)
        return bucket

    def chat(self, platform: str, conversation: str, rate: float) -> TokenBucket:
        key = (platform, conversation)
        bucket = self._chats.get(key)
        if bucket is None:
            if len(self._chats) >= self._max_chats:
                self._chats = {k: b for k, b in self._chats.items() if not b.idle}
            bucket = self._chats[key] = TokenBucket(rate)
        return bucket

    async def acquire(self, platform: str, conversation: str, *, rate: float,
                      rate_per_chat: float) -> None:
        await acquire(self.platform(platform, rate),
                      self.chat(platform, conversation, rate_per_chat))
