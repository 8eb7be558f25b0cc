"""R34: is the goal SMART enough — measurable and dated? A pure check over the words the
vocabulary names; a goal without a number, a date or a standard gets a soft warning (like R3's
vague words), never a refusal."""
from __future__ import annotations

from workflows.grammar.vocabulary import MEASURABLE_MARKS


def measurable(goal: str) -> bool:
    text = goal.casefold()
    return any(c.isdigit() for c in text) or any(mark in text for mark in MEASURABLE_MARKS)
