"""R17 × R34: a plan change that moves scope — items added to what the collaboration covers,
items moved out of it. Pure: the request's two scope texts are read as lists of items."""
from __future__ import annotations

from workflows.grammar.vocabulary import split_list


def _without(items: list[str], item: str) -> list[str]:
    return [x for x in items if x.casefold() != item.casefold()]


def move_scope(scope_in: str, scope_out: str, *, add: list[str], drop: list[str],
               sep: str) -> tuple[str, str]:
    """(new in-scope text, new out-of-scope text): an added item leaves the out-of-scope list
    and joins the in-scope one; a dropped item the other way round; lists keep their order."""
    inside, outside = split_list(scope_in), split_list(scope_out)
    for item in add:
        outside = _without(outside, item)
        inside = _without(inside, item) + [item]
    for item in drop:
        inside = _without(inside, item)
        outside = _without(outside, item) + [item]
    return sep.join(inside), sep.join(outside)


def clash(add: list[str], drop: list[str]) -> str | None:
    """An item both added and moved out in one change — the change cannot mean both."""
    dropped = {d.casefold() for d in drop}
    return next((a for a in add if a.casefold() in dropped), None)
