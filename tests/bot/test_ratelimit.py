"""Outbound rate limits (DESIGN rule 5): never more than the platform's documented rate in any
window, whatever the platform's counting, and no throughput thrown away."""
from __future__ import annotations

import pytest

from bot.ratelimit import RateLimiter, RateWindow


class FakeTime:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def send_greedily(window: RateWindow, now: FakeTime, *, until: float,
                  stall_at: float | None = None) -> list[float]:
    sent: list[float] = []
    while now.t < until:
        if stall_at is not None and now.t >= stall_at:
            now.t += 0.7  # the event loop was busy
            stall_at = None
        wait = window.wait_time()
        if wait:
            now.t += wait
            continue
        window.take()
        sent.append(now.t)
    return sent


@pytest.mark.parametrize("rate", [1, 5, 50])
def test_no_one_second_window_ever_holds_more_than_the_rate(rate):
    now = FakeTime()
    sent = send_greedily(RateWindow(rate, now=now), now, until=104, stall_at=101.3)
    for i, t in enumerate(sent):
        assert sum(1 for s in sent[i:] if s < t + 1.0) <= rate


def test_time_lost_to_a_stall_is_made_up_so_throughput_stays_near_the_limit():
    now = FakeTime()
    sent = send_greedily(RateWindow(20, now=now), now, until=110, stall_at=103)
    assert len(sent) >= 20 * 10 * 0.97


def test_slow_rates_allow_one_send_per_period():
    now = FakeTime()
    window = RateWindow(1 / 3, now=now)
    window.take()
    assert window.wait_time() == pytest.approx(3 * 1.02)


def test_zero_rate_is_unlimited_and_idle_chat_windows_are_forgotten():
    assert RateWindow(0).wait_time() == 0
    limiter = RateLimiter(max_chats=2)
    for chat in ("a", "b", "c"):
        limiter.chat("slack", chat, 0)
    assert len(limiter._chats) <= 2
