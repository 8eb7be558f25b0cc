"""Task lines of `assign` / `分工` (R5 RACI):

    任务: 页面开发 | 负责: 技术部 | 负责人: 李强 | 截止: 8/10 | 开始: 7/21 | 配合: 设计部
        | 标准: 页面加载≤2秒 | A: 产品部 | C: 设计部 | I: 市场部

Each task starts at a `task:`/`任务:` key; its parts are separated by `|`, new lines, or just
spaces before the next known key. A task needs task, lead, owner and due; exactly one lead.
"""
from __future__ import annotations

import re
from typing import Any

from workflows.grammar.vocabulary import split_list
from workflows.grammar.types import CommandError
from workflows.grammar.dates import looks_like_date

TASK_KEYS: dict[str, tuple[str, ...]] = {
    "task": ("任务", "任务名称"),
    "lead": ("r", "responsible", "负责", "主导", "负责部门", "牵头"),
    "owner": ("负责人",),
    "due": ("截止", "截止日期"),
    "start": ("开始", "开始日期"),
    "support": ("配合", "配合部门"),
    "standard": ("标准", "交付标准"),
    "accountable": ("a", "审批"),
    "consulted": ("c", "咨询"),
    "informed": ("i", "知会"),
}
REQUIRED = ("task", "lead", "owner", "due")
LIST_KEYS = frozenset({"support", "consulted", "informed"})
DATE_KEYS = frozenset({"due", "start"})

_KEY_TO_NAME = {a.casefold(): k for k, aliases in TASK_KEYS.items() for a in (k, *aliases)}


def _keys(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_SEP = r"[:：=]"
_TASK_START = re.compile(rf"(?<![^\s|｜;；])({_keys(['task', *TASK_KEYS['task']])})\s*{_SEP}",
                         re.IGNORECASE)
_ANY_KEY = re.compile(rf"(?<![^\s|｜;；])({_keys(list(_KEY_TO_NAME))})\s*{_SEP}", re.IGNORECASE)
_PART_SPLIT = re.compile(r"[|｜\n]+")
_LABEL = re.compile(rf"\s*([^\s:：=|｜]{{1,16}})\s*{_SEP}")
_TRAIL = " \t\n;；,，"


def parse_tasks(body: str) -> tuple[str, list[dict[str, Any]]]:
    """(free text before the first task, [task dict]) — raises `CommandError` (verb assign)."""
    starts = list(_TASK_START.finditer(body))
    if not starts:
        return body.strip(), []
    tasks = []
    for n, m in enumerate(starts, start=1):
        end = starts[n].start() if n < len(starts) else len(body)
        tasks.append(_task(body[m.start():end], n))
    return body[: starts[0].start()].strip(), tasks


def _task(chunk: str, n: int) -> dict[str, Any]:
    raw: dict[str, str] = {}
    for part in (p.strip(_TRAIL) for p in _PART_SPLIT.split(chunk)):
        if not part:
            continue
        keys = list(_ANY_KEY.finditer(part))
        if not keys or part[: keys[0].start()].strip(_TRAIL):
            label = _LABEL.match(part)
            if label:
                raise CommandError("command.unknown_task_key", {"n": n, "key": label.group(1)},
                                   verb="assign")
            raise CommandError("command.bad_task_part", {"n": n, "part": part}, verb="assign")
        for i, k in enumerate(keys):
            name = _KEY_TO_NAME[k.group(1).casefold()]
            value = part[k.end(): keys[i + 1].start() if i + 1 < len(keys) else len(part)]
            if name in raw:
                raise CommandError("command.duplicate_field", {"field": name}, verb="assign")
            raw[name] = value.strip(_TRAIL)
    missing = [k for k in REQUIRED if not raw.get(k)]
    if missing:
        raise CommandError("command.bad_task_line", {"n": n, "missing": missing}, verb="assign")
    return _values(raw, n)


def _values(raw: dict[str, str], n: int) -> dict[str, Any]:
    task: dict[str, Any] = {}
    for name, value in raw.items():
        if not value:
            continue
        if name in DATE_KEYS and not looks_like_date(value):
            raise CommandError("command.bad_date", {"field": name, "value": value},
                               verb="assign")
        task[name] = split_list(value) if name in LIST_KEYS else value
    if len(split_list(task["lead"])) > 1:  # R5: exactly one responsible department
        raise CommandError("command.single_lead", {"n": n, "value": task["lead"]},
                           verb="assign")
    for name in LIST_KEYS:
        task.setdefault(name, [])
    return task
