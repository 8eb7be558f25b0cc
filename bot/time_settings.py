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
    # the outbox worker (DESIGN rule 5)
    delivery_poll_seconds: float = Field(0.5, gt=0)
    delivery_coalesce_seconds: float = Field(0.05, ge=0)  # a burst of kicks → one claim
    delivery_batch_size: int = Field(64, ge=1)  # rows claimed / in flight at once
    delivery_max_attempts: int = Field(8, ge=1)
    delivery_base_backoff_seconds: float = Field(1.0, ge=0)
    delivery_max_backoff_seconds: float = Field(300.0, ge=0)
    delivery_timeout_seconds: float = Field(15.0, gt=0)
    delivery_lease_seconds: float = Field(300.0, gt=0)
