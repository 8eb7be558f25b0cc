"""Which platforms exist, and building the configured ones from their settings.

A platform registers here by module name; its package `__init__` exposes, without importing its
SDK (lark-oapi alone costs ~4.5 s):
- `load_settings()` → its settings object from the environment (`.configured` says if it is on),
- `build(settings, context)` → the adapter (imports the SDK then);
- optionally `complete_org(spec)` → an org file of its workspace with what the platform derives
  (the local platform's user ids are the org's keys), applied before the file is checked.
Adding a platform is one line here plus its package; the composition root never changes.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from adapters.base import CoreApi, PlatformAdapter
from storage.db import Database
from workflows.clock import Clock

PLATFORMS: dict[str, str] = {
    "local": "adapters.local",
    "slack": "adapters.slack",
    "feishu": "adapters.feishu",
    "dingtalk": "adapters.dingtalk",
}


@dataclass(frozen=True)
class AdapterContext:
    """What every adapter may use besides its own settings."""

    core: CoreApi
    clock: Clock
    db: Database  # for platform-side state that must survive a restart (the local platform's chats)
    # the virtual clock moved (local platform): timers and the outbox should look again
    on_clock_change: Callable[[], Awaitable[None]] | None = None


def configured(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """name → settings of every platform switched on (`overrides` replaces a platform's
    settings read from the environment, e.g. the local platform from the app's own settings)."""
    found: dict[str, Any] = {}
    for name, module in PLATFORMS.items():
        settings = (overrides or {}).get(name)
        if settings is None:
            settings = importlib.import_module(module).load_settings()
        if settings.configured:
            found[name] = settings
    return found


def complete_org(spec: Any) -> Any:
    """The org file's spec as its workspace's platform completes it (unchanged for a platform
    that adds nothing); pass as `complete=` when reading an org file."""
    module = PLATFORMS.get(getattr(spec.workspace, "platform", ""))
    complete = getattr(importlib.import_module(module), "complete_org", None) if module else None
    return complete(spec) if complete else spec


def build_adapters(context: AdapterContext, *,
                   overrides: dict[str, Any] | None = None) -> dict[str, PlatformAdapter]:
    return {name: importlib.import_module(PLATFORMS[name]).build(settings, context)
            for name, settings in configured(overrides).items()}
