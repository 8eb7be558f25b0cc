"""The Gantt chart of one request (R37): a row per task (lead department, owner, status, risk),
bars from start to due, milestones as diamonds, a line for today; 延期 bars red. Pure: detail in,
HTML out; positions are percentages of the request's span so the page needs no script."""
from __future__ import annotations

from datetime import date, timedelta

from adapters.web.layout import e, pill
from workflows.board.queries import RequestDetail
from workflows.i18n import Translate


def _pct(day: date, start: date, span: int) -> float:
    return round(100 * (day - start).days / span, 3)


def _ticks(start: date, end: date, span: int) -> str:
    """A tick each Monday (or each month's first day on long spans)."""
    out, day = [], start
    monthly = span > 120
    while day <= end:
        if (monthly and day.day == 1) or (not monthly and day.weekday() == 0):
            label = day.strftime("%Y-%m") if monthly else day.strftime("%m-%d")
            out.append(f'<span class="tick" style="left:{_pct(day, start, span)}%">{label}</span>')
        day += timedelta(days=1)
    return "".join(out)


def gantt_html(detail: RequestDetail, t: Translate) -> str:
    start, end = detail.start - timedelta(days=1), detail.end + timedelta(days=2)
    span = max(1, (end - start).days)
    today = _pct(detail.today, start, span)
    rows = []
    for task in detail.tasks:
        left = _pct(task.start, start, span)
        width = max(0.8, _pct(task.due + timedelta(days=1), start, span) - left)
        late = f" · {t('web.overdue_days', days=task.overdue_days)}" if task.overdue_days else ""
        tip = f"{task.title}: {task.start} → {task.due} · {t(f'status.{task.status}')}{late}"
        rows.append(
            f'<div class="g-row" data-task="{task.seq}">'
            f'<div class="g-label"><b>#{task.seq} {e(task.title)}</b>'
            f'<span class="muted">{e(task.lead)} · {e(task.owner)}</span></div>'
            f'<div class="g-track"><div class="bar status-{e(task.status)} risk-{e(task.risk)}" '
            f'data-status="{e(task.status)}" title="{e(tip)}" style="left:{left}%;width:{width}%">'
            f'<span>{e(t(f"status.{task.status}"))}{e(late)}</span></div></div>'
            f'<div class="g-meta">{pill(t(f"risk.{task.risk}"), f"risk-{task.risk}")}</div></div>')
    if detail.milestones:
        marks = "".join(
            f'<span class="milestone" style="left:{_pct(day, start, span)}%" title="{e(name)} {day}">'
            f'<i></i><em>{e(name)}</em></span>' for name, day in detail.milestones)
        rows.append(f'<div class="g-row milestones"><div class="g-label"><b>{e(t("web.milestones"))}</b></div>'
                    f'<div class="g-track">{marks}</div><div class="g-meta"></div></div>')
    if not rows:
        rows.append(f'<p class="muted">{e(t("board.no_tasks"))}</p>')
    due = ""
    if detail.row.due:
        due = f'<div class="due-line" style="left:{_pct(detail.row.due + timedelta(days=1), start, span)}%" ' \
              f'title="{e(t("web.due"))} {detail.row.due}"></div>'
    legend = "".join(pill(t(f"status.{s}"), f"status-{s}") for s in ("not_started", "in_progress", "done", "delayed"))
    return (f'<div class="gantt" data-start="{detail.start}" data-end="{detail.end}">'
            f'<div class="g-row g-head"><div class="g-label"></div><div class="g-track">{_ticks(start, end, span)}'
            f'</div><div class="g-meta"></div></div>'
            f'<div class="g-body"><div class="g-overlay"><div class="today-line" style="left:{today}%" '
            f'title="{e(t("web.today"))} {detail.today}"><span>{e(t("web.today"))}</span></div>{due}</div>'
            f'{"".join(rows)}</div><div class="legend">{legend}</div></div>')
