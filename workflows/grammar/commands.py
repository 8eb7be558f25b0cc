"""The command grammar (R27: Chinese and English words): text in, `Command` or `CommandError` out.

`/collab daily XT-2026-001 #1 today: 完成登录页` and `/协作 日报 XT-2026-001＃1 今日：完成登录页`
give the same `Command`. Pure and clock-free: dates are checked for shape only and kept as
text; services parse them with `workflows.grammar.dates` once today's date is known.

Grammar: `[/collab|/协作] <verb> [<request number>[#<seq>]] [<keyword>] [free text] [fields]`.
Verbs, keywords and field names are data tables; the result always uses the English names.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from workflows.grammar.fields import FIELD_ALIASES, VERB_FIELDS, parse_value, split_fields
from workflows.grammar.tasks import TASK_KEYS, parse_tasks
from workflows.grammar.types import Command, CommandError
from workflows.grammar.vocabulary import KEYWORDS

__all__ = ["Command", "CommandError", "VERBS", "VERB_ALIASES", "command_text", "parse", "usage", "error_text"]

VERB_ALIASES: dict[str, tuple[str, ...]] = {
    "new": ("新建", "发起"), "list": ("列表",), "show": ("查看",), "assign": ("分工",),
    "daily": ("日报",), "issue": ("问题",), "ack": ("响应",), "resolve": ("解决",),
    "status": ("状态",), "board": ("看板",), "change": ("变更",), "deliver": ("交付",),
    "accept": ("验收",), "feedback": ("反馈",), "reply": ("答复",), "revise": ("修订",),
    "dispute": ("争议",), "lesson": ("复盘",), "archive": ("归档",), "cancel": ("取消",),
    "archive_file": ("档案", "归档文件", "archive-file", "archive file"),  # R22: get it, or add a note
    "help": ("帮助",), "receive": ("确认接收", "接收"),
    "risk": ("风险", "风险登记"), "action": ("行动项",),
    "kickoff": ("启动会",), "minutes": ("纪要", "会议纪要"), "memo": ("备忘录", "协作备忘录"),
    "resources": ("资源", "资源需求"), "huddle": ("碰头会",),
    "panel": ("验收小组", "联合验收"), "vote": ("投票",),
}
VERBS: tuple[str, ...] = tuple(VERB_ALIASES)

@dataclass(frozen=True)
class VerbSpec:
    ref: str = "required"  # "none" | "optional" | "required": the request number
    sub: bool = False  # the `#N` after the number is required (issue / task reference)
    keywords: tuple[str, ...] = ()  # canonical keywords this verb recognises
    default_field: str | None = None  # free text fills this field when it is not given
    needs_text: bool = False  # free text (or the default field) is required
    strict: bool = False  # every line-start `label:` must be one of the verb's fields


SPECS: dict[str, VerbSpec] = {
    "new": VerbSpec(ref="none", strict=True),  # R1; no fields → the caller opens the form
    "list": VerbSpec(ref="none", keywords=("all",)),
    "show": VerbSpec(),
    "assign": VerbSpec(),  # R5
    "daily": VerbSpec(default_field="today"),  # R7
    "issue": VerbSpec(keywords=("urgent",), default_field="desc"),  # R12, R14
    "ack": VerbSpec(sub=True),  # R14
    "resolve": VerbSpec(sub=True, default_field="solution", needs_text=True),  # R14
    "status": VerbSpec(sub=True, keywords=("not_started", "in_progress", "done", "delayed")),
    "board": VerbSpec(ref="optional"),
    "change": VerbSpec(default_field="reason"),  # R17
    "deliver": VerbSpec(default_field="deliverables"),  # R19
    "accept": VerbSpec(keywords=("pass", "fail", "rework"), default_field="notes"),  # R20
    "feedback": VerbSpec(keywords=("plan",), needs_text=True),  # R16, R18
    "reply": VerbSpec(needs_text=True),  # R16
    "revise": VerbSpec(needs_text=True),  # R18
    "dispute": VerbSpec(default_field="desc", needs_text=True),  # R15
    "lesson": VerbSpec(needs_text=True),  # R23
    "archive": VerbSpec(keywords=("force",)),  # R22: "force" archives with issues still open
    "archive_file": VerbSpec(default_field="notes"),  # R22: the archive; with text, a note (lead side)
    "cancel": VerbSpec(default_field="reason", needs_text=True),
    "help": VerbSpec(ref="none"),
    "receive": VerbSpec(),  # R28
    "risk": VerbSpec(default_field="desc"),  # R32: with fields adds a risk, without lists the register
    "action": VerbSpec(default_field="item"),  # R31: with fields adds an item under task #N, without lists
    "kickoff": VerbSpec(),  # R29
    "memo": VerbSpec(default_field="clause"),  # R30: show it, or rewrite 违约处理
    "huddle": VerbSpec(sub=True, default_field="outcome"),  # R36: call it, or record its outcome
    "panel": VerbSpec(keywords=("unanimous", "initiator_decides")),  # R35 the rule
    "vote": VerbSpec(keywords=("pass", "fail")),  # R35 free text is the reason
    "resources": VerbSpec(keywords=("available",)),  # R33: this department's need (可用: availability)
    "minutes": VerbSpec(keywords=("weekly",), default_field="decisions"),  # R29: #N names the meeting
}

_ALIAS_TO_VERB = {a.casefold(): v for v, aliases in VERB_ALIASES.items() for a in (v, *aliases)}
_CJK_VERBS = sorted((a for a in _ALIAS_TO_VERB if not a.isascii()), key=len, reverse=True)
# verbs of two words (`archive file`), tried before the one-word verb they start with
_WORDS_VERB = re.compile(r"(%s)(?=\s|$)" % "|".join(
    re.escape(a).replace(r"\ ", r"\s+") for a in sorted((a for a in _ALIAS_TO_VERB if " " in a), key=len, reverse=True)),
    re.IGNORECASE)
_PREFIX = re.compile(r"[/／]\s*(?:collab(?![A-Za-z])|协作)\s*", re.IGNORECASE)
_REF = re.compile(r"[A-Za-zＡ-Ｚａ-ｚ][A-Za-z0-9Ａ-Ｚａ-ｚ０-９_\-－]*")
_SUB = re.compile(r"\s*[#＃]\s*(\d*)")
_TOKEN = re.compile(r"\S+")


def _keyword_pattern(words: list[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(w).replace(r"\ ", r"\s+").replace(r"\-", r"[-_]")
                    for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\s*({alts})(?=$|[\s,，;；。.!！])(?!\s*[:：])", re.IGNORECASE)


_KEYWORD_TO_WORD = {a.casefold(): w for w, aliases in KEYWORDS.items()
                    for a in (w, *aliases)}
_KEYWORD_PATTERNS = {
    verb: _keyword_pattern([a for w in spec.keywords for a in (w, *KEYWORDS[w])])
    for verb, spec in SPECS.items() if spec.keywords
}
_KEYWORD_PATTERNS["help"] = _keyword_pattern(list(_ALIAS_TO_VERB))


_ADDRESSED = re.compile(r"^\s*(?:@\S+\s+)*(?=[/／]\s*(?:collab(?![A-Za-z])|协作))", re.IGNORECASE)


def command_text(text: str) -> str | None:
    """What follows the command word (`/协作`, `／协作`, `/collab`, after any `@bot`), or None
    when the message is chatter rather than a command."""
    m = _ADDRESSED.match(text)
    rest = text[m.end():] if m else text.lstrip()
    word = _PREFIX.match(rest)
    return rest[word.end():].strip() if word else None


MAX_TEXT = 8000  # characters: a whole request form is well under 2,000


def parse(text: str) -> Command:
    """Parse what follows `/collab` or `/协作` (a leading command word is stripped too)."""
    if len(text) > MAX_TEXT:  # refused whole, never silently cut
        raise CommandError("command.too_long", {"length": len(text), "limit": MAX_TEXT})
    rest = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if m := _PREFIX.match(rest):
        rest = rest[m.end():]
    if not rest.strip():
        return Command(verb="help")
    verb, rest = _verb(rest)
    spec = SPECS[verb]
    ref, sub, rest = _reference(verb, spec, rest)
    words, rest = _keyword(verb, rest)
    if verb == "help":
        return _help(words, rest)
    if verb == "assign":
        free, tasks = parse_tasks(rest)
        return Command(verb=verb, ref=ref, sub=sub, words=words, text=free, tasks=tasks)
    free, fields = _fields(verb, spec, rest)
    if "urgent" in words:  # R14: a bare 紧急 / urgent marks the issue urgent
        fields.setdefault("urgent", True)
    _check_required(verb, spec, ref, words, free, fields)
    return Command(verb=verb, ref=ref, sub=sub, words=words, text=free, fields=fields)


def _verb(rest: str) -> tuple[str, str]:
    if words := _WORDS_VERB.match(rest.lstrip()):
        return _ALIAS_TO_VERB[" ".join(words.group(1).split()).casefold()], rest.lstrip()[words.end():]
    token = _TOKEN.match(rest.lstrip())
    word = unicodedata.normalize("NFKC", token.group(0)).casefold() if token else ""
    if word in _ALIAS_TO_VERB:
        return _ALIAS_TO_VERB[word], rest.lstrip()[token.end():]
    for alias in _CJK_VERBS:  # `查看XT-2026-001` — Chinese needs no space after the verb
        if rest.lstrip().startswith(alias):
            return _ALIAS_TO_VERB[alias], rest.lstrip()[len(alias):]
    raise CommandError("command.unknown_verb", {"verb": token.group(0) if token else ""})


def _reference(verb: str, spec: VerbSpec, rest: str) -> tuple[str | None, int | None, str]:
    """The request number (upper-cased) and optional `#N` at the start of `rest`."""
    if spec.ref == "none":
        return None, None, rest
    body = rest.lstrip()
    m = _REF.match(body)
    ref = unicodedata.normalize("NFKC", m.group(0)).upper() if m else ""
    if not m or not any(c.isdigit() for c in ref) or len(ref) > 40:
        if spec.ref == "optional":
            return None, None, rest
        token = _TOKEN.match(body)
        if token is None:
            raise CommandError("command.missing_ref", verb=verb)
        raise CommandError("command.bad_ref", {"value": token.group(0)}, verb=verb)
    body = body[m.end():]
    sub = None
    if s := _SUB.match(body):
        if not s.group(1):
            raise CommandError("command.bad_ref", {"value": f"{ref}#"}, verb=verb)
        sub, body = int(s.group(1)), body[s.end():]
    if spec.sub and sub is None:
        raise CommandError("command.missing_seq", {"ref": ref}, verb=verb)
    return ref, sub, body


def _keyword(verb: str, rest: str) -> tuple[list[str], str]:
    pattern = _KEYWORD_PATTERNS.get(verb)
    m = pattern.match(rest) if pattern else None
    if m is None:
        return [], rest
    said = " ".join(m.group(1).split()).casefold()
    word = _ALIAS_TO_VERB[said] if verb == "help" else _KEYWORD_TO_WORD[said]
    return [word], rest[m.end():]


def _help(words: list[str], rest: str) -> Command:
    token = _TOKEN.match(rest.strip())
    if token and not words:
        raise CommandError("command.unknown_verb", {"verb": token.group(0)}, verb="help")
    return Command(verb="help", words=words, text=rest.strip())


def _fields(verb: str, spec: VerbSpec, rest: str) -> tuple[str, dict[str, Any]]:
    if verb not in VERB_FIELDS:
        return rest.strip(), {}
    free, raw = split_fields(rest, verb, strict=spec.strict)
    fields = {name: parse_value(verb, name, value) for name, value in raw if value}
    if free and spec.default_field and spec.default_field not in fields:
        fields[spec.default_field] = parse_value(verb, spec.default_field, free)
    return free, fields


def _check_required(verb: str, spec: VerbSpec, ref: str | None, words: list[str], free: str,
                    fields: dict[str, Any]) -> None:
    if verb == "cancel" and not fields.get("reason"):
        raise CommandError("command.missing_reason", {"ref": ref}, verb=verb)
    if spec.needs_text and not (fields.get(spec.default_field or "") or free):
        raise CommandError("command.missing_text", {"ref": ref}, verb=verb)
    if verb == "status" and not words and "risk" not in fields:  # R9
        raise CommandError("command.missing_status", {"ref": ref}, verb=verb)


def usage(verb: str | None, t: Callable[..., str]) -> str:
    """The usage text of `verb` (either language's word), or the list of all verbs."""
    canonical = _ALIAS_TO_VERB.get((verb or "").casefold())
    return t(f"usage.{canonical}" if canonical else "usage.help")


_LABELLED = frozenset({*FIELD_ALIASES, *TASK_KEYS})


def error_text(err: CommandError, t: Callable[..., str]) -> str:
    """The error in the user's language, followed by the usage of the verb it concerns."""
    params = dict(err.params)
    if params.get("field") in _LABELLED:
        params["field"] = t(f"command.field.{params['field']}")
    if isinstance(params.get("missing"), list):
        params["missing"] = t("command.list_sep").join(
            t(f"command.field.{name}") for name in params["missing"])
    return f"{t(err.key, **params)}\n\n{usage(err.verb, t)}"
