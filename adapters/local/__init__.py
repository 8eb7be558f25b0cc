"""The embedded local platform (JSON over HTTP): the demo's UI and the end-to-end harness."""
from __future__ import annotations

from typing import Any


def load_settings() -> Any:
    from adapters.local.settings import LocalSettings

    return LocalSettings()


def complete_org(spec: Any) -> Any:
    """An org file of a local workspace, with the user ids this platform derives (`org.py`)."""
    from adapters.local.org import complete_org as complete

    return complete(spec)


def build(settings: Any, context: Any) -> Any:
    from adapters.local.adapter import LocalAdapter

    return LocalAdapter(core=context.core, clock=context.clock, db=context.db, workspace=settings.workspace,
                        locale=settings.locale, on_clock_change=context.on_clock_change)
