"""R27: every user-facing string is in both catalogs, and every key the code uses exists."""
from __future__ import annotations

import re
from pathlib import Path

from workflows.i18n import catalog

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"""(?:\bt|ctx\.t)\(\s*"([a-z_]+\.[a-z_.]*[a-z])"|(?:UserError|Refused)\(\s*"([a-z_]+\.[a-z_]*[a-z])\"""")


def test_both_locales_have_the_same_keys():
    assert set(catalog("zh-CN")) == set(catalog("en"))


def test_every_literal_key_in_the_code_is_in_the_catalogs():
    keys = set()
    for path in (ROOT / "workflows").rglob("*.py"):
        if path.parent.name == "i18n":
            continue
        for m in KEY.finditer(path.read_text(encoding="utf-8")):
            keys.add(m.group(1) or m.group(2))
    missing = sorted(k for k in keys if k not in catalog("zh-CN"))
    assert missing == []


def test_placeholders_agree_between_locales():
    zh, en = catalog("zh-CN"), catalog("en")
    field = re.compile(r"{(\w+)}")
    assert [k for k in zh if set(field.findall(zh[k])) != set(field.findall(en[k]))] == []


def test_a_missing_parameter_never_fails_the_event():
    from workflows.i18n import translator

    assert translator("en")("late.title", number="XT-2026-001", seq=1, task="Build") == \
        "🔴 XT-2026-001#1 more than {days} days late: Build"


def test_staff_read_the_guidelines_words_not_rule_ids():
    """Rule ids (R1…R37) are for code, tests and docs; people read what the guidelines say."""
    rule_id = re.compile(r"\bR\d{1,2}\b")
    for path in (ROOT / "workflows" / "i18n").glob("*.json"):
        import json

        found = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if rule_id.search(v)}
        assert found == {}, path.name


def test_english_lists_are_written_with_english_punctuation():
    from workflows.i18n import translator

    assert translator("en")("list.sep").join(["Engineering", "Marketing"]) == "Engineering, Marketing"
    assert translator("zh-CN")("list.sep").join(["技术部", "设计部"]) == "技术部、设计部"


def test_no_message_shows_an_escaped_line_break():
    for locale in ("zh-CN", "en"):
        assert [k for k, v in catalog(locale).items() if "\\n" in v] == []
