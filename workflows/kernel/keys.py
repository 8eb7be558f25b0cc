"""Card identity: the key that ties a button to the card it updates (a click answers its own
card inline, every other card showing the change gets an update row). One function per card
kind, so a service and a view can never spell the same card two ways."""
from __future__ import annotations

from typing import NewType

CardKey = NewType("CardKey", str)


def request_card(request_id: int) -> CardKey:
    """The request card (R1) that follows a request through its life."""
    return CardKey(f"request:{request_id}")


def raci_card(request_id: int) -> CardKey:
    """The RACI split and its 签字确认 buttons (R5, R6)."""
    return CardKey(f"raci:{request_id}")


def assign_prompt(request_id: int) -> CardKey:
    """"Split the work now" after approval (R4 → R5)."""
    return CardKey(f"assign:{request_id}")


def risk_check(task_id: int) -> CardKey:
    """The 2-working-day question to a task owner (R10)."""
    return CardKey(f"riskcheck:{task_id}")


def issue_card(issue_id: int) -> CardKey:
    """The issue in the group (R12)."""
    return CardKey(f"issue:{issue_id}")


def escalation_ping(issue_id: int, step: str) -> CardKey:
    """The private urgent ping of one escalation step (R14): each step's card is its own, so
    acknowledging updates every ping that was sent."""
    return CardKey(f"issuedm:{issue_id}:{step}")


def change_card(change_id: int) -> CardKey:
    return CardKey(f"change:{change_id}")  # R17


def delivery_card(delivery_id: int) -> CardKey:
    return CardKey(f"delivery:{delivery_id}")  # R19, R20


def completion_card(request_id: int) -> CardKey:
    return CardKey(f"completion:{request_id}")  # R21


def dispute_card(dispute_id: int) -> CardKey:
    return CardKey(f"dispute:{dispute_id}")  # R15


def feedback_card(feedback_id: int) -> CardKey:
    return CardKey(f"feedback:{feedback_id}")  # R16, R18


def task_subject(task_id: int) -> str:
    """The timer subject of a task's deadlines (R9–R11) — not a card."""
    return f"task:{task_id}"


def receipt_card(request_id: int) -> CardKey:
    """确认接收 by each collaborating department (R28)."""
    return CardKey(f"receipt:{request_id}")


def risk_card(risk_id: int) -> CardKey:
    return CardKey(f"risk:{risk_id}")  # R32


def action_item_card(item_id: int) -> CardKey:
    """An action item (R31): its card, and the subject of its reminders."""
    return CardKey(f"item:{item_id}")


def meeting_card(meeting_id: int) -> CardKey:
    return CardKey(f"meeting:{meeting_id}")  # R29


def memo_card(request_id: int) -> CardKey:
    return CardKey(f"memo:{request_id}")  # R30


def resources_card(request_id: int) -> CardKey:
    return CardKey(f"resources:{request_id}")  # R33 the roll-up


def resources_approval(request_id: int) -> CardKey:
    return CardKey(f"resapproval:{request_id}")  # R33 sent up to the VP


def vote_card(delivery_id: int) -> CardKey:
    return CardKey(f"vote:{delivery_id}")  # R35 the acceptance panel's votes
