"""Every audit action the workflows record reads as words on the board, in both languages (the
code stays visible beside it); a new action without words fails here, not on a user's screen."""
from __future__ import annotations

import re
from pathlib import Path

from adapters.web.board_pages import audit_label
from workflows.i18n import translator

ROOT = Path(__file__).resolve().parents[3]
DYNAMIC = {"acceptance.{verdict}": ("pass", "fail", "rework"), "issue.escalate.{step.word}": ("head", "vp"),
           "task.{answer}": ("on_track", "at_risk", "will_be_late"), "item.{step}": ("due", "overdue"),
           "resources.{kind}": ("need", "available"), "panel.{choice}": ("pass", "fail")}


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "workflows").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'action="([a-z_.0-9]+)"', text))
        found |= set(re.findall(r'"(request\.(?:approve|reject))"', text))
        for pattern in re.findall(r'action=f"([^"]+)"', text):
            name = re.search(r"{([\w.]+)}", pattern)
            found |= {pattern.replace("{" + name.group(1) + "}", v) for v in DYNAMIC[pattern]}
    return found


def test_every_recorded_audit_action_has_words_in_both_languages():
    actions = recorded_actions()
    assert {"request.file", "issue.escalate.vp", "acceptance.rework"} <= actions
    for locale in ("zh-CN", "en"):
        t = translator(locale)
        assert [a for a in sorted(actions) if not audit_label(a, t)] == [], locale
    assert audit_label("something.new", translator("en")) == ""
