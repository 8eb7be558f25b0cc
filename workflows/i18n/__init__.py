"""Message catalogs (R27): every user-facing string, zh-CN and en.

Catalog files are `<area>.<locale>.json` in this folder (`messages.zh-CN.json`,
`usage.en.json` …); all files of a locale merge into one catalog. A key missing in the
workspace's locale falls back to the other locale, and the test suite fails on any such gap.
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

LOCALES = ("zh-CN", "en")
_DIR = Path(__file__).parent

Translate = Callable[..., str]
log = logging.getLogger("collab.i18n")


class _Params(dict):
    """A missing placeholder stays visible (and is logged) rather than failing the event."""

    def __missing__(self, name: str) -> str:
        log.error("message parameter missing", extra={"parameter": name})
        return "{" + name + "}"


@lru_cache(maxsize=None)
def catalog(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(_DIR.glob(f"*.{locale}.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def normalise(locale: str | None) -> str:
    if locale and locale.lower().startswith("zh"):
        return "zh-CN"
    return "en"


def translator(locale: str | None) -> Translate:
    """`t = translator("zh-CN"); t("request.filed", number="XT-2026-001")`."""
    primary = catalog(normalise(locale))
    fallback = catalog("en" if normalise(locale) == "zh-CN" else "zh-CN")

    def t(key: str, /, **params: Any) -> str:
        template = primary.get(key) or fallback.get(key)
        if template is None:
            return key
        return template.format_map(_Params(params))

    return t
