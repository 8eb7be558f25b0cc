"""The only vocabulary (R27: Chinese and English words): levels, yes/no, check marks, task
status words, verdicts and name lists. The grammar reads people's words through these tables
and hands services canonical values; no service keeps a word table of its own."""
from __future__ import annotations

import re
from typing import Any

# R9 risk, R12 severity, R32 probability/impact: 高 / 中 / 低
LEVELS: dict[str, str] = {
    "高": "high", "high": "high", "h": "high", "严重": "high",
    "中": "medium", "medium": "medium", "med": "medium", "m": "medium", "一般": "medium",
    "低": "low", "low": "low", "l": "low", "轻微": "low",
}
LEVEL_ORDER = ("low", "medium", "high")

YES_NO: dict[str, bool] = {
    "是": True, "yes": True, "y": True, "true": True, "1": True, "紧急": True, "urgent": True,
    "否": False, "no": False, "n": False, "false": False, "0": False, "不紧急": False,
}

# R19 self-check: each agreed standard met or not
CHECK_MARKS: dict[str, bool] = {
    "是": True, "yes": True, "y": True, "✓": True, "✔": True, "√": True, "met": True, "ok": True,
    "true": True, "达标": True, "通过": True,
    "否": False, "no": False, "n": False, "✗": False, "✘": False, "×": False, "unmet": False,
    "false": False, "未达标": False,
}

# bare keywords after a request number → canonical word
KEYWORDS: dict[str, tuple[str, ...]] = {
    "all": ("全部",), "urgent": ("紧急",), "plan": ("方案",), "weekly": ("周会",), "available": ("可用",),
    "force": ("强制", "确认归档"),
    "unanimous": ("全部通过", "all pass", "all-pass"), "initiator_decides": ("发起方决定", "initiator decides"),
    "pass": ("通过", "passed"), "fail": ("不通过", "failed"), "rework": ("返工", "需返工"),
    "not_started": ("not started", "not-started", "未开始"),
    "in_progress": ("in progress", "in-progress", "进行中"),
    "done": ("已完成", "完成", "completed"), "delayed": ("延期", "已延期"),
}
# R34 SMART: a goal is measurable when it names a number, a date or a standard — a digit, or one
# of these marks/words (the vague words of R3 are flagged separately)
MEASURABLE_MARKS = ("%", "％", "百分之", "≤", "≥", "<", ">", "＜", "＞", "标准", "达标", "以内", "以上",
                    "以下", "standard", "within", "at least", "at most", "by ")

# R32: a risk trigger that names a task going 延期 (`#1 延期`, `任务1延期`, `task 2 delayed`)
TASK_REF = re.compile(r"(?:#|＃|任务|task\s*)\s*(\d+)", re.IGNORECASE)


def delayed_task(text: str) -> int | None:
    """The task number a trigger names together with a 延期 / delayed word, else None."""
    words = ("delayed", *KEYWORDS["delayed"], "late")
    m = TASK_REF.search(text or "")
    return int(m.group(1)) if m and any(w in text.casefold() for w in words) else None


# R32: a risk trigger that names an issue of the request (`问题#2`, `问题2未解决`, `issue #2`); in
# English the `#` is needed, so "legal issue 2 weeks out" stays a condition people watch
ISSUE_REF = re.compile(r"(?:问题\s*[#＃]?|issue\s*[#＃])\s*(\d+)", re.IGNORECASE)


def linked_issue(text: str) -> int | None:
    """The issue number a trigger names, else None: the risk watches that issue."""
    m = ISSUE_REF.search(text or "")
    return int(m.group(1)) if m else None


TASK_STATUSES = ("not_started", "in_progress", "done", "delayed")  # R9
VERDICTS = ("pass", "fail", "rework")  # R20

_LIST_SPLIT = re.compile(r"[,，、/;；\n]+")


def split_list(raw: str) -> list[str]:
    """`技术部、设计部`, `技术部, 设计部`, `技术部/设计部` → ["技术部", "设计部"]."""
    return [x.strip() for x in _LIST_SPLIT.split(raw) if x.strip()]


_ITEM_SPLIT = re.compile(r"[;；\n]+")


def split_items(raw: str) -> list[str]:
    """`页面加载≤2秒；视觉还原度100%` → two standards (R1's 交付标准, each checked in R19)."""
    return [x.strip() for x in _ITEM_SPLIT.split(raw) if x.strip()]


def names(value: Any) -> list[str]:
    """A list of names as a form gives it (a list) or as typed (text)."""
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return split_list(str(value))


def level(value: Any) -> str | None:
    """高/中/低 in either language → high/medium/low; None when it is not a level."""
    return LEVELS.get(str(value or "").strip().casefold())


def yes(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return YES_NO.get(str(value or "").strip().casefold(), False)
