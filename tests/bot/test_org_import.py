"""Issue 14/15 as an operator meets them: `collab-bot org import` refuses a broken file with every
problem and exit 2 and changes nothing; a re-import is a full replacement that says what changed;
`--dry-run` only shows it; `serve`/`demo` skip an unchanged `ORG_FILE`."""
from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import cli
from bot.app import DEMO_ORG, import_org_file
from bot.settings import Settings
from storage.db import Database
from storage.tables import AuditEvent, Department, Person, PersonIdentity, Workspace
from workflows.clock import VirtualClock
from workflows.core import Core
from workflows.events import CommandInvoked, Tenant

DEMO = DEMO_ORG.read_text(encoding="utf-8")
FILE = "new\ntitle: 详情页改版\ngoal: 提升转化率\ndepts: 技术部\ndue: 8/15\nstandard: 加载≤2秒"


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ops.db'}"


async def _state(url: str) -> dict:
    db = Database(url)
    try:
        async with db.uow() as uow:
            ws = await uow.get(Workspace, "local:demo")
            return {"version": ws.org_version if ws else None,
                    "people": sorted((p.key, p.active, p.department_id) for p in await uow.all(select(Person))),
                    "depts": sorted((d.name, d.active, d.head_id) for d in await uow.all(select(Department))),
                    "ids": sorted(i.external_id for i in await uow.all(select(PersonIdentity)))}
    finally:
        await db.dispose()


def test_a_broken_file_exits_2_names_every_line_and_changes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", _url(tmp_path))
    assert cli.main(["org", "import", str(DEMO_ORG)]) == 0
    before = asyncio.run(_state(_url(tmp_path)))
    bad = tmp_path / "org.yaml"
    bad.write_text(DEMO.replace("country: CN", "country: ZZ").replace("head: huang, ", "")
                   .replace("  - {id: xu, name: 徐阳, department: 市场部}", "  - {id: liu, name: 徐阳, department: 市场部}"),
                   encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["org", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "3 problem(s)" in err and "nothing changed" in err
    assert "line 9 (workspace.country)" in err and "设计部 has no head" in err and "'liu' is listed twice" in err
    assert "Traceback" not in err
    assert asyncio.run(_state(_url(tmp_path))) == before


def test_malformed_yaml_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", _url(tmp_path))
    bad = tmp_path / "org.yaml"
    bad.write_text("workspace: {id: x\npeople: [\n", encoding="utf-8")
    assert cli.main(["org", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "malformed YAML" in err and "line " in err and len(err.splitlines()) == 2


def test_reimport_is_a_full_replacement_reported_and_removed_people_cannot_file(tmp_path, monkeypatch, capsys):
    url = _url(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["org", "import", str(DEMO_ORG)]) == 0
    assert "local:demo: new workspace" in capsys.readouterr().out
    core_db = Database(url)
    core = Core(db=core_db, clock=VirtualClock(datetime(2026, 7, 13, 10, tzinfo=ZoneInfo("Asia/Shanghai"))))
    say = lambda user, n: core.handle(CommandInvoked(tenant=Tenant("local", "demo"), actor=user,  # noqa: E731
                                                     conversation="g1", event_id=f"e{n}", text=FILE))
    assert asyncio.run(say("xu", 1)).ok  # 徐阳 of 市场部 files XT-2026-001

    smaller = tmp_path / "org.yaml"
    smaller.write_text(DEMO.replace("  - {id: xu, name: 徐阳, department: 市场部}\n", "")
                       .replace("  - {name: 客服部, head: guo, liaison: ma, vp: zhao}\n", "")
                       .replace("  - {id: guo, name: 郭涛, department: 客服部}\n", "")
                       .replace("  - {id: ma, name: 马静, department: 客服部}\n", "")
                       .replace("{id: chen, name: 陈静, department: 市场部}", "{id: chen, name: 陈静, department: 技术部}"),
                       encoding="utf-8")
    assert cli.main(["org", "import", "--dry-run", str(smaller)]) == 0
    out = capsys.readouterr().out
    assert "- person xu" in out and "- department 客服部" in out and "~ person chen: department '市场部' → '技术部'" in out
    assert "dry run, nothing changed" in out
    assert ("xu", True) in [(k, a) for k, a, _ in asyncio.run(_state(url))["people"]]

    assert cli.main(["org", "import", str(smaller)]) == 0
    out = capsys.readouterr().out
    assert "- person xu" in out and "- person guo" in out and "org imported" in out
    state = asyncio.run(_state(url))
    assert ("xu", False, None) in state["people"] and "xu" not in state["ids"]
    assert ("客服部", False, None) in state["depts"]

    refused = asyncio.run(say("xu", 2))  # xu is no longer anyone here
    assert not refused.ok and "xu" in refused.text

    async def history() -> list[str]:
        async with core_db.uow() as uow:
            return [a.action for a in await uow.all(select(AuditEvent))]
    assert "request.file" in asyncio.run(history())  # xu's filing stays in the trail
    asyncio.run(core_db.dispose())

    assert cli.main(["org", "import", str(smaller)]) == 0
    assert "local:demo: no changes" in capsys.readouterr().out


def test_start_up_skips_an_unchanged_org_file_and_imports_a_changed_one(tmp_path):
    url = _url(tmp_path)
    org = tmp_path / "org.yaml"
    org.write_text(DEMO, encoding="utf-8")
    settings = Settings(database_url=url, org_file=org)
    first = asyncio.run(cli._prepare(settings, org))
    assert first is not None and first.diff.created
    version = asyncio.run(_state(url))["version"]
    assert asyncio.run(cli._prepare(settings, org)) is None  # the same file: not imported again
    assert asyncio.run(_state(url))["version"] == version
    org.write_text(DEMO.replace("name: 示例公司", "name: 新公司"), encoding="utf-8")
    changed = asyncio.run(cli._prepare(settings, org))
    assert changed is not None and "~ workspace: name '示例公司' → '新公司'" in changed.diff.summary()
    assert asyncio.run(_state(url))["version"] == version + 1  # one bump per import


def test_serve_with_a_broken_org_file_exits_2_without_a_traceback(tmp_path, monkeypatch, capsys):
    org = tmp_path / "org.yaml"
    org.write_text(DEMO.replace("timezone: Asia/Shanghai", "timezone: Nowhere/Land"), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", _url(tmp_path))
    monkeypatch.setenv("ORG_FILE", str(org))
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "workspace.timezone" in err and "Traceback" not in err


async def test_a_2000_person_org_bumps_the_version_once(db, tmp_path):
    people = "\n".join(f"  - {{id: p{i}, name: 员工{i}, department: 部门{i % 40}}}" for i in range(2000))
    depts = "\n".join(f"  - {{name: 部门{d}, head: p{d}}}" for d in range(40))
    path = tmp_path / "big.yaml"
    path.write_text(f"workspace: {{platform: local, id: demo}}\ndepartments:\n{depts}\npeople:\n{people}\n",
                    encoding="utf-8")
    result = await import_org_file(db, path)
    assert result is not None and result.diff.lines == ["+ 40 departments, 2000 people"]
    async with db.uow() as uow:
        assert (await uow.get(Workspace, "local:demo")).org_version == 1
        assert len(await uow.all(select(PersonIdentity))) == 2000
    assert await import_org_file(db, path, skip_unchanged=True) is None
