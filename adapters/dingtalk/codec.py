"""How the core's ids travel through a DingTalk card and back (pure; render and inbound both use
it): button `i` of the generic template carries `btn{i}_action` / `btn{i}_value` parameters, and
its click sends the callback params `{"action": …, "value": compact JSON}`."""
from __future__ import annotations

import json
from typing import Any

ACTION, VALUE = "action", "value"


def encode_value(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def decode_params(params: dict[str, Any]) -> tuple[str, Any]:
    """(action id, value) from a callback's params; a template that sends its params loose
    (no `value`) gives them as the value. The value may be JSON text or already an object."""
    action = params.get(ACTION)
    value = params.get(VALUE)
    if value is None:
        value = {k: v for k, v in params.items() if k != ACTION}
    if isinstance(value, str):
        value = json.loads(value) if value else {}
    return (action if isinstance(action, str) else ""), value
