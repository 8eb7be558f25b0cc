"""A state machine per entity (DESIGN "one package per domain"): states are a `StrEnum` (so rows
keep their plain strings), transitions a pure table, and `next()` the one guard every command,
click and timer passes before it changes a state."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Iterable, Mapping, TypeVar

S = TypeVar("S", bound=StrEnum)


class InvalidTransition(ValueError):
    """`action` is not allowed while the entity is in `state` — answered, never a crash."""

    def __init__(self, entity: str, state: str, action: str) -> None:
        super().__init__(f"{entity}: {action} not allowed in state {state}")
        self.entity, self.state, self.action = entity, str(state), action


@dataclass(frozen=True)
class Machine(Generic[S]):
    entity: str  # "request", "task", "issue" … — names the i18n state words (`state.*`, `issue_state.*`)
    states: type[S]
    transitions: Mapping[tuple[S, str], S]

    def can(self, state: str, action: str) -> bool:
        return (self.states(state), action) in self.transitions

    def next(self, state: str, action: str) -> S:
        try:
            return self.transitions[(self.states(state), action)]
        except (KeyError, ValueError):
            raise InvalidTransition(self.entity, state, action) from None

    def actions(self, state: str) -> set[str]:
        current = self.states(state)
        return {action for (s, action) in self.transitions if s == current}


def from_every(states: Iterable[S], action: str, target: S) -> dict[tuple[S, str], S]:
    """The same action from several states (e.g. cancel from anything not yet closed)."""
    return {(s, action): target for s in states}
