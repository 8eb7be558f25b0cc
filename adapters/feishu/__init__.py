"""Feishu / Lark adapter: `FeishuAdapter` (adapter.py) built from `FeishuSettings` (settings.py).

Nothing here imports lark-oapi; only the long connection (ws.py) does, in its own thread.
"""
