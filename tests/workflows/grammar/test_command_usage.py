"""Usage catalogs of the command grammar (R27): both languages complete, examples that work."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workflows.grammar.fields import FIELD_ALIASES
from workflows.grammar.tasks import TASK_KEYS
from workflows.grammar.commands import VERB_ALIASES, VERBS, CommandError, error_text, parse, usage
from workflows.i18n import translator

WORKFLOWS = Path(__file__).resolve().parents[3] / "workflows"
I18N = WORKFLOWS / "i18n"
# Every error key the grammar can raise, read from its source so a new one cannot be missed.
ERROR_KEYS = {key for path in (WORKFLOWS / "grammar").glob("*.py")
              for key in re.findall(r'CommandError\(\s*"(command\.[a-z_]+)"',
                                    path.read_text(encoding="utf-8"))}
CATALOGS = {loc: json.loads((I18N / f"usage.{loc}.json").read_text(encoding="utf-8"))
            for loc in ("zh-CN", "en")}


def test_both_catalogs_have_the_same_keys() -> None:
    assert CATALOGS["zh-CN"].keys() == CATALOGS["en"].keys()
    assert len(ERROR_KEYS) >= 15  # the scan of the sources found the errors


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_verb_error_and_field_has_a_text(locale: str) -> None:
    catalog = CATALOGS[locale]
    needed = ({f"usage.{v}" for v in VERBS} | ERROR_KEYS | {"command.list_sep"}
              | {f"command.field.{f}" for f in (*FIELD_ALIASES, *TASK_KEYS)})
    assert needed <= catalog.keys()
    assert all(catalog[k].strip() for k in needed)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_general_help_lists_every_verb_in_both_languages(locale: str) -> None:
    listing = CATALOGS[locale]["usage.help"]
    for verb, aliases in VERB_ALIASES.items():
        assert re.search(rf"^{verb} {aliases[0]}|^{aliases[0]} {verb}", listing, re.M), verb


def _examples(text: str) -> list[str]:
    """The commands a usage text shows: a line starting `/collab` or `/协作` (after `例：` or
    `Example:`) plus the field lines under it, up to a prose or blank line."""
    examples: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        line = re.sub(r"^(例：|Example: ?)", "", line)
        if line.startswith(("/collab", "/协作")):
            current = [line]
            examples.append("")
        elif current is not None and line and not line.startswith(("(", "（")):
            current.append(line)
        else:
            current = None
            continue
        examples[-1] = "\n".join(current)
    return examples


@pytest.mark.parametrize("locale, command_word", [("zh-CN", "/协作"), ("en", "/collab")])
@pytest.mark.parametrize("verb", [v for v in VERBS if v != "help"])
def test_usage_examples_parse_to_their_verb(locale: str, command_word: str, verb: str) -> None:
    examples = _examples(CATALOGS[locale][f"usage.{verb}"])
    assert examples, f"usage.{verb} shows no example"
    for example in examples:
        assert example.startswith(command_word)
        assert parse(example).verb == verb


def test_usage_picks_the_verbs_text_in_either_language() -> None:
    zh, en = translator("zh-CN"), translator("en")
    assert usage("daily", zh) == usage("日报", zh) == CATALOGS["zh-CN"]["usage.daily"]
    assert usage("日报", en) == CATALOGS["en"]["usage.daily"]
    assert usage(None, en) == usage("nonsense", en) == CATALOGS["en"]["usage.help"]


def _error(text: str) -> CommandError:
    with pytest.raises(CommandError) as info:
        parse(text)
    return info.value


def test_error_text_names_the_field_in_the_users_language() -> None:
    err = _error("新建\n截止: 尽快")
    zh, en = error_text(err, translator("zh-CN")), error_text(err, translator("en"))
    assert zh.startswith("“截止”的日期“尽快”无法识别")
    assert en.startswith('Cannot read the date "尽快" of "due"')
    assert zh.endswith(CATALOGS["zh-CN"]["usage.new"]) and en.endswith(CATALOGS["en"]["usage.new"])


def test_error_text_lists_missing_task_parts() -> None:
    err = _error("assign XT-2026-001\ntask: a | lead: T")
    assert error_text(err, translator("zh-CN")).startswith("第 1 个任务缺少：负责人、截止。")
    assert error_text(err, translator("en")).startswith("Task 1 is missing: owner, due.")


def test_an_unknown_verb_gets_the_general_help() -> None:
    text = error_text(_error("frobnicate"), translator("en"))
    assert text == 'Unknown command "frobnicate".\n\n' + CATALOGS["en"]["usage.help"]


@pytest.mark.parametrize("text", [
    "frobnicate", "show", "show abc", "ack XT-2026-001", "新建\n预算: 5", "daily X-1 today: 1\na: 2",
    "新建\n截止: 尽快", "issue X-1 urgent: maybe", "新建\n时间节点: x", "status X-1#1",
    "assign X-1 task: a", "assign X-1 task: a | b: c", "assign X-1 task: a | zzz",
    "assign X-1 task: a | lead: A/B | owner: o | due: 8/1", "cancel X-1", "reply X-1",
    "daily X-1 today: a\ntoday: b",
])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_error_renders_completely(text: str, locale: str) -> None:
    rendered = error_text(_error(text), translator(locale))
    assert "{" not in rendered and "command." not in rendered
