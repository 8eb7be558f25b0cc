"""The CLI as an operator uses it: `db upgrade` creates the schema, `org import` loads an org
(and names what is wrong with a broken one); the demo's settings build a working app."""
from __future__ import annotations

import asyncio

from sqlmodel import select

from bot import cli
from bot.app import DEMO_ORG
from storage.db import Database
from storage.tables import Department, Person


def test_db_upgrade_then_org_import_loads_the_departments(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ops.db'}")
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main(["org", "import", str(DEMO_ORG)]) == 0
    assert cli.main(["org", "import", str(DEMO_ORG)]) == 0  # importing again updates, never duplicates

    async def count() -> tuple[int, int]:
        db = Database(f"sqlite:///{tmp_path / 'ops.db'}")
        async with db.uow() as uow:
            result = len(await uow.all(select(Department))), len(await uow.all(select(Person)))
        await db.dispose()
        return result
    assert asyncio.run(count()) == (6, 16)


def test_a_broken_org_file_is_refused_with_the_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ops.db'}")
    bad = tmp_path / "org.yaml"
    bad.write_text("workspace: {id: x}\ndepartments: [{name: 技术部, head: nobody}]\npeople: []\n", encoding="utf-8")
    assert cli.main(["org", "import", str(bad)]) == 2
    assert "nobody" in capsys.readouterr().err


def test_demo_says_exactly_what_is_wrong_with_its_org_or_start(tmp_path, capsys):
    """`collab-bot demo --org FILE --start …`: a bad start time, or an org for another platform, is
    one clear line and exit 2 — nothing is started."""
    from bot.cli import main

    assert main(["demo", "--start", "tomorrow"]) == 2
    assert "--start" in capsys.readouterr().err
    assert main(["demo", "--start", "2026-09-01T09:00:00"]) == 2
    assert "offset" in capsys.readouterr().err
    slack_org = tmp_path / "org.yaml"
    slack_org.write_text("workspace: {platform: slack, id: T1}\ndepartments: []\npeople: []\n", encoding="utf-8")
    assert main(["demo", "--org", str(slack_org)]) == 2
    assert "platform: local" in capsys.readouterr().err


def test_demo_runs_an_org_whose_workspace_is_not_called_demo(tmp_path):
    from bot.cli import _demo_problem
    from workflows.org.file import read_org_file

    org = tmp_path / "acme.yaml"
    org.write_text("workspace: {platform: local, id: acme, locale: en, timezone: Europe/Berlin, country: DE}\n"
                   "departments: [{name: Ops, head: ann}]\npeople: [{id: ann, name: Ann, department: Ops}]\n",
                   encoding="utf-8")
    assert _demo_problem(org, "2026-09-01T09:00:00+02:00") == ""
    assert read_org_file(org)[0].workspace.id == "acme"  # the demo serves local:acme
