"""A submitted form read with the same value parsers as the typed command, field by field —
so a form reaches the same service as `/协作 新建 …` without being turned back into text."""
from __future__ import annotations

from typing import Any, Mapping

from workflows.grammar.fields import VERB_FIELDS, kind_of, parse_value


def read_form(verb: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical field name → parsed value; raises `CommandError` naming the field."""
    out: dict[str, Any] = {}
    for name in VERB_FIELDS[verb]:
        value = raw.get(name)
        if value in (None, "", [], ()):
            continue
        if isinstance(value, (list, tuple)):
            items = [str(v).strip() for v in value if str(v).strip()]
            if kind_of(verb, name) == "list":
                out[name] = items
                continue
            value = "\n".join(items)
        out[name] = parse_value(verb, name, str(value).strip())
    return out
