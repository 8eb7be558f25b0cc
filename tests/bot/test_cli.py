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
