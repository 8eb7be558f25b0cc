"""The core's `Reply` → one neutral inline answer, derived once for every platform.

Each platform renders the same decision (adapters/<platform>/render or reply): what the actor is
told privately, whether the clicked card is replaced, which card is shown privately, which form
opens, which inputs are refused. The rules live here, not in three copies:
- a refused click (R25) answers privately and never touches the card everyone sees;
- after a click the reply's card is the clicked card's new state; after a command it is a card
  only the actor sees (board, show);
- a duplicate delivery changes nothing, but the actor still sees the current answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from workflows.cards import Card
from workflows.events import Reply


@dataclass(frozen=True)
class InlineAnswer:
    ok: bool = True
    text: str = ""  # private text to the actor
    replace_card: Card | None = None  # the clicked card's new state (everyone sees it)
    private_card: Card | None = None  # a card for the actor only
    form: Card | None = None  # a form to open
    errors: dict[str, str] = field(default_factory=dict)  # input name → error (form submit)
    refused: bool = False
    duplicate: bool = False

    @property
    def card(self) -> Card | None:
        """The one card this answer shows: the clicked card's new state, or the private one."""
        return self.replace_card or self.private_card

    @property
    def empty(self) -> bool:
        return not (self.text or self.replace_card or self.private_card or self.form or self.errors)


def inline_answer(reply: Reply | InlineAnswer, *, clicked: bool) -> InlineAnswer:
    """`clicked`: the event was a button click or form submit on a card message."""
    if isinstance(reply, InlineAnswer):
        return reply
    replace = reply.card if clicked and not reply.refused else None
    private = reply.card if not clicked and not reply.refused else None
    return InlineAnswer(ok=reply.ok, text=reply.text, replace_card=replace, private_card=private,
                        form=reply.form, errors=dict(reply.errors), refused=reply.refused,
                        duplicate=reply.duplicate)
