"""How the core's semantic ids travel through Slack and back (pure; render and inbound both
use it, so the codec points one way): action ids made unique per block (`task.confirm|2`),
values as compact JSON, two reserved ids of the adapter's own."""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

FORM_SUBMIT = "_slack.submit"  # reserved: the submit button of a form shown inside a message
OPEN_FORM = "_slack.open"  # reserved: re-run a command from a button so a modal can open


def encode_action_ids(ids: list[str]) -> list[str]:
    """Slack wants action ids unique per block: repeated ids (two `task.confirm` buttons, one per
    task) get `|n`; an id that itself contains `|` always does, so decoding is unambiguous."""
    counts = Counter(ids)
    seen: Counter[str] = Counter()
    out = []
    for action_id in ids:
        seen[action_id] += 1
        repeated = counts[action_id] > 1 or "|" in action_id
        out.append(f"{action_id}|{seen[action_id]}" if repeated else action_id)
    return out


def decode_action_id(action_id: str) -> str:
    """The core's semantic id back from an encoded Slack action id."""
    return action_id.rsplit("|", 1)[0] if "|" in action_id else action_id


def encode_value(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def decode_value(raw: str | None) -> dict[str, Any]:
    """A button value back into the core's dict; anything else (a foreign button) → {}."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
