"""R22 the archive document: one readable Markdown document plus every table of the request as
data (JSON; CSV on export), named by convention, kept at least 2 years. R23 lessons are in it."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlmodel import SQLModel, select

from storage.tables import (Acceptance, ArchiveDocument, AuditEvent, CollaborationRequest, Confirmation,
                            Delivery, Dispute, Feedback, Issue, PlanChange, ProgressPost, Risk, Task,
                            ActionItem, Meeting, Memo, ResourceLine, Vote,
                            WeeklyReport)
from workflows.changes.cards import plan_text
from workflows.grammar.commands import VERB_ALIASES
from workflows.kernel.context import Ctx
from workflows.kernel.lookups import tasks_of

TABLES: list[tuple[str, type[SQLModel]]] = [
    ("tasks", Task), ("confirmations", Confirmation), ("progress_posts", ProgressPost),
    ("weekly_reports", WeeklyReport), ("issues", Issue), ("plan_changes", PlanChange),
    ("feedback", Feedback), ("disputes", Dispute), ("deliveries", Delivery), ("acceptances", Acceptance),
    ("risks", Risk), ("meetings", Meeting), ("action_items", ActionItem), ("memo", Memo),
    ("resources", ResourceLine), ("votes", Vote),
    ("audit_trail", AuditEvent)]


def archive_name(request: CollaborationRequest, dept_name: str, created_local: date) -> str:
    """`2026年Q3新产品X推广协作计划_市场部` (SPEC R22's example)."""
    quarter = (created_local.month - 1) // 3 + 1
    return f"{created_local.year}年Q{quarter}{request.title}协作计划_{dept_name}"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _row(row: SQLModel) -> dict[str, Any]:
    return {k: _plain(v) for k, v in row.model_dump().items()}


async def collect(ctx: Ctx, request: CollaborationRequest) -> dict[str, Any]:
    data: dict[str, Any] = {"request": _row(request)}
    task_ids = [t.id for t in await tasks_of(ctx, request.id)]
    for name, model in TABLES:
        if model is ProgressPost:
            rows = await ctx.uow.all(select(model).where(model.task_id.in_(task_ids or [-1])))  # type: ignore[attr-defined]
        else:
            rows = await ctx.uow.all(select(model).where(model.request_id == request.id)  # type: ignore[attr-defined]
                                     .order_by(model.id))  # type: ignore[attr-defined]
        data[name] = [_row(r) for r in rows]
    return data


def to_csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _local(ctx: Ctx, value: Any) -> str:
    """A stored time (UTC, ISO) as people of this workspace read it; dates stay dates."""
    if not value:
        return "—"
    text = str(value)
    if "T" not in text:
        return text
    when = datetime.fromisoformat(text)
    return ctx.local_text(when if when.tzinfo else when.replace(tzinfo=timezone.utc))


def _words(ctx: Ctx, prefix: str, value: Any) -> str:
    """A stored code (`high`, `rejected`) in the workspace's words; an unknown one as it is."""
    key = f"{prefix}.{value}"
    text = ctx.t(key)
    return str(value) if text == key else text


def _tried(ctx: Ctx, tried: str) -> str:
    """What someone tried, as they would name it: a button's or form's words, or the command as
    typed in the workspace's language (`/协作 归档`, `/collab archive`)."""
    if tried.startswith("/"):
        verb = tried[1:]
        if ctx.workspace.locale.lower().startswith("zh") and VERB_ALIASES.get(verb):
            return f"/协作 {VERB_ALIASES[verb][0]}"
        return f"/collab {verb}" if verb else "/collab"
    return _words(ctx, "audit", tried)


def audit_line(ctx: Ctx, x: dict[str, Any]) -> str:
    """One row of the 操作记录: when, who, what — and for a refused click (R24/R25) what was tried
    and why it was refused, in words."""
    who = ctx.person_name(x["actor_id"]) if x["actor_id"] else ctx.t("archive.bot")
    detail = x["detail"] or {}
    if x["action"] == "click.refused":
        what = _tried(ctx, str(detail.get("tried") or x["subject"] or ""))
        why = ctx.t(detail["reason"], **detail.get("params", {})) if detail.get("reason") else "—"
        return f"{_local(ctx, x['at'])} · {who} · " + ctx.t("archive.refused", what=what, why=why)
    reason = f" ({detail['reason']})" if detail.get("reason") else ""
    return f"{_local(ctx, x['at'])} · {who} · {_words(ctx, 'audit', x['action'])}{reason}"


def render_markdown(ctx: Ctx, name: str, data: dict[str, Any]) -> str:
    """The document a person opens (R22): the request form, then every table in order — local
    times and the workspace's words, never raw codes or Python values."""
    t, r = ctx.t, data["request"]
    people = lambda pid: ctx.person_name(pid)  # noqa: E731
    at = lambda value: _local(ctx, value)  # noqa: E731
    lines = [f"# {name}", "", f"## {t('archive.request')}", "",
             f"- {t('field.number')}: {r['number']}", f"- {t('field.title')}: {r['title']}",
             f"- {t('field.state')}: {t('state.' + r['state'])}",
             f"- {t('field.initiator')}: {ctx.dept_name(r['initiating_department_id'])} · {people(r['initiator_id'])}",
             f"- {t('field.collaborating')}: {ctx.join(ctx.dept_name(d) for d in r['collaborating'])}",
             f"- {t('field.goal')}: {r['goal']}", f"- {t('field.standard')}: {r['standard']}",
             f"- {t('field.in_scope')}: {r.get('scope_in') or '—'}", f"- {t('field.out_scope')}: {r.get('scope_out') or '—'}",
             f"- {t('field.due')}: {r['due_date']}",
             f"- {t('field.received')}: " + ctx.join_items(f"{ctx.dept_name(int(d))} {people(x['person'])} {at(x['at'])}"
                                                     for d, x in r.get("received", {}).items())]
    sections = [
        ("archive.tasks", data["tasks"], lambda x: f"{x['seq']}. {x['title']} · R {ctx.dept_name(x['lead_department_id'])} · "
                                                  f"{people(x['owner_id'])} · {x['due_date']} · {t('status.' + x['status'])}"),
        ("archive.confirmations", data["confirmations"], lambda x: f"{_words(ctx, 'confirm_kind', x['kind'])} · {ctx.dept_name(x['department_id'])} · "
                                                                  f"{people(x['person_id'])} · {at(x['confirmed_at'])}"),
        ("archive.progress", data["progress_posts"], lambda x: f"{x['work_date']} · {people(x['person_id'])}: {x['today']}"
                                                              f" / {x['tomorrow']}"),
        ("archive.weekly", data["weekly_reports"], lambda x: f"{x['week_start']}: {'; '.join(x['done'])}"),
        ("archive.issues", data["issues"], lambda x: f"#{x['seq']} {t('risk.' + x['severity'])} · {x['description']} · "
                                                   f"{t('issue_state.' + x['state'])} · {x['solution']}"),
        ("archive.risks", data["risks"], lambda x: f"R{x['seq']} {x['description']} · {ctx.dept_name(x['department_id'])}"
                                                 f" · {t('risk.' + x['probability'])}/{t('risk.' + x['impact'])} · "
                                                 f"{people(x['owner_id'])} · {x['trigger']} · {x['countermeasure']} · "
                                                 f"{t('risk_state.' + x['state'])}"),
        ("archive.memo", data["memo"], lambda x: f"{t('field.clause')}: {x['clause']} · {at(x['issued_at'])} → "
                                               f"{at(x['signed_at'])}"),
        ("archive.resources", data["resources"], lambda x: f"{ctx.dept_name(x['department_id'])} · {_words(ctx, 'resource_kind', x['kind'])} · "
                                                         f"{x['people']} · {x['days']} · {x['budget']} · {x['tools']}"),
        ("archive.meetings", data["meetings"], lambda x: f"{t('meeting_kind.' + x['kind'])} {at(x['starts_at'])} · "
                                                       f"{x['place']} · " + "; ".join(x["decisions"])),
        ("archive.action_items", data["action_items"], lambda x: f"A{x['seq']} {x['title']} · {people(x['owner_id'])}"
                                                               f" · {x['due_date']} · {t('item_state.' + x['state'])}"),
        ("archive.changes", data["plan_changes"], lambda x: f"#{x['seq']} {x['reason']} · {plan_text(ctx, x['old_plan'])} → "
                                                          f"{plan_text(ctx, x['proposal'])} · {t('change_state.' + x['state'])}"),
        ("archive.feedback", data["feedback"], lambda x: f"#{x['seq']} {people(x['author_id'])}: {x['text']} → {x['answer']}"),
        ("archive.disputes", data["disputes"], lambda x: f"#{x['seq']} {x['text']} · {t('dispute_state.' + x['state'])} · {x['decision']}"),
        ("archive.deliveries", data["deliveries"], lambda x: f"{t('field.round')} {x['round']}: {x['deliverables']} · "
                                                           + "; ".join(f"{'✅' if c['met'] else '❌'} {c['standard']}"
                                                                       for c in x['self_check'])),
        ("archive.acceptances", data["acceptances"], lambda x: f"{t('verdict.' + x['verdict'])} · {people(x['decided_by'])}"
                                                             f" · {at(x['decided_at'])} · {x['notes']}"),
        ("archive.votes", data["votes"], lambda x: f"{ctx.dept_name(x['department_id'])} · {t('verdict.' + x['verdict'])}"
                                                 f" · {people(x['person_id'])} · {x['reason']} · {at(x['voted_at'])}"),
        ("archive.lessons", r["lessons"], lambda x: f"{x['who']} ({x['at']}): {x['text']}"),
        ("archive.notes", data.get("notes", []), lambda x: f"{x['who']} ({x['at']}): {x['text']}"),
        ("archive.audit", data["audit_trail"], lambda x: audit_line(ctx, x)),
    ]
    for key, rows, fmt in sections:
        lines += ["", f"## {t(key)}", ""] + ([f"- {fmt(x)}" for x in rows] or ["—"])
    return "\n".join(lines) + "\n"


async def build(ctx: Ctx, request: CollaborationRequest) -> ArchiveDocument:
    created = ctx.calendar.local_date(request.created_at)
    name = archive_name(request, ctx.dept_name(request.initiating_department_id), created)
    data = await collect(ctx, request)
    doc = await ctx.uow.first(select(ArchiveDocument).where(ArchiveDocument.request_id == request.id))
    data["notes"] = list(((doc.data if doc else None) or {}).get("notes", []))  # the lead side's notes stay
    if doc is None:
        doc = ArchiveDocument(request_id=request.id, name=name, markdown="", created_at=ctx.now,
                              updated_at=ctx.now, retain_until=ctx.today.replace(
                                  year=ctx.today.year + ctx.policy.archive_retention_years))
    doc.markdown, doc.data, doc.updated_at = render_markdown(ctx, name, data), data, ctx.now
    ctx.uow.add(doc)
    ctx.exports.append(doc)
    return doc


def write_files(doc: ArchiveDocument, directory: Path) -> Path:
    """`<name>/<name>.md`, `<name>.json` and one CSV per table (R22: one file a person opens,
    plus machine-readable data)."""
    folder = directory / doc.name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{doc.name}.md").write_text(doc.markdown, encoding="utf-8")
    (folder / f"{doc.name}.json").write_text(json.dumps(doc.data, ensure_ascii=False, indent=2), encoding="utf-8")
    for table, rows in doc.data.items():
        if isinstance(rows, list):
            (folder / f"{table}.csv").write_text(to_csv(rows), encoding="utf-8")
    return folder


