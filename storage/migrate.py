"""`collab-bot db upgrade`: Alembic, configured from code so no alembic.ini has to be found."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.db import sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking (Alembic is synchronous): async callers use `asyncio.to_thread(upgrade, url)`."""
    command.upgrade(alembic_config(url), revision)
