"""Delivery and acceptance (R19, R20): each delivery round gets one verdict — pass, fail or
needs rework — and then is decided; R21's completion is the request's own `complete` step."""
from __future__ import annotations

from enum import StrEnum

from workflows.kernel.machine import Machine


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    REWORK = "rework"


class DeliveryState(StrEnum):
    SUBMITTED = "submitted"  # waiting for the initiating department's verdict
    DECIDED = "decided"


DELIVERY = Machine("delivery", DeliveryState, {
    (DeliveryState.SUBMITTED, verdict.value): DeliveryState.DECIDED for verdict in Verdict
})
