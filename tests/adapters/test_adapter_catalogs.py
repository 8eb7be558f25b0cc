"""R27 for the adapters' own catalogs (adapters/<platform>/messages.<locale>.json): both
locales have the same keys and placeholders, and every literal key an adapter uses exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.i18n import own_catalog
from workflows.i18n import catalog

ROOT = Path(__file__).resolve().parents[2] / "adapters"
PLATFORMS = sorted(p.name for p in ROOT.iterdir() if list(p.glob("messages.*.json")))
KEY = re.compile(r"""(?:\bt|_t|self\.t|self\._t|translator\([^)]*\))\(\s*"([a-z_]+\.[a-z_.]*[a-z])\"""")


def test_slack_feishu_and_dingtalk_have_catalogs():
    assert {"slack", "feishu", "dingtalk"} <= set(PLATFORMS)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_both_locales_agree(platform):
    zh, en = own_catalog(platform, "zh-CN"), own_catalog(platform, "en")
    assert set(zh) == set(en)
    field = re.compile(r"{(\w+)}")
    assert [k for k in zh if set(field.findall(zh[k])) != set(field.findall(en[k]))] == []
    assert all(k.startswith(platform + ".") for k in zh)  # a platform's words, not the core's


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_literal_key_an_adapter_uses_exists(platform):
    used = {m.group(1) for path in (ROOT / platform).rglob("*.py")
            for m in KEY.finditer(path.read_text(encoding="utf-8"))}
    known = set(own_catalog(platform, "zh-CN")) | set(catalog("zh-CN"))
    assert used and sorted(used - known) == []
