"""The board's pages (R9, R37): the request list, one request (Gantt, issues, changes,
acceptance, audit) and a department's "what we owe". Pure: read-model rows in, HTML out."""
from __future__ import annotations

from typing import Callable
from urllib.parse import parse_qsl, urlsplit

from adapters.web.gantt import gantt_html
from adapters.web.layout import e, page, pill, table
from workflows.board.queries import Owed, RequestDetail, RequestRow
from workflows.i18n import Translate

Link = Callable[..., str]  # link(path, **query) keeping the token and language
STATES = ("submitted", "approved", "assigning", "in_progress", "delivered", "rework", "accepted",
          "completed", "archived", "rejected", "cancelled")


def _nav(t: Translate, link: Link, who: str) -> str:
    """The board link, who is looking, and the same page in the other language."""
    me = f'<span class="who">{e(t("web.viewing_as", name=who))}</span>' if who else ""
    other = link("", lang="flip")
    return (f'<nav><a href="{e(link("/board"))}">{e(t("web.board"))}</a>{me}'
            f'<a class="lang" href="{e(other)}">{e(t("web.other_language"))}</a></nav>')


def _due(row: RequestRow, t: Translate) -> str:
    if row.due is None:
        return "—"
    late = f' <span class="late">{e(t("web.overdue_days", days=row.overdue_days))}</span>' if row.overdue_days else ""
    return f"{row.due}{late}"


def audit_label(action: str, t: Translate) -> str:
    """An audit action in words; an action with no words yet shows its code alone."""
    key = f"audit.{action}"
    label = t(key)
    return "" if label == key else label


def _pager(t: Translate, link: Link, *, number: int, has_next: bool, dept: int | None, state: str) -> str:
    """Previous / page N / next, keeping the filters; nothing when everything fits on one page."""
    if number == 1 and not has_next:
        return ""
    prev = (f'<a rel="prev" href="{e(link("/board", dept=dept, state=state, page=number - 1 if number > 2 else None))}">'
            f'{e(t("web.prev"))}</a>') if number > 1 else ""
    nxt = (f'<a rel="next" href="{e(link("/board", dept=dept, state=state, page=number + 1))}">{e(t("web.next"))}</a>'
           if has_next else "")
    return f'<nav class="pager">{prev} <span>{e(t("web.page", page=number))}</span> {nxt}</nav>'


def list_page(*, rows: list[RequestRow], t: Translate, lang: str, link: Link, depts: list[tuple[int, str]],
              dept: int | None, state: str, who: str, number: int = 1, has_next: bool = False) -> str:
    dept_opts = "".join(f'<option value="{d}"{" selected" if d == dept else ""}>{e(n)}</option>' for d, n in depts)
    state_opts = "".join(f'<option value="{s}"{" selected" if s == state else ""}>{e(t(f"state.{s}"))}</option>'
                         for s in STATES)
    hidden = "".join(f'<input type="hidden" name="{k}" value="{e(v)}">'
                     for k, v in _carried(link).items())
    filters = (f'<form class="filters" method="get">{hidden}'
               f'<label>{e(t("web.department"))} <select name="dept"><option value="">{e(t("web.all"))}</option>'
               f'{dept_opts}</select></label>'
               f'<label>{e(t("web.state"))} <select name="state"><option value="">{e(t("web.all"))}</option>'
               f'<option value="open"{" selected" if state == "open" else ""}>{e(t("web.open"))}</option>{state_opts}'
               f'</select></label><button>{e(t("web.filter"))}</button>'
               f'<span class="exports">{e(t("web.export"))}: '
               f'<a href="{e(link("/board/export.csv", dept=dept, state=state))}">CSV</a> · '
               f'<a href="{e(link("/board/export.xlsx", dept=dept, state=state))}">Excel</a></span></form>')
    body = [[f'<a href="{e(link(f"/board/r/{r.number}"))}">{e(r.number)}</a>', e(r.title),
             pill(t(f"state.{r.state}"), f"state-{r.state}"), e(r.initiating), e("、".join(r.departments)),
             f"{r.tasks_done}/{r.tasks_total}", pill(t(f"risk.{r.risk}"), f"risk-{r.risk}"),
             str(r.open_issues), _due(r, t)] for r in rows]
    heads = [e(t(k)) for k in ("web.number", "web.title", "web.state", "web.initiating", "web.departments",
                               "web.tasks_done", "web.risk", "web.open_issues", "web.due")]
    dept_links = " · ".join(f'<a href="{e(link(f"/board/d/{d}"))}">{e(n)}</a>' for d, n in depts)
    pager = _pager(t, link, number=number, has_next=has_next, dept=dept, state=state)
    content = (f'<h1>{e(t("web.board_title"))}</h1>{filters}{table(heads, body, empty=e(t("web.no_requests")))}'
               f'{pager}<p class="owe-links">{e(t("web.what_we_owe"))}: {dept_links or "—"}</p>')
    return page(title=t("web.board_title"), body=content, lang=lang, nav=_nav(t, link, who))


def _carried(link: Link) -> dict[str, str]:
    """The query a link keeps (token, language), for forms that GET the same page."""
    return dict(parse_qsl(urlsplit(link("/")).query))


def request_page(*, d: RequestDetail, t: Translate, lang: str, link: Link, who: str) -> str:
    r = d.row
    facts = "".join(f"<div><dt>{e(k)}</dt><dd>{v}</dd></div>" for k, v in (
        (t("web.state"), pill(t(f"state.{r.state}"), f"state-{r.state}")), (t("web.initiating"), e(r.initiating)),
        (t("web.departments"), e("、".join(r.departments))), (t("web.due"), _due(r, t)),
        (t("web.risk"), pill(t(f"risk.{r.risk}"), f"risk-{r.risk}")),
        (t("web.tasks_done"), f"{r.tasks_done}/{r.tasks_total}")))
    stage = lambda s: pill(t(f"web.stage_{s}"), f"stage-{s}")  # noqa: E731
    issues = [[f"!{i.seq}", e(i.description), e(i.responsible), pill(t(f"risk.{i.severity}"), f"risk-{i.severity}"),
               e(t(f"issue_state.{i.state}")), stage(i.stage), e(t("web.hours", hours=i.age_hours)), e(i.raised_at)]
              for i in d.issues]
    changes = [[f"#{c['seq']}", e(c["reason"]), e(c["impact"]), e(f"{c['old_due']} → {c['due']}" if c["due"] else "—"),
                e(t(f"change_state.{c['state']}")), e(c["by"]), e(c["at"])] for c in d.changes]
    accept = [[e(a["round"]), e(t(f"web.verdict_{a['verdict'] or 'pending'}")), e(a["notes"]), e(a["by"]), e(a["at"])]
              for a in d.acceptance]
    audit = [[e(a["at"]), e(a["who"]), f'{e(audit_label(a["action"], t))} <code>{e(a["action"])}</code>',
              e(a["subject"]), e(a["change"])] for a in d.audit]
    h = lambda *keys: [e(t(k)) for k in keys]  # noqa: E731
    none = e(t("web.none"))
    content = (
        f'<p class="crumbs"><a href="{e(link("/board"))}">{e(t("web.board"))}</a> / {e(r.number)}</p>'
        f'<h1>{e(r.number)} {e(r.title)}</h1><p class="goal">{e(d.goal)}</p><dl class="facts">{facts}</dl>'
        f'<p class="exports">{e(t("web.export"))}: <a href="{e(link(f"/board/r/{r.number}/export.csv"))}">CSV</a> · '
        f'<a href="{e(link(f"/board/r/{r.number}/export.xlsx"))}">Excel</a></p>'
        f'<section><h2>{e(t("web.gantt"))}</h2>{gantt_html(d, t)}</section>'
        f'<section><h2>{e(t("web.issues"))}</h2>{table(h("web.seq", "web.issue", "web.responsible", "web.severity", "web.state", "web.stage", "web.age", "web.raised"), issues, empty=none)}</section>'  # noqa: E501
        f'<section><h2>{e(t("web.changes"))}</h2>{table(h("web.seq", "web.reason", "web.impact", "web.due", "web.state", "web.by", "web.at"), changes, empty=none)}</section>'  # noqa: E501
        f'<section><h2>{e(t("web.acceptance"))}</h2>{table(h("web.round", "web.verdict", "web.notes", "web.by", "web.at"), accept, empty=none)}</section>'  # noqa: E501
        f'<section><h2>{e(t("web.audit"))}</h2>{table(h("web.at", "web.by", "web.action", "web.subject", "web.change"), audit, cls="grid small", empty=none)}</section>')  # noqa: E501
    return page(title=f"{r.number} {r.title}", body=content, lang=lang, nav=_nav(t, link, who))


def department_page(*, name: str, owed: list[Owed], t: Translate, lang: str, link: Link, who: str) -> str:
    rows = [[e(t(f"web.kind_{o.kind}")), f'<a href="{e(link(f"/board/r/{o.number}"))}">{e(o.number)}</a>',
             e(o.what), e(o.to), e(o.due) + (f' <span class="late">{e(t("web.overdue_days", days=o.overdue_days))}</span>'
                                              if o.overdue_days else ""),
             e(t(f"status.{o.status}") if o.kind == "task" else t(f"issue_state.{o.status}"))] for o in owed]
    heads = [e(t(k)) for k in ("web.kind", "web.number", "web.what", "web.owed_to", "web.due", "web.state")]
    content = (f'<p class="crumbs"><a href="{e(link("/board"))}">{e(t("web.board"))}</a> / {e(name)}</p>'
               f'<h1>{e(t("web.owes_title", department=name))}</h1>{table(heads, rows, empty=e(t("web.owes_nothing")))}')
    return page(title=t("web.owes_title", department=name), body=content, lang=lang, nav=_nav(t, link, who))


def refusal_page(*, status: int, reason: str, t: Translate, lang: str) -> str:
    """401 (no, forged or expired link) or 403/404 (not yours): a clear page, never data."""
    content = (f'<div class="refusal"><h1>{e(t(f"web.denied_{reason}_title"))}</h1>'
               f'<p>{e(t(f"web.denied_{reason}"))}</p><p class="muted">HTTP {status}</p></div>')
    return page(title=t(f"web.denied_{reason}_title"), body=content, lang=lang)
