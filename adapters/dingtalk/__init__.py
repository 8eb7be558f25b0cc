"""DingTalk (钉钉): Stream mode through the official `dingtalk-stream` SDK (its own thread) or
the HTTP outgoing robot, interactive cards from one generic template, OpenAPI over httpx.

Importing this package imports no SDK: the registry calls `load_settings()` and, only when DingTalk
is configured, `build()`.
"""
from __future__ import annotations

from typing import Any


def load_settings() -> Any:
    from adapters.dingtalk.settings import DingTalkSettings

    return DingTalkSettings()


def build(settings: Any, context: Any) -> Any:
    from adapters.dingtalk.adapter import DingTalkAdapter

    return DingTalkAdapter(settings=settings, core=context.core, db=context.db, clock=context.clock)
