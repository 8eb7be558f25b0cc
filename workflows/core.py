"""The core's one door: `handle(event) -> Reply` — de-duplicate, resolve the actor, authorise,
run the workflow, and commit state + audit + outbox + timers in ONE transaction (DESIGN rules
2, 3, 6). Timers and cron ticks come in through `fire_timer` / `run_tick` inside the
scheduler's own transaction."""
from __future__ import annotations

import functools
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import select

from storage.db import Database, UnitOfWork, is_unavailable, stale_connection
from storage.statements import upsert_of
from storage.tables import AuditEvent, Person, PersonIdentity, ProcessedEvent, Timer, Workspace
from workflows import org
from workflows.clock import Clock
from workflows.grammar import CommandError, error_text, parse, usage
from workflows.kernel.context import Ctx, Links, Org
from workflows.errors import Refused, Unavailable, UserError
from workflows.kernel.estimates import warn_estimated_years
from workflows.events import ActionInvoked, CommandInvoked, Event, FormSubmitted, Reply, Tenant
from workflows.i18n import translator
from workflows.archive.document import write_files
from workflows.kernel.machine import InvalidTransition
from workflows.kernel.routes import Value
from workflows.router import ACTIONS, COMMANDS, FORMS, JOBS, TIMERS

log = logging.getLogger("collab.core")
ATTEMPTS = 5
# the i18n prefix of each entity's state words (InvalidTransition names the entity)
STATE_WORDS = {"request": "state", "task": "status", "issue": "issue_state", "change": "change_state",
               "dispute": "dispute_state"}


@functools.cache
def _record_event(dialect: str) -> Any:
    """`_first_time`'s statement, built once per dialect (issue 15: building it cost more CPU
    than its round trip)."""
    version = select(Workspace.org_version).where(Workspace.id == bindparam("workspace")).scalar_subquery()
    return (upsert_of(dialect, ProcessedEvent)
            .values(platform=bindparam("platform"), event_id=bindparam("event_id"), at=bindparam("at"))
            .on_conflict_do_nothing().returning(ProcessedEvent.event_id, version))


class _Abort(Exception):
    """Leave the transaction without writing anything, answering `reply`."""

    def __init__(self, reply: Reply, refused: Refused | None = None, request_id: int | None = None) -> None:
        self.reply, self.refused, self.request_id = reply, refused, request_id


class Core:
    def __init__(self, *, db: Database, clock: Clock, archive_dir: Path | None = None,
                 links: Links | None = None) -> None:
        self.db, self.clock, self.archive_dir, self.links = db, clock, archive_dir, links
        self._orgs: dict[str, Org] = {}
        self._workspaces: dict[str, Workspace] = {}

    async def handle(self, event: Event) -> Reply:
        """The reply to the person; raises `Unavailable` when the database could not be reached,
        so the adapter has the platform redeliver instead of telling anyone it was handled."""
        infrastructure: Exception | None = None
        stale = False
        for _attempt in range(ATTEMPTS):
            try:
                return await self._handle_once(event)
            except _Abort as abort:
                if abort.refused is not None:
                    await self._record_refusal(event, abort.refused, abort.request_id)
                return abort.reply
            except IntegrityError as exc:
                # a concurrent duplicate or a number taken meanwhile: try again, it now sees it
                log.info("retrying event %s after %s", event.event_id, type(exc).__name__)
            except (OperationalError, DBAPIError, OSError, TimeoutError) as exc:
                # the database is busy or unreachable: nothing was committed
                if stale_connection(exc) and not stale:
                    stale = True  # a pooled connection died meanwhile: once more, afresh
                    log.info("retrying event %s on a fresh connection", event.event_id)
                    continue
                if is_unavailable(exc):  # down: the platform must redeliver, now
                    raise Unavailable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
                infrastructure = exc
                log.info("retrying event %s after %s", event.event_id, type(exc).__name__)
            except Unavailable:
                raise
            except Exception:  # noqa: BLE001 — a bug: rolled back, logged (and counted), answered
                log.exception("event %s failed", event.event_id)
                return Reply(ok=False, failed=True, text=translator(event.tenant.locale)("error.internal"))
        if infrastructure is not None:
            raise Unavailable(str(infrastructure)) from infrastructure
        log.error("event %s: still conflicting after %d attempts", event.event_id, ATTEMPTS)
        return Reply(ok=False, failed=True, text=translator(event.tenant.locale)("error.internal"))

    async def _handle_once(self, event: Event) -> Reply:
        async with self.db.uow() as uow:
            now = self.clock.now()
            first, version = await self._first_time(uow, event, now)
            ctx = await self._context(uow, event, now=now, version=version if first else None)
            if not first:
                return Reply(duplicate=True, text=ctx.t("reply.duplicate"))
            try:
                reply = await self._route(ctx, event)
            except UserError as exc:
                raise _Abort(self._error_reply(ctx, exc, form=isinstance(event, FormSubmitted))) from None
            except Refused as exc:
                raise _Abort(Reply(ok=False, refused=True, text=ctx.t(exc.key, **exc.params)), exc,
                             ctx.request_id) from None
            await warn_estimated_years(ctx)
            if ctx.reply_card is not None and reply.card is None:
                reply.card = ctx.reply_card
            exports = list(ctx.exports)
        self._write_exports(exports)
        return reply

    async def _workspace(self, uow: UnitOfWork, workspace_id: str,
                         version: int | None = None) -> Workspace | None:
        """The workspace row, cached while its `org_version` (bumped by every change to the
        workspace or its org) stays the same: each event reads one integer, not the row —
        given as `version` when the event's first statement already read it (None: read it here)."""
        if version is None:
            version = (await uow.execute(select(Workspace.org_version).where(
                Workspace.id == workspace_id))).scalar_one_or_none()
        if version is None:
            return None
        cached = self._workspaces.get(workspace_id)
        if cached is None or cached.org_version != version:
            cached = await uow.get(Workspace, workspace_id)
            if cached is None:
                return None
            uow.session.expunge(cached)  # a read-only snapshot shared by later events
            self._workspaces[workspace_id] = cached
        return cached

    async def _context(self, uow: UnitOfWork, event: Event, *, now: datetime | None = None,
                       version: int | None = None) -> Ctx:
        ws = await self._workspace(uow, event.tenant.id, version)
        t = translator(event.tenant.locale)
        if ws is None:
            raise _Abort(Reply(ok=False, text=t("error.unknown_workspace", workspace=event.tenant.id)))
        ctx = await self._ctx(uow, ws, conversation=event.conversation, now=now)
        ctx.actor = ctx.person(ctx.org.by_external.get(event.actor)) if ctx.org else None
        if ctx.actor is None:
            raise _Abort(Reply(ok=False, unknown_actor=True,
                               text=ctx.t("error.unknown_user", user=event.actor)))
        if isinstance(event, (ActionInvoked, FormSubmitted)):
            ctx.clicked_key = str((event.value or {}).get("k", ""))
        return ctx

    async def _ctx(self, uow: UnitOfWork, ws: Workspace, *, conversation: str = "",
                   now: datetime | None = None) -> Ctx:
        """A context with the org from the cache while the workspace's `org_version` matches."""
        ctx = Ctx(uow=uow, workspace=ws, now=now or self.clock.now(), conversation=conversation,
                  org=self._orgs.get(ws.id), links=self.links)
        await ctx.load_org()
        self._orgs[ws.id] = ctx.org  # type: ignore[assignment]
        return ctx

    @staticmethod
    async def _first_time(uow: UnitOfWork, event: Event, now: datetime) -> tuple[bool, int | None]:
        """DESIGN rule 3 in one statement: the event id is recorded unless it already was —
        and (first time only) the workspace's `org_version` read in the same round trip.
        Whatever follows may still abort: the record then rolls back with the rest."""
        row = (await uow.execute(_record_event(uow.dialect), {
            "platform": event.tenant.platform, "event_id": event.event_id, "at": now,
            "workspace": event.tenant.id})).first()
        return (True, row[1]) if row is not None else (False, None)

    async def _route(self, ctx: Ctx, event: Event) -> Reply:
        if isinstance(event, CommandInvoked):
            try:
                command = parse(event.text)
            except CommandError as exc:
                raise _Abort(Reply(ok=False, text=error_text(exc, ctx.t))) from None
            try:
                return await COMMANDS[command.verb](ctx, command)
            except InvalidTransition as exc:
                raise self._transition_error(ctx, exc) from None
        if isinstance(event, ActionInvoked):
            handler = ACTIONS.get(event.action_id)
            value = Value(event.value if isinstance(event.value, dict) else {}, event.action_id)
            name, call = event.action_id, (lambda: handler(ctx, value)) if handler else None
        elif isinstance(event, FormSubmitted):
            form = FORMS.get(event.form_id)
            value = Value(event.value if isinstance(event.value, dict) else {}, event.form_id)
            fields = event.fields if isinstance(event.fields, dict) else {}
            name, call = event.form_id, (lambda: form(ctx, fields, value)) if form else None
        else:
            name, call = type(event).__name__, None
        if call is None:
            raise UserError("error.unknown_action", action=name)
        try:
            return await call()
        except CommandError as exc:  # a form's fields read through the command grammar
            text = error_text(exc, ctx.t).split("\n\n")[0]
            field = str(exc.params.get("field") or "")
            raise _Abort(Reply(ok=False, text=text, errors={field: text} if field else {})) from None
        except InvalidTransition as exc:
            raise self._transition_error(ctx, exc) from None

    @staticmethod
    def _transition_error(ctx: Ctx, exc: InvalidTransition) -> UserError:
        prefix = STATE_WORDS.get(exc.entity)
        return UserError("error.transition", state=ctx.t(f"{prefix}.{exc.state}") if prefix else exc.state)

    def _error_reply(self, ctx: Ctx, exc: UserError, *, form: bool) -> Reply:
        text = ctx.t(exc.key, **exc.params)
        if form and exc.field:
            return Reply(ok=False, text=text, errors={exc.field: text})
        if exc.usage:
            text = f"{text}\n\n{usage(exc.usage, ctx.t)}"
        return Reply(ok=False, text=text)

    async def _record_refusal(self, event: Event, refused: Refused, request_id: int | None) -> None:
        """R25: a refused click changes nothing but leaves its audit row — naming the request it
        concerned, what was tried and why it was refused, so the archive's 操作记录 lists it (R22)."""
        async with self.db.uow() as uow:
            ctx = await self._context(uow, event)
            tried = getattr(event, "action_id", "") or getattr(event, "form_id", "")
            if isinstance(event, CommandInvoked):
                try:
                    tried = "/" + parse(event.text).verb
                except CommandError:  # it parsed a moment ago; never fail the refusal's row on it
                    tried = "/"
            uow.append(AuditEvent, workspace_id=ctx.workspace.id, actor_id=ctx.actor.id if ctx.actor else None,
                       request_id=request_id, action="click.refused",
                       subject=getattr(event, "action_id", "") or "command",
                       detail={"reason": refused.key, "params": {k: str(v) for k, v in refused.params.items()},
                               "tried": tried, "value": getattr(event, "value", {}) or {}},
                       at=ctx.now)

    async def fire_timer(self, uow: UnitOfWork, timer: Timer) -> None:
        """Run one due timer inside the caller's transaction (the scheduler claimed it)."""
        ws = await self._workspace(uow, timer.workspace_id)
        handler = TIMERS.get(timer.kind)
        now = self.clock.now()
        if ws is not None and handler is not None:
            ctx = await self._ctx(uow, ws)
            await handler(ctx, timer)
            await warn_estimated_years(ctx)
        else:
            log.error("timer %s: no workspace or handler for %s", timer.id, timer.kind)
        timer.state, timer.fired_at = "fired", now
        uow.add(timer)

    async def run_tick(self, uow: UnitOfWork, *, job: str, workspace_id: str, day: date, cursor: str = "",
                       limit: int = 200) -> str | None:
        """One chunk of a cron tick (about `limit` requests) after `cursor`, inside the sweep's
        transaction: the cursor to go on from, None when the tick is done."""
        ws = await self._workspace(uow, workspace_id)
        if ws is None:
            return None
        ctx = await self._ctx(uow, ws)
        return await JOBS[job](ctx, day, cursor=cursor, limit=limit)

    async def link_identity(self, *, tenant: Tenant, external_id: str, email: str) -> bool:
        """Map a platform user to an org person by email (Slack `users.lookupByEmail`)."""
        async with self.db.uow() as uow:
            return await org.link_by_email(uow, workspace_id=tenant.id, external_id=external_id,
                                           email=email) is not None

    async def unlinked_emails(self, *, tenant: Tenant) -> list[str]:
        """Emails of the org's people with no user id on this platform yet: an adapter looks
        them up (Slack `users.lookupByEmail`) so DMs and mentions reach people who never wrote."""
        async with self.db.uow() as uow:
            linked = set(await uow.all(select(PersonIdentity.person_id).where(
                PersonIdentity.workspace_id == tenant.id)))
            people = await uow.all(select(Person).where(Person.workspace_id == tenant.id))
            return [p.email for p in people if p.email and p.active and p.id not in linked]

    async def org_snapshot(self, *, tenant: Tenant) -> dict:
        async with self.db.uow() as uow:
            ws = await uow.get(Workspace, tenant.id)
            if ws is None:
                return {"departments": [], "people": []}
            ctx = Ctx(uow=uow, workspace=ws, now=self.clock.now())
            await ctx.load_org()
            return org.export_org(ws, ctx.departments(), list(ctx._people.values()))

    async def import_org(self, spec: "org.OrgSpec") -> str:
        async with self.db.uow() as uow:
            return (await org.import_org(uow, spec)).workspace.id

    async def workspace_ids(self) -> list[str]:
        async with self.db.uow() as uow:
            return list(await uow.all(select(Workspace.id)))

    def _write_exports(self, exports: list) -> None:
        """R22 files: written after the commit; the database keeps the archive either way."""
        if not self.archive_dir:
            return
        for doc in exports:
            try:
                write_files(doc, self.archive_dir)
            except OSError:
                log.exception("could not write archive %s", doc.name)
