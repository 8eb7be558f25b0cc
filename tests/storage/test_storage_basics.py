"""The unit of work commits together or not at all (DESIGN rule 2)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from storage.tables import AuditEvent, Workspace

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)


async def test_a_failed_event_leaves_nothing_behind(db):
    with pytest.raises(RuntimeError):
        async with db.uow() as uow:
            uow.add(Workspace(id="local:x", platform="local", external_id="x"))
            uow.add(AuditEvent(workspace_id="local:x", action="request.file", at=NOW))
            await uow.flush()
            raise RuntimeError("crash mid-event")
    async with db.uow() as uow:
        assert await uow.all(select(AuditEvent)) == []
        assert await uow.get(Workspace, "local:x") is None


async def test_times_come_back_aware_utc(db):
    async with db.uow() as uow:
        uow.add(Workspace(id="local:x", platform="local", external_id="x"))
        uow.add(AuditEvent(workspace_id="local:x", action="a", at=NOW))
    async with db.uow() as uow:
        row = await uow.first(select(AuditEvent))
        assert row.at == NOW and row.at.tzinfo is not None


async def test_appended_rows_are_readable_in_their_transaction_and_checked_for_shape(db):
    at = datetime(2026, 7, 13, 2, 0, tzinfo=timezone.utc)
    async with db.uow() as uow:
        uow.add(Workspace(id="local:x", platform="local", external_id="x"))
        uow.append(AuditEvent, workspace_id="local:x", action="request.file", at=at)
        seen = await uow.all(select(AuditEvent.action, AuditEvent.detail))
        assert seen == [("request.file", {})]  # inserted before the read, defaults filled
        with pytest.raises(TypeError, match="action is required"):
            uow.append(AuditEvent, workspace_id="local:x", at=at)
            await uow.flush()
        with pytest.raises(TypeError, match="no field colour"):
            uow.append(AuditEvent, workspace_id="local:x", action="x", colour="red", at=at)
            await uow.flush()


async def test_an_appended_row_refused_at_the_end_commits_nothing_and_the_next_event_runs(db):
    """The last appended rows go with the COMMIT (PostgreSQL: in one pipeline): a row the
    database refuses there is raised as the IntegrityError the core retries on, the whole
    transaction is gone, and the connection serves the next transaction."""
    from sqlalchemy.exc import IntegrityError

    from storage.tables import ProcessedEvent

    with pytest.raises(IntegrityError):
        async with db.uow() as uow:
            uow.add(Workspace(id="local:x", platform="local", external_id="x"))
            uow.append(AuditEvent, workspace_id="local:x", action="request.file", at=NOW)
            uow.append(ProcessedEvent, platform="local", event_id="e1", at=NOW)
            uow.append(ProcessedEvent, platform="local", event_id="e1", at=NOW)
    for _ in range(3):  # every pooled connection is fine again
        async with db.uow() as uow:
            assert await uow.all(select(AuditEvent)) == []
            assert await uow.get(Workspace, "local:x") is None
