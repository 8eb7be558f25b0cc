"""Feishu / Lark adapter: `FeishuAdapter` (adapter.py) built from `FeishuSettings` (settings.py).

Nothing here imports lark-oapi; only the long connection (ws.py) does, in its own thread.
"""
from __future__ import annotations

from typing import Any


def load_settings() -> Any:
    from adapters.feishu.settings import FeishuSettings

    return FeishuSettings()


def build(settings: Any, context: Any) -> Any:
    from adapters.feishu.adapter import FeishuAdapter

    return FeishuAdapter(settings=settings, core=context.core)
