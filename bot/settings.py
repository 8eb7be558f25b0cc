"""Every setting, from the environment or `.env` (each one is in `.env.example` with a comment)."""
from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///collab-bot.db"
    # PostgreSQL: give up connecting (and drop a partitioned connection) after this long; the
    # server cancels any statement running longer than the statement timeout
    database_connect_timeout_seconds: float = 3.0
    database_statement_timeout_seconds: float = 30.0
    # PostgreSQL: an inbound event whose database work is not done within this long is answered
    # "unavailable, try again" (nothing committed) instead of missing the platform's ack deadline
    database_event_timeout_seconds: float = 2.5
    # PostgreSQL: connections each process keeps open; sized to the events it serves at once —
    # past it a connection is opened and closed per event (issue 15: 64–113 per 8 s)
    database_pool_size: int = 20
    # `collab-bot serve` processes sharing the port (PostgreSQL only): each runs the adapters,
    # the scheduler and the delivery worker, which are replica-safe
    workers: int = 1
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    archive_dir: Path | None = Path("archives")  # R22 archive files (None: database only)
    org_file: Path | None = None  # imported at start-up when set
    local_platform: bool = False  # serve the embedded local platform's API (always on in the demo)
    local_workspace: str = "demo"
    virtual_clock: bool = False  # demo/tests: time moves only through POST /local/clock
    virtual_clock_start: str = ""  # ISO datetime with offset; empty → now
    board_base_url: str = ""  # where people open /board; links are <base>/board?t=…
    board_secret: str = ""  # signs personal board links (empty: none are issued)
    board_link_hours: float = 24.0  # a board link's lifetime
