"""Neutral card → what the local platform shows: the card itself plus a plain-text rendering
(handy for people reading the JSON and for tests asserting what a user would read)."""
from __future__ import annotations

from typing import Any

from workflows.cards import Card


def card_text(card: Card) -> str:
    lines = [card.title]
    if card.mentions:
        lines.append(" ".join(f"@{m.name or m.user}" for m in card.mentions))
    if card.text:
        lines.append(card.text)
    lines += [f"{f.label}: {f.value}" for f in card.fields]
    if card.buttons:
        lines.append(" ".join(f"[{b.label}]" for b in card.buttons))
    if card.footer:
        lines.append(card.footer)
    return "\n".join(lines)


def card_json(card: Card) -> dict[str, Any]:
    """The card as the local API answers it (buttons keep action_id, value, label)."""
    return card.to_dict()
