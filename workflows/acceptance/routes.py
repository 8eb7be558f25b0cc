"""What the acceptance domain answers: `deliver`/`交付` (or its form), `accept`/`验收`, the
verdict and completion buttons (R19–R21), and the rework deadline."""
from __future__ import annotations

from typing import Any, Mapping

from workflows.acceptance import completion, service
from workflows.acceptance.machine import Verdict
from workflows.errors import UserError
from workflows.events import Reply
from workflows.grammar import Command
from workflows.grammar.vocabulary import VERDICTS
from workflows.kernel.context import Ctx
from workflows.kernel.routes import BadValue, Routes, Value


async def _deliver(ctx: Ctx, c: Command) -> Reply:
    return await service.deliver(ctx, number=c.ref, checks=list(c.fields.get("checks") or []),
                                 deliverables=str(c.fields.get("deliverables") or c.text or ""))


async def _deliver_form(ctx: Ctx, fields: Mapping[str, Any], value: Value) -> Reply:
    met = fields.get("met") or []
    return await service.deliver(ctx, request_id=value.id("r"), deliverables=str(fields.get("deliverables") or ""),
                                 met={str(m) for m in (met if isinstance(met, (list, tuple)) else [met])})


async def _accept(ctx: Ctx, c: Command) -> Reply:
    verdict = next((w for w in c.words if w in VERDICTS), None)
    if verdict is None:
        raise UserError("error.verdict_missing", usage="accept")
    return await service.accept(ctx, verdict=Verdict(verdict), number=c.ref,
                                notes=str(c.fields.get("notes") or c.text or "").strip() or None,
                                rework_due=str(c.fields.get("rework_due") or ""))


def _verdict(verdict: Verdict):
    return lambda ctx, v: service.accept(ctx, verdict=verdict, delivery_id=v.id("dv"))


async def _verdict_form(ctx: Ctx, fields: Mapping[str, Any], value: Value) -> Reply:
    verdict = value.text("verdict")
    if verdict not in (Verdict.FAIL, Verdict.REWORK):
        raise BadValue("acceptance.verdict")
    return await service.accept(ctx, verdict=Verdict(verdict), delivery_id=value.id("dv"),
                                notes=str(fields.get("reason") or ""), rework_due=str(fields.get("rework_due") or ""))


ROUTES = Routes(
    commands={"deliver": _deliver, "accept": _accept},
    actions={
        "acceptance.pass": _verdict(Verdict.PASS),
        "acceptance.fail": _verdict(Verdict.FAIL),
        "acceptance.rework": _verdict(Verdict.REWORK),
        "completion.confirm": lambda ctx, v: completion.confirm_completion(ctx, request_id=v.id("r"),
                                                                          dept_id=v.id("d")),
    },
    forms={"request.deliver": _deliver_form, "acceptance.verdict": _verdict_form},
    timers={service.REWORK_DUE: completion.rework_overdue},
)
