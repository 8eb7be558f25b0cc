"""A fake platform adapter for delivery tests and benchmarks: scripted failures per chat.

Outcomes, consumed per call for a conversation: "ok", "429" (retry_after), "500", "timeout"
(hangs until the worker gives up), "reset" (connection error), "fatal" (non-retryable),
"slow" (answers after `slow_seconds`). `down` (an outcome) fails every call while it is set.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Iterable

from adapters.base import DeliveryError, DeliveryResult, Outbound


@dataclass
class Received:
    outbound: Outbound
    platform_message_id: str
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.outbound.payload.get("text", ""))


class FakePlatform:
    platform = "fake"

    def __init__(self, *, rate_per_second: float = 0, rate_per_chat: float = 0,
                 retry_after: float = 2.0, enforce_rate: float = 0,
                 enforce_per_chat: float = 0) -> None:
        self.rate_per_second = rate_per_second
        self.rate_per_chat = rate_per_chat
        self.retry_after = retry_after
        # > 0: answer 429 when sends exceed it in any sliding 1 s window (app / one chat)
        self.enforce_rate = enforce_rate
        self.enforce_per_chat = enforce_per_chat
        self.down: str | None = None
        self.slow_seconds = 1.0
        self.received: list[Received] = []
        self.calls = 0
        self.rejected = 0
        self._scripts: dict[str, deque[str]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._window: deque[float] = deque()
        self._chat_windows: dict[str, deque[float]] = defaultdict(deque)

    def script(self, conversation: str, outcomes: Iterable[str]) -> None:
        self._scripts[conversation].extend(outcomes)

    def routes(self) -> list:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def by_chat(self) -> dict[str, list[str]]:
        chats: dict[str, list[str]] = defaultdict(list)
        for item in self.received:
            chats[item.outbound.conversation].append(item.text)
        return dict(chats)

    async def deliver(self, message: Outbound) -> DeliveryResult:
        self.calls += 1
        script = self._scripts[message.conversation]
        outcome = self.down or (script.popleft() if script else "ok")
        if outcome == "ok" and self._over_rate(message.conversation):
            outcome = "429"
        if outcome == "429":
            self.rejected += 1
            raise DeliveryError("429 Too Many Requests", retryable=True,
                                retry_after=self.retry_after)
        if outcome == "500":
            raise DeliveryError("500 Internal Server Error", retryable=True)
        if outcome == "timeout":
            await asyncio.sleep(3600)
        if outcome == "slow":
            await asyncio.sleep(self.slow_seconds)
        if outcome == "refused":
            raise ConnectionRefusedError("connection refused")
        if outcome == "reset":
            raise ConnectionResetError("connection reset by peer")
        if outcome == "fatal":
            raise DeliveryError("400 channel_not_found", retryable=False)
        message_id = (message.platform_message_id if message.kind == "update"
                      else f"m{next(self._ids)}")
        self.received.append(Received(message, message_id))
        return DeliveryResult(platform_message_id=message_id)

    def _over_rate(self, conversation: str) -> bool:
        now = time.monotonic()
        checks = [(self._window, self.enforce_rate),
                  (self._chat_windows[conversation], self.enforce_per_chat)]
        for window, limit in checks:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if limit and len(window) >= limit:
                return True
        for window, _limit in checks:
            window.append(now)
        return False
