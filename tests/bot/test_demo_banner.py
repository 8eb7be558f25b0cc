"""`collab-bot demo --org FILE`: the banner is written for the org that runs — its people, its
departments, its language, dates from the virtual clock's start — and what it tells a person to
type works on the local platform as printed."""
from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app import DEMO_ORG, load_org_file
from bot.demo_banner import demo_banner
from harness import start_platform, stop_platform

ACME = """\
workspace: {platform: local, id: acme, name: Acme, locale: en, timezone: Europe/Berlin, country: DE}
departments:
  - {name: Ops, head: ann, liaison: ola}
  - {name: Web, head: bob}
  - {name: Brand, head: cat}
people:
  - {id: ann, name: Ann Berg, department: Ops}
  - {id: ola, name: Ola Lind, department: Ops}
  - {id: pia, name: Pia Holm, department: Ops}
  - {id: bob, name: Bob Falk, department: Web}
  - {id: dan, name: Dan Ek, department: Web}
  - {id: cat, name: Cat Nord, department: Brand}
  - {id: eva, name: Eva Sand, department: Brand}
"""
BERLIN = datetime(2026, 9, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def _bodies(banner: str) -> list[tuple[str, dict]]:
    """Each `curl -XPOST …/local/<path> … -d '<json>'` of the banner: (path, body)."""
    return [(path, json.loads(body.replace("'\\''", "'")))
            for path, body in re.findall(r"-XPOST localhost:\d+/local/(\w+) .*? -d '(.*)'$", banner, re.M)]


def test_another_orgs_banner_shows_its_people_in_its_language(tmp_path):
    org = tmp_path / "acme.yaml"
    org.write_text(ACME, encoding="utf-8")
    banner = demo_banner(load_org_file(org), host="127.0.0.1", port=8000, org=str(org), start=BERLIN)
    assert "Pia Holm (pia) of Ops" in banner and "Ann Berg (ann), head of Ops" in banner
    assert "/collab new" in banner and "departments: Web, Brand" in banner and "due: 10/4" in banner
    for sample in ("孙浩", "王芳", "产品部", "技术部", "sun", "wang", "/协作 新建"):
        assert sample not in banner, sample
    demo = demo_banner(load_org_file(DEMO_ORG), host="127.0.0.1", port=8000, org="demo_org.yaml",
                       start=datetime(2026, 7, 13, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert "孙浩 (sun) of 产品部" in demo and "/协作 新建" in demo and "截止: 8/15" in demo


async def test_what_the_banner_says_to_type_works_for_that_org(database_url, tmp_path):
    url, schema = database_url
    org = tmp_path / "acme.yaml"
    org.write_text(ACME, encoding="utf-8")
    banner = demo_banner(load_org_file(org), host="127.0.0.1", port=8000, org=str(org), start=BERLIN)
    started = await start_platform(url, schema, start=BERLIN, org=org, local_workspace="acme")
    platform = started[0]
    try:
        answers = [(await platform.http.post(f"/local/{path}", json=body)).json() for path, body in _bodies(banner)]
        assert all(a.get("ok", True) for a in answers), answers
        filed, approved, split = answers[:3]
        assert "2026-001" in filed["reply"] and split["ok"]
        cards = [m["card"]["title"] for m in await platform.messages() if m["card"]]
        assert any("Page build" in str(m) for m in await platform.messages()), cards
    finally:
        await stop_platform(*started)
