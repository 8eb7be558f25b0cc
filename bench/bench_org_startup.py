"""Start-up with a 2,000-person org (issue 15 benchmark): `serve` re-imports `ORG_FILE` on every
start. Measured in one run, each on a fresh database: what `serve` does before it listens
(`bot.cli._prepare`: Alembic upgrade, then the org file) — the first start, a restart with the
file unchanged (skipped by its hash), a restart after one person changed (a bulk re-import,
one `org_version` bump) — and, as the control, the import as it was before (statements per
person, `org_version` bumped per person), replayed here on the same file.

Run: `python bench/bench_org_startup.py` (PostgreSQL too when TEST_DATABASE_URL is set).
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import update  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bench.common import backends, cpu_seconds, fresh_pg_database, timed  # noqa: E402
from bot import cli  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import Database, UnitOfWork  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.tables import Department, Person, PersonIdentity, Workspace  # noqa: E402
from workflows.org import OrgSpec  # noqa: E402
from workflows.org.file import read_org_file  # noqa: E402

PEOPLE, DEPARTMENTS = 2_000, 40


def org_text(rename: str = "") -> str:
    depts = "\n".join(f"  - {{name: 部门{d}, head: p{d}, liaison: p{d + 40}, vp: p0}}" for d in range(DEPARTMENTS))
    people = "\n".join(f"  - {{id: p{i}, name: {rename if i == 7 and rename else f'员工{i}'}, "
                       f"department: 部门{i % DEPARTMENTS}, email: p{i}@example.com, identities: {{slack: U{i:05d}}}}}"
                       for i in range(PEOPLE))
    return (f"workspace: {{platform: slack, id: T0BENCH, name: Bench, locale: en, timezone: Asia/Shanghai, "
            f"country: CN}}\ndepartments:\n{depts}\npeople:\n{people}\n")


async def legacy_import(uow: UnitOfWork, spec: OrgSpec) -> None:
    """The import before issue 15, statement for statement (the control)."""
    ws_id = spec.workspace_id
    ws = Workspace(id=ws_id, platform=spec.workspace.platform, external_id=spec.workspace.id)
    ws.org_version += 1
    uow.add(ws)
    await uow.flush()
    depts = {}
    for d in spec.departments:
        depts[d.name] = Department(workspace_id=ws_id, name=d.name)
        uow.add(depts[d.name])
    await uow.flush()
    people = {}
    for p in spec.people:
        people[p.id] = Person(workspace_id=ws_id, key=p.id, name=p.name, email=p.email, is_admin=p.admin,
                              department_id=depts[p.department].id if p.department else None)
        uow.add(people[p.id])
    await uow.flush()
    for p in spec.people:
        await uow.session.exec(update(Workspace).where(col(Workspace.id) == ws_id)  # type: ignore[call-overload]
                               .values(org_version=Workspace.org_version + 1))
        external = p.identities.get(spec.workspace.platform)
        existing = await uow.first(select(PersonIdentity).where(
            PersonIdentity.workspace_id == ws_id, PersonIdentity.external_id == external))
        if existing is None:
            uow.add(PersonIdentity(workspace_id=ws_id, person_id=people[p.id].id, external_id=external))
    await uow.flush()


class Fresh:
    """A database URL of its own (SQLite file / a new PostgreSQL database), as `serve` would be
    given. (Not a schema through `?options=-csearch_path=…`: the connection's own `options`, which
    carry the statement timeout, replace the URL's.)"""

    def __init__(self, backend: str) -> None:
        self.backend, self.tmp = backend, tempfile.TemporaryDirectory()
        self.stack = ExitStack()
        if backend == "sqlite":
            self.url = f"sqlite:///{Path(self.tmp.name) / 'start.db'}"
        else:
            self.url = self.stack.enter_context(fresh_pg_database())

    def close(self) -> None:
        self.stack.close()
        self.tmp.cleanup()


async def phase(fn) -> tuple[float, float]:
    before = cpu_seconds()
    took, _ = await timed(fn)
    return took, cpu_seconds() - before


async def run(backend: str) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    org = Path(tempfile.mkdtemp()) / "org.yaml"
    org.write_text(org_text(), encoding="utf-8")
    new, old, empty = Fresh(backend), Fresh(backend), Fresh(backend)
    try:
        out["(Alembic upgrade of an empty database alone)"] = await phase(lambda: asyncio.to_thread(upgrade, empty.url))
        settings = Settings(database_url=new.url, org_file=org)
        out["first start (upgrade + import)"] = await phase(lambda: cli._prepare(settings, org))
        out["restart, file unchanged"] = await phase(lambda: cli._prepare(settings, org))
        org.write_text(org_text(rename="新名字"), encoding="utf-8")
        out["restart, one person changed"] = await phase(lambda: cli._prepare(settings, org))

        await asyncio.to_thread(upgrade, old.url)
        db = Database(old.url)

        async def before_issue_15() -> None:
            spec, _ = read_org_file(org)
            async with db.uow() as uow:
                await legacy_import(uow, spec)
        upgrade_s, _ = await timed(lambda: asyncio.to_thread(upgrade, old.url))
        wall, cpu = await phase(before_issue_15)
        out["control: first import as before (+ upgrade no-op)"] = (wall + upgrade_s, cpu)
        async with db.uow() as uow:
            version = (await uow.get(Workspace, "slack:T0BENCH")).org_version
        assert version == PEOPLE + 1, version
        await db.dispose()
    finally:
        for fresh in (new, old, empty):
            fresh.close()
    return out


async def main() -> None:
    print(f"| backend | {PEOPLE:,} people, {DEPARTMENTS} departments | wall | bot CPU |")
    print("|---|---|---|---|")
    for backend in backends():
        for name, (wall, cpu) in (await run(backend)).items():
            print(f"| {backend} | {name} | {wall:.2f} s | {cpu:.2f} s |")


if __name__ == "__main__":
    asyncio.run(main())
