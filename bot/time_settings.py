"""Settings of the time machinery: timer sweep, cron ticks, outbox delivery (issue 3).

Kept apart from `bot/settings.py` so the scheduler and the delivery worker can be built and
tested on their own; the lead's settings may embed or mirror these. Every variable is documented
in `docs/env-time.example`.
"""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # the timer sweep (DESIGN rule 4): how often, how many timers per transaction
    timer_sweep_seconds: float = Field(1.0, gt=0)
    timer_batch_size: int = Field(50, ge=1)
    # a handler that raises is retried with back-off, then the timer is marked `failed`
    timer_max_attempts: int = Field(5, ge=1)
    timer_retry_base_seconds: float = Field(30.0, ge=0)
    # cron ticks (R7, R8, R13)
    tick_sweep_seconds: float = Field(15.0, gt=0)
    missed_tick_horizon: str = "same_working_day"  # or a duration: "2h", "90m", "0"
    # requests per transaction of a tick (issue 15): other writers get in between two chunks
    tick_chunk_size: int = Field(200, ge=1)
    tick_chunk_seconds: float = Field(0.1, gt=0)  # … fewer requests when a chunk takes longer
    # the outbox worker (DESIGN rule 5)
    delivery_poll_seconds: float = Field(0.5, gt=0)
    delivery_coalesce_seconds: float = Field(0.05, ge=0)  # a burst of kicks → one claim
    delivery_batch_size: int = Field(64, ge=1)  # chats claimed / in flight at once
    # a chat's due rows go as one run of up to this many, claimed and finished together; what
    # a run sent is put on record before it waits for a rate limit or after this long
    delivery_run_size: int = Field(32, ge=1)
    delivery_run_flush_seconds: float = Field(0.5, ge=0)
    # transient failures (connection errors, timeouts, 5xx, 429) are retried until sent or
    # expired: back-off doubling from base to max, drawn from [½, 1] of that (jitter)
    delivery_base_backoff_seconds: float = Field(1.0, ge=0)
    delivery_max_backoff_seconds: float = Field(60.0, ge=0)
    delivery_timeout_seconds: float = Field(15.0, gt=0)
    # a claimed row is leased for this long (real time), renewed every third of it while it is
    # being sent: a worker killed mid-send hands its rows over within about this long
    delivery_lease_seconds: float = Field(10.0, gt=0)
    # per platform: this many transient failures in a row open the circuit; while open, one
    # probe every DELIVERY_PROBE_SECONDS instead of a storm
    delivery_breaker_failures: int = Field(3, ge=1)
    delivery_probe_seconds: float = Field(5.0, gt=0)
    # stop(): how long sends in flight may finish before they are released
    delivery_stop_grace_seconds: float = Field(5.0, ge=0)
