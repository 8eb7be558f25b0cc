"""`name: value` fields of a command: the alias tables, where fields start, and value parsing.

Field names are data (`FIELD_ALIASES`), English or Chinese, matched case-insensitively, with
ASCII or full-width colons. A field's value runs to the next field, across lines, so list
fields (`checks`, `milestones`, `content` …) may put one item per line. Several fields may
share a line (`today: … tomorrow: …`), since Slack slash commands are one line.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from workflows.grammar.types import CommandError
from workflows.grammar.dates import looks_like_date, looks_like_datetime
from workflows.grammar.vocabulary import CHECK_MARKS, LEVELS, YES_NO, split_list

# canonical name → accepted names (R1 filing, R7 daily, R9 status, R12 issue, R17 change,
# R19 delivery, R20 acceptance …); the canonical name itself is always accepted.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("name", "需求名称", "名称", "标题"),
    "goal": ("background", "需求背景与目标", "背景与目标", "背景", "目标"),
    "initiating_dept": ("from", "发起部门"),
    "depts": ("departments", "协作部门", "涉及部门"),
    "content": ("具体协作内容", "协作内容"),
    "standard": ("standards", "交付标准", "标准"),
    "milestones": ("时间节点", "节点", "里程碑"),
    "contacts": ("liaisons", "接口人", "对接人"),
    "due": ("截止", "截止日期", "截止时间", "新截止"),
    "today": ("今日进展", "今日", "今天"),
    "tomorrow": ("明日计划", "明日", "明天"),
    "risk": ("risks", "风险"),
    "desc": ("description", "问题描述", "描述"),
    "severity": ("严重程度", "级别"),
    "urgent": ("紧急",),
    "dept": ("责任部门",),
    "owner": ("负责人",),
    "scope": ("影响范围", "范围"),
    "suggestion": ("建议方案", "建议"),
    "deadline": ("解决时限", "时限"),
    "solution": ("解决方案",),
    "reason": ("变更原因", "取消原因", "原因"),
    "impact": ("影响",),
    "tasks": ("任务截止",),
    "deliverables": ("交付物", "成果"),
    "checks": ("自检清单", "自检"),
    "notes": ("验收意见", "意见", "备注"),
    "rework_due": ("rework-due", "返工截止"),
    "countermeasure": ("measure", "应对措施", "措施"),  # R32
    "trigger": ("触发条件", "触发"),
    "probability": ("likelihood", "可能性", "概率"),
    "item": ("事项", "行动项内容"),  # R31
    "time": ("when", "会议时间", "时间"),  # R29
    "place": ("link", "地点", "会议链接", "链接"),
    "attendees": ("参会人员", "参会人", "参会"),
    "first_sync": ("first-sync", "首次同步日期", "首次同步"),
    "decisions": ("会议决定", "决定", "决议"),
    "items": ("actions", "行动项"),
    "in_scope": ("in-scope", "协作范围", "范围内", "新增范围", "scope-add", "add-scope"),  # R34 (R17: added)
    "out_scope": ("out-of-scope", "out_of_scope", "不在范围", "范围外", "移出范围", "scope-drop", "drop-scope"),
    "clause": ("breach", "违约处理", "违约条款"),  # R30
    "people": ("headcount", "人员", "人数"),  # R33
    "days": ("person-days", "人天", "工时"),
    "budget": ("预算",),
    "tools": ("工具", "设备"),
    "support_needed": ("support-needed", "所需支持", "需要支持"),  # R36
    "outcome": ("会议结论", "结论"),
}

# Which fields each verb takes; the value kind of each field (per-verb overrides first).
VERB_FIELDS: dict[str, tuple[str, ...]] = {
    "new": ("title", "goal", "initiating_dept", "depts", "content", "standard", "milestones",
            "contacts", "due", "in_scope", "out_scope"),
    "daily": ("today", "tomorrow", "risk"),
    "issue": ("desc", "severity", "urgent", "dept", "depts", "owner", "scope", "suggestion",
              "deadline", "support_needed"),
    "resolve": ("solution",),
    "status": ("risk",),
    "change": ("reason", "impact", "due", "scope", "tasks", "in_scope", "out_scope"),  # R34: scope moved
    "deliver": ("deliverables", "checks"),
    "accept": ("notes", "rework_due"),
    "archive_file": ("notes",),  # R22 a note on the archive
    "cancel": ("reason",),
    "dispute": ("desc", "dept", "depts"),  # R15: the other side(s), by name
    "risk": ("desc", "dept", "countermeasure", "trigger", "probability", "impact", "owner"),  # R32
    "action": ("item", "owner", "due"),  # R31
    "kickoff": ("time", "place", "attendees", "first_sync"),  # R29
    "minutes": ("decisions", "items"),
    "memo": ("clause",),
    "resources": ("people", "days", "budget", "tools"),
    "huddle": ("time", "outcome"),  # R36
}
FIELD_KINDS: dict[str, str] = {
    "depts": "list", "content": "pairs", "contacts": "contact_pairs", "milestones": "milestones",
    "due": "date", "rework_due": "date", "deadline": "datetime", "severity": "level",
    "urgent": "bool", "tasks": "seq_dates", "checks": "checks", "probability": "level",
    "time": "datetime", "attendees": "list", "first_sync": "date", "decisions": "lines", "items": "action_items",
}
VERB_FIELD_KINDS: dict[tuple[str, str], str] = {("status", "risk"): "level",  # R9 高/中/低
                                                ("risk", "impact"): "level"}  # R32
# Kinds whose items read `key: value`, so an unknown `label:` line continues them.
PAIR_KINDS = frozenset({"pairs", "contact_pairs", "milestones", "checks", "action_items"})

_ALIAS_TO_FIELD = {a.casefold(): f for f, aliases in FIELD_ALIASES.items()
                   for a in (f, *aliases)}
_BOUNDARY = r"(?<![^\s;；,，|｜])"  # at line start or after a space / separator
_LABEL = re.compile(r"\s*([A-Za-z_\u3400-\u9fff][A-Za-z_\-\u3400-\u9fff]{0,15})\s*[:：](?!//)")
_ITEM_SPLIT = re.compile(r"[;；\n]+")
_CONTACT_SPLIT = re.compile(r"[;；,，、\n]+")
_MILESTONE_SPLIT = re.compile(r"[;；,，、\n]+")
_PAIR_SEP = re.compile(r"[=:：]")
_CHECK_MARKED = re.compile(r"(.+)[=:：]\s*(\S+)(?:\s+(.+?))?\s*", re.S)  # 标准=是 [备注]
_CHECK_TICKED = re.compile(r"(.+?)\s*([✓✔√✗✘×])(?:\s+(.+?))?\s*", re.S)  # 标准 ✓ [备注]
_SEQ_DATE = re.compile(r"#?\s*(\d+)\s*(?:[=:：]\s*|\s+)(.+)", re.S)
_TRAIL = " \t\n;；,，|｜"


def _alias_pattern(names: list[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(n).replace(r"\ ", r"\s+")
                     for n in sorted(names, key=len, reverse=True))
    return re.compile(_BOUNDARY + f"({alts})" + r"\s*[:：]", re.IGNORECASE)


_VERB_PATTERNS = {verb: _alias_pattern([a for f in fields for a in (f, *FIELD_ALIASES[f])])
                  for verb, fields in VERB_FIELDS.items()}


def split_fields(body: str, verb: str, *, strict: bool) -> tuple[str, list[tuple[str, str]]]:
    """(free text before the first field, [(canonical field, raw value)]).

    A line-start `label:` that is not a field of this verb is an unknown field when the
    message uses fields at all (or the verb is `strict`); otherwise it is just free text
    with a colon in it. Inside pair-kind fields such lines are items (`技术部: 开发页面`).
    """
    pattern = _VERB_PATTERNS[verb]
    free: list[str] = []
    segments: list[tuple[str, list[str]]] = []
    strangers: list[str] = []
    for line in body.split("\n"):
        matches = list(pattern.finditer(line))
        head_end = matches[0].start() if matches else len(line)
        head = line[:head_end]
        label = _LABEL.match(line)
        if head.strip(_TRAIL) and label and label.end() <= len(head):
            in_pairs = bool(segments) and kind_of(verb, segments[-1][0]) in PAIR_KINDS
            if not in_pairs:
                strangers.append(label.group(1))
        (segments[-1][1] if segments else free).append(head)
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            said = " ".join(m.group(1).split()).casefold()
            segments.append((_ALIAS_TO_FIELD[said], [line[m.end():end]]))
    if strangers and (strict or segments):
        raise CommandError("command.unknown_field", {"field": strangers[0]}, verb=verb)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for name, parts in segments:
        if name in seen:
            raise CommandError("command.duplicate_field", {"field": name}, verb=verb)
        seen.add(name)
        out.append((name, "\n".join(parts).strip(_TRAIL)))
    return "\n".join(free).strip(), out


def kind_of(verb: str, name: str) -> str:
    return VERB_FIELD_KINDS.get((verb, name)) or FIELD_KINDS.get(name, "text")


def parse_value(verb: str, name: str, raw: str) -> Any:
    """The parsed value of one field; raises `CommandError` naming the field."""
    return _PARSERS[kind_of(verb, name)](raw, name, verb)


def _bad_item(name: str, item: str, verb: str) -> CommandError:
    return CommandError("command.bad_item", {"field": name, "item": item}, verb=verb)


def _text(raw: str, name: str, verb: str) -> str:
    return raw


def _list(raw: str, name: str, verb: str) -> list[str]:
    return split_list(raw)


def _pairs_with(splitter: re.Pattern[str]) -> Callable[[str, str, str], dict[str, str]]:
    def parse(raw: str, name: str, verb: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in (x.strip() for x in splitter.split(raw)):
            if not item:
                continue
            sep = _PAIR_SEP.search(item)
            key = item[: sep.start()].strip() if sep else ""
            value = item[sep.end():].strip() if sep else ""
            if not key or not value:
                raise _bad_item(name, item, verb)
            out[key] = f"{out[key]}; {value}" if key in out else value
        return out
    return parse


def _milestones(raw: str, name: str, verb: str) -> list[tuple[str, str]]:
    """`需求确认 7/20; 开发完成 8/10` → [("需求确认", "7/20"), ("开发完成", "8/10")] (R1)."""
    out: list[tuple[str, str]] = []
    for item in (x.strip() for x in _MILESTONE_SPLIT.split(raw)):
        if not item:
            continue
        for i in range(1, len(item)):  # the longest trailing date with a name before it
            label, when = item[:i].strip(" =:："), item[i:].strip(" =:：")
            if label and when and looks_like_date(when):
                out.append((label, when))
                break
        else:
            raise _bad_item(name, item, verb)
    return out


def _date(raw: str, name: str, verb: str) -> str:
    if not looks_like_date(raw):
        raise CommandError("command.bad_date", {"field": name, "value": raw}, verb=verb)
    return raw


def _datetime(raw: str, name: str, verb: str) -> str:
    if not looks_like_datetime(raw):
        raise CommandError("command.bad_date", {"field": name, "value": raw}, verb=verb)
    return raw


def _from_table(table: dict[str, Any]) -> Callable[[str, str, str], Any]:
    def parse(raw: str, name: str, verb: str) -> Any:
        key = raw.strip().casefold()
        if key not in table:
            raise CommandError("command.bad_value", {"field": name, "value": raw}, verb=verb)
        return table[key]
    return parse


def _seq_dates(raw: str, name: str, verb: str) -> dict[int, str]:
    """`1=8/20, 2=8/25` → {1: "8/20", 2: "8/25"} (R17 new task due dates)."""
    out: dict[int, str] = {}
    for item in (x.strip() for x in _MILESTONE_SPLIT.split(raw)):
        if not item:
            continue
        m = _SEQ_DATE.fullmatch(item)
        if not m:
            raise _bad_item(name, item, verb)
        out[int(m.group(1))] = _date(m.group(2).strip(), name, verb)
    return out


def _checks(raw: str, name: str, verb: str) -> list[tuple[str, bool, str]]:
    """`页面加载≤2秒=是; 完成率100%=否 实测98%` → [("页面加载≤2秒", True, ""),
    ("完成率100%", False, "实测98%")] (R19: each agreed standard, met or not, with a note)."""
    out: list[tuple[str, bool, str]] = []
    for item in (x.strip() for x in _ITEM_SPLIT.split(raw)):
        if not item:
            continue
        m = _CHECK_MARKED.fullmatch(item)
        if m is None or m.group(2).casefold() not in CHECK_MARKS:
            m = _CHECK_TICKED.fullmatch(item)
        if m is None or m.group(2).casefold() not in CHECK_MARKS or not m.group(1).strip():
            raise _bad_item(name, item, verb)
        out.append((m.group(1).strip(), CHECK_MARKS[m.group(2).casefold()], (m.group(3) or "").strip()))
    return out


def _lines(raw: str, name: str, verb: str) -> list[str]:
    """`决定: 先做A；再做B` or one per line → ["先做A", "再做B"] (R29 decisions)."""
    return [x.strip() for x in _ITEM_SPLIT.split(raw) if x.strip()]


def _action_items(raw: str, name: str, verb: str) -> list[tuple[str, str, str]]:
    """`支付接口联调=吴磊=7/16；压测=郑凯=7/20` → [(item, owner, date)] (R29 minutes → R31)."""
    out: list[tuple[str, str, str]] = []
    for item in (x.strip() for x in _ITEM_SPLIT.split(raw)):
        if not item:
            continue
        parts = [p.strip() for p in re.split(r"[=|｜]", item)]
        if len(parts) != 3 or not all(parts) or not looks_like_date(parts[2]):
            raise _bad_item(name, item, verb)
        out.append((parts[0], parts[1], parts[2]))
    return out


_PARSERS: dict[str, Callable[[str, str, str], Any]] = {
    "text": _text, "list": _list, "pairs": _pairs_with(_ITEM_SPLIT),
    "contact_pairs": _pairs_with(_CONTACT_SPLIT), "milestones": _milestones, "date": _date,
    "datetime": _datetime, "level": _from_table(LEVELS), "bool": _from_table(YES_NO),
    "seq_dates": _seq_dates, "checks": _checks, "lines": _lines, "action_items": _action_items,
}
