"""The board as a spreadsheet (R37: "甘特图或飞书多维表格"): the list and one request as CSV
(UTF-8 with BOM, so Excel opens Chinese text right) and as xlsx (openpyxl), one sheet per table."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from adapters.web.board_pages import audit_label
from workflows.board.queries import RequestDetail, RequestRow
from workflows.i18n import Translate

Sheet = tuple[str, list[str], list[list[object]]]  # (name, headers, rows)


def list_sheet(rows: list[RequestRow], t: Translate) -> Sheet:
    heads = [t(k) for k in ("web.number", "web.title", "web.state", "web.initiating", "web.departments",
                            "web.tasks_done", "web.risk", "web.open_issues", "web.due", "web.overdue")]
    body = [[r.number, r.title, t(f"state.{r.state}"), r.initiating, "、".join(r.departments),
             f"{r.tasks_done}/{r.tasks_total}", t(f"risk.{r.risk}"), r.open_issues,
             r.due.isoformat() if r.due else "", r.overdue_days] for r in rows]
    return t("web.board"), heads, body


def request_sheets(d: RequestDetail, t: Translate) -> list[Sheet]:
    tasks = ([t(k) for k in ("web.seq", "web.task", "web.lead", "web.owner", "web.start", "web.due", "web.state",
                             "web.risk", "web.overdue")],
             [[g.seq, g.title, g.lead, g.owner, g.start.isoformat(), g.due.isoformat(), t(f"status.{g.status}"),
               t(f"risk.{g.risk}"), g.overdue_days] for g in d.tasks])
    milestones = ([t("web.milestones"), t("web.due")], [[name, day.isoformat()] for name, day in d.milestones])
    issues = ([t(k) for k in ("web.seq", "web.issue", "web.responsible", "web.severity", "web.state", "web.stage",
                              "web.age")],
              [[i.seq, i.description, i.responsible, t(f"risk.{i.severity}"), t(f"issue_state.{i.state}"),
                t(f"web.stage_{i.stage}"), i.age_hours] for i in d.issues])
    changes = ([t(k) for k in ("web.seq", "web.reason", "web.impact", "web.due", "web.state", "web.by", "web.at")],
               [[c["seq"], c["reason"], c["impact"], c["due"], t(f"change_state.{c['state']}"), c["by"], c["at"]]
                for c in d.changes])
    accept = ([t(k) for k in ("web.round", "web.verdict", "web.notes", "web.by", "web.at")],
              [[a["round"], t(f"web.verdict_{a['verdict'] or 'pending'}"), a["notes"], a["by"], a["at"]]
               for a in d.acceptance])
    audit = ([t(k) for k in ("web.at", "web.by", "web.action", "web.subject", "web.change")],
             [[a["at"], a["who"], audit_label(a["action"], t) or a["action"], a["subject"], a["change"]]
              for a in d.audit])
    return [(t("web.gantt"), *tasks), (t("web.milestones"), *milestones), (t("web.issues"), *issues),
            (t("web.changes"), *changes), (t("web.acceptance"), *accept), (t("web.audit"), *audit)]


def to_csv(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sheet[1])
    writer.writerows(sheet[2])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="3B5BDB")
    for name, heads, rows in sheets:
        ws = book.create_sheet(title=name[:31])
        ws.append(heads)
        for cell in ws[1]:
            cell.font, cell.fill = bold, fill
        for row in rows:
            ws.append(row)
        for i, head in enumerate(heads, start=1):
            width = max([len(str(head))] + [len(str(r[i - 1])) for r in rows]) + 2
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, width * 1.6)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
