"""The demo's first screen: how to drive the org it runs, with that org's own people,
departments, language, request numbers and dates counted from the virtual clock's start — never
the sample org's names when another org is loaded (`collab-bot demo --org FILE --start ISO`)."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from workflows.org import OrgSpec
from workflows.policy import policy_for

HEAD = """
collab-bot demo — the whole collaboration process on this machine, no chat platform needed.
Open the simulator: http://{host}:{port}/  (the progress board: http://{host}:{port}/board)
Local platform API on http://{host}:{port} (virtual clock, resuming where it stood; org: {org}).

Try it (the group chat is any name, people are the org's ids — GET /local/org lists them):
"""
TAIL = '\nHelp in the chat: "{help}". Ctrl-C stops.\n'
POST = ("curl -s -XPOST localhost:{port}/local/{path} -H 'content-type: application/json' -d '{body}'")

WORDS = {
    "zh": {"cmd": "/协作", "new": "新建", "assign": "分工", "help": "/协作 帮助 · /collab help",
           "title": "名称", "goal": "背景与目标", "depts": "协作部门", "due": "截止", "standard": "交付标准",
           "milestones": "时间节点", "task": "任务", "lead": "负责", "owner": "负责人", "sep": "、", "msep": "；",
           "title_v": "新品详情页改版", "goal_v": "提升转化率10%", "standard_v": "页面加载时间≤2秒",
           "ms": ("需求确认", "开发完成", "正式上线"), "tasks": ("页面开发", "视觉设计")},
    "en": {"cmd": "/collab", "new": "new", "assign": "assign", "help": "/collab help · /协作 帮助",
           "title": "title", "goal": "goal", "depts": "departments", "due": "due", "standard": "standard",
           "milestones": "milestones", "task": "task", "lead": "lead", "owner": "owner", "sep": ", ", "msep": "; ",
           "title_v": "Product page revamp", "goal_v": "raise conversion by 10%",
           "standard_v": "page loads within 2 seconds",
           "ms": ("requirements", "development", "launch"), "tasks": ("Page build", "Visual design")},
}


GUIDELINES = ("产品部", "技术部", "设计部")


def _md(day: date) -> str:
    return f"{day.month}/{day.day}"


def _cast(spec: OrgSpec) -> tuple[tuple[str, str, str], list[tuple[str, str, str]]]:
    """(initiating department, its filer, its head) and up to two (department, owner, head) to
    collaborate: departments with a head, a member who is not the head preferred as filer/owner."""
    staffed = []
    for d in spec.departments:
        if not d.head:
            continue
        members = [p.id for p in spec.people if p.department == d.name]
        worker = next((m for m in members if m not in (d.head, d.liaison)), None) or next(
            (m for m in members if m != d.head), d.head)
        staffed.append((d.name, worker, d.head))
    if not staffed:
        return ("", "", ""), []
    # the guidelines' own example where the org has its departments (产品部 files, 技术部 and 设计部
    # collaborate), else the first department with someone besides its head files
    example = [next((s for s in staffed if s[0] == name), None) for name in GUIDELINES]
    if all(example):
        return example[0], example[1:]  # type: ignore[return-value]
    first = next((s for s in staffed if s[1] != s[2]), staffed[0])
    return first, [s for s in staffed if s is not first][:2]


def demo_banner(spec: OrgSpec, *, host: str, port: int, org: str, start: datetime) -> str:
    """The banner for `spec`, in its workspace's language (commands, field names, examples)."""
    lang = "zh" if spec.workspace.locale.lower().startswith("zh") else "en"
    w = WORDS[lang]
    names = {p.id: p.name for p in spec.people}
    (dept, filer, head), others = _cast(spec)
    day = start.date()
    due, dev, design, confirm = (day + timedelta(days=n) for n in (33, 28, 17, 7))
    number = policy_for(spec.workspace.settings).number_pattern.format(year=day.year, seq=1)
    lines = [HEAD.format(host=host, port=port, org=org)]
    if not filer:
        lines.append(f"  # {org} has no department with a head yet: requests need one to be approved\n")
        return "\n".join(lines) + TAIL.format(help=w["help"])
    collaborating = w["sep"].join(o[0] for o in others)
    new = (f"{w['cmd']} {w['new']}\n{w['title']}: {w['title_v']}\n{w['goal']}: {w['goal_v']}\n"
           f"{w['depts']}: {collaborating}\n{w['due']}: {_md(due)}\n{w['standard']}: {w['standard_v']}\n"
           f"{w['milestones']}: " + w["msep"].join(f"{m} {_md(d)}" for m, d in zip(w["ms"], (confirm, dev, due))))
    post = lambda path, body: POST.format(  # noqa: E731 — a JSON body inside single quotes
        port=port, path=path, body=json.dumps(body, ensure_ascii=False).replace("'", "'\\''"))
    lines += [f"  # {names[filer]} ({filer}) of {dept} files a request in chat \"g1\"",
              "  " + post("messages", {"chat": "g1", "user": filer, "text": new}),
              "  # see the card (with its buttons' action_id and value) in the chat",
              f"  curl -s localhost:{port}/local/chats/g1/messages",
              f"  # {names[head]} ({head}), head of {dept}, approves it (a button's action_id and value come from the card)",
              "  " + post("actions", {"chat": "g1", "user": head, "message_id": "m1", "action_id": "request.approve",
                                      "value": {"k": "request:1", "r": 1}})]
    if others:
        tasks = "\n".join(f"{w['task']}: {w['tasks'][i]} | {w['lead']}: {o[0]} | {w['owner']}: {names[o[1]]} | "
                          f"{w['due']}: {_md((dev, design)[i])} | {w['standard']}: {w['standard_v']}"
                          for i, o in enumerate(others))
        lines += ["  # split the work; each involved head then confirms on the RACI card ("
                  + w["sep"].join(f"{names[o[2]]} ({o[2]})" for o in [(dept, filer, head), *others]) + ")",
                  "  " + post("messages", {"chat": "g1", "user": filer, "text": f"{w['cmd']} {w['assign']} {number}\n{tasks}"})]
    else:
        lines.append(f"  # {org} has one staffed department: a request needs another one to collaborate with")
    lines += ["  # move time (2-hour rule, 17:00 summary …)",
              "  " + post("clock", {"advance_minutes": 120}),
              "  # urgent pings to a person",
              f"  curl -s localhost:{port}/local/users/{head}/messages"]
    return "\n".join(lines) + "\n" + TAIL.format(help=w["help"])
