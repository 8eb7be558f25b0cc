"""Adapter-owned message catalogs (R27): each platform keeps the words only it says (toasts,
refusals of its transport, its guided forms) in `adapters/<platform>/messages.<locale>.json`,
merged over the core's catalogs — the core never carries a platform's strings."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from workflows.i18n import LOCALES, Translate, catalog, normalise

_DIR = Path(__file__).parent


@lru_cache(maxsize=None)
def own_catalog(platform: str, locale: str) -> dict[str, str]:
    path = _DIR / platform / f"messages.{locale}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def translator(platform: str, locale: str | None) -> Translate:
    """Like `workflows.i18n.translator`, with the platform's own catalog first."""
    primary_locale = normalise(locale)
    other = next(loc for loc in LOCALES if loc != primary_locale)
    layers = [own_catalog(platform, primary_locale), catalog(primary_locale),
              own_catalog(platform, other), catalog(other)]

    def t(key: str, /, **params: Any) -> str:
        for layer in layers:
            template = layer.get(key)
            if template is not None:
                return template.format_map(_Params(params))
        return key

    return t


class _Params(dict):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"
