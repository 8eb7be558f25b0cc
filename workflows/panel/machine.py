"""The rules a request may choose for its acceptance (R35), and the verdict each gives once
every collaborating department has voted — pure."""
from __future__ import annotations

from enum import StrEnum


class PanelRule(StrEnum):
    UNANIMOUS = "unanimous"  # every department passes → pass; any fail → fail (rework)
    INITIATOR_DECIDES = "initiator_decides"  # the initiating head decides after seeing the votes


def verdict(rule: str, votes: dict[int, str], panel: list[int]) -> str | None:
    """`pass` / `fail` when the rule decides by itself, None while votes are missing or when the
    initiating head decides."""
    if set(panel) - set(votes) or rule != PanelRule.UNANIMOUS:
        return None
    return "pass" if all(v == "pass" for v in votes.values()) else "fail"
