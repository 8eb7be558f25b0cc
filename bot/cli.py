"""`collab-bot demo | serve | db upgrade | org import FILE`."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

import httpx
import uvicorn

from bot.app import DEMO_ORG, build, import_org_file, load_org_file, settle_heap
from bot.demo_banner import demo_banner
from bot.logging import configure_logging
from bot.settings import Settings
from storage.db import Database, async_url
from storage.migrate import upgrade
from workflows.org import OrgError, OrgImport

DEMO_START = "2026-07-13T09:00:00+08:00"  # a Monday on the guidelines' own timeline (due 7/20, 8/10, 8/15)


def _demo_problem(org: Path, start: str | None) -> str:
    """What stops the demo from running this org at this time, said exactly ("" when nothing)."""
    if start:
        try:
            when = datetime.fromisoformat(start)
        except ValueError:
            return f"collab-bot demo: --start {start!r} is not an ISO time (e.g. {DEMO_START})"
        if when.utcoffset() is None:
            return f"collab-bot demo: --start needs a time-zone offset (e.g. {DEMO_START})"
    try:
        spec = load_org_file(org)
    except OrgError as exc:
        return str(exc)
    if spec.workspace.platform != "local":
        return (f"collab-bot demo: {org} is for the {spec.workspace.platform} platform; the demo runs the "
                "local platform — set `workspace: {platform: local, …}` in a copy of the file")
    return ""


def _settings(**overrides: object) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


EXIT_DATABASE_UNREACHABLE = 69  # sysexits EX_UNAVAILABLE: distinct from usage/validation (2)


class DatabaseUnreachable(Exception):
    """Start-up could not reach the database: one line and exit code 69, not a traceback."""


def _redacted(url: str) -> str:
    """The URL without its password, for the one error line."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 — an unparsable URL is shown as given
        return url


async def _reachable(settings: Settings) -> None:
    db = Database(settings.database_url, connect_timeout=settings.database_connect_timeout_seconds)
    try:
        await db.ping(seconds=settings.database_connect_timeout_seconds + 1)
    except Exception as exc:  # noqa: BLE001 — whatever it is, start-up cannot go on
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnreachable(f"collab-bot: cannot reach the database at "
                                  f"{_redacted(settings.database_url)}: {reason}") from None
    finally:
        await db.dispose()


async def _prepare(settings: Settings, org: Path | None, *, dry_run: bool = False,
                   skip_unchanged: bool = True) -> OrgImport | None:
    """Create or upgrade the database (Alembic), then import the org file if one is given —
    at start-up only when it changed since the last import (its hash is kept on the workspace)."""
    await _reachable(settings)
    await asyncio.to_thread(upgrade, settings.database_url)
    if org is None:
        return None
    db = Database(settings.database_url)
    try:
        return await import_org_file(db, org, dry_run=dry_run, skip_unchanged=skip_unchanged)
    finally:
        await db.dispose()


def _start(settings: Settings) -> int:
    """Upgrade and import `ORG_FILE` before serving; a broken file stops the start (exit 2)
    with its problems, not a traceback."""
    try:
        result = asyncio.run(_prepare(settings, settings.org_file))
    except (OSError, UnicodeDecodeError, OrgError) as exc:
        print(f"org file {settings.org_file} refused:\n{exc}", file=sys.stderr)
        return 2
    if result is not None:
        print(result.diff.summary(), flush=True)
    return 0


def _import(args: argparse.Namespace) -> int:
    """`collab-bot org import FILE [--dry-run]`: every problem first (exit 2, nothing changed),
    else a full replacement and what it changed."""
    try:
        result = asyncio.run(_prepare(Settings(), args.file, dry_run=args.dry_run, skip_unchanged=False))
    except (OSError, UnicodeDecodeError, OrgError) as exc:
        problems = getattr(exc, "problems", [str(exc)])
        print(f"org import failed: {len(problems)} problem(s) in {args.file}, nothing changed:",
              file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 2
    assert result is not None
    print(result.diff.summary())
    print(("dry run, nothing changed: " if args.dry_run else "org imported: ") + str(args.file))
    return 0


WORKER_PING_SECONDS = 60


def _workers_problem(settings: Settings) -> str:
    """`--workers N` needs PostgreSQL: SQLite's writers would wait on each other's file lock
    across processes (its in-process writer queue cannot see them)."""
    if settings.workers < 1:
        return f"collab-bot serve: --workers must be 1 or more (got {settings.workers})"
    if settings.workers > 1 and not async_url(settings.database_url).startswith("postgresql"):
        return ("collab-bot serve: --workers above 1 needs PostgreSQL (DATABASE_URL="
                "postgresql+psycopg://…); SQLite serves one process")
    return ""


def _serve(settings: Settings, *, banner: str = "") -> None:
    """The demo logs for a person at a terminal; `serve` logs JSON lines for a collector.
    With `workers` > 1, uvicorn's supervisor binds the port once and runs that many processes
    on it, each building the app from the environment (`bot.app.serve_from_environment`); it
    restarts a worker that dies and stops them all on SIGTERM."""
    configure_logging(settings.log_level, json_lines=not banner)
    if settings.workers > 1:
        # a worker imports and builds the app before it answers the supervisor's ping: seconds
        # on a busy machine, past uvicorn's 5 s default (it would kill and respawn it forever)
        uvicorn.run("bot.app:serve_from_environment", factory=True, workers=settings.workers,
                    host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                    timeout_worker_healthcheck=WORKER_PING_SECONDS)
        return
    app = build(settings)
    if banner:
        print(banner, flush=True)
    settle_heap()
    uvicorn.run(app.asgi, host=settings.host, port=settings.port, log_level=settings.log_level.lower())


def _sync_dingtalk(args: argparse.Namespace) -> int:
    """`collab-bot org sync dingtalk --corp-id ding…`: departments and managers (optional)."""
    from adapters.base import DeliveryError
    from adapters.dingtalk.directory import sync_to_file
    from adapters.dingtalk.settings import DingTalkSettings

    dingtalk = DingTalkSettings()
    if not (dingtalk.client_id and dingtalk.client_secret) or not args.corp_id:
        print("DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET and --corp-id are needed", file=sys.stderr)
        return 2
    try:
        doc = asyncio.run(sync_to_file(settings=dingtalk, out=args.out, override=args.override,
                                       corp_id=args.corp_id))
    except (OSError, ValueError, DeliveryError, httpx.HTTPError) as exc:
        print(f"org sync failed: {exc}", file=sys.stderr)
        return 2
    print(f"org written: {args.out} ({len(doc['departments'])} departments, {len(doc['people'])} people)"
          f" — review it, then: collab-bot org import {args.out}")
    return 0


def _sync_feishu(args: argparse.Namespace) -> int:
    """`collab-bot org sync feishu`: departments and leaders from the contact API (optional)."""
    from adapters.base import DeliveryError
    from adapters.feishu.directory import sync_to_file
    from adapters.feishu.settings import FeishuSettings

    feishu = FeishuSettings()
    if not feishu.configured:
        print("FEISHU_APP_ID / FEISHU_APP_SECRET are not set", file=sys.stderr)
        return 2
    try:
        doc = asyncio.run(sync_to_file(settings=feishu, out=args.out, override=args.override,
                                       tenant_key=args.tenant_key))
    except (OSError, ValueError, DeliveryError) as exc:
        print(f"org sync failed: {exc}", file=sys.stderr)
        return 2
    print(f"org written: {args.out} ({len(doc['departments'])} departments, {len(doc['people'])} people)"
          f" — review it, then: collab-bot org import {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except DatabaseUnreachable as exc:
        print(exc, file=sys.stderr)
        return EXIT_DATABASE_UNREACHABLE


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="collab-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="SQLite + the local platform + a virtual clock + a sample org")
    serve = sub.add_parser("serve", help="production server: every configured platform, scheduler, delivery")
    for p in (demo, serve):
        p.add_argument("--host")
        p.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="server processes sharing the port (PostgreSQL "
                                                   "only; default WORKERS, 1)")
    demo.add_argument("--org", type=Path, help="org YAML (default: the guidelines' six departments)")
    demo.add_argument("--database", help="database URL (default: sqlite:///collab-demo.db)")
    demo.add_argument("--start", help="the virtual clock's first time, ISO with offset "
                                      f"(default {DEMO_START}; a restart resumes where it stood)")
    db = sub.add_parser("db", help="database commands")
    db.add_argument("action", choices=["upgrade"])
    orgs = sub.add_parser("org", help="org commands").add_subparsers(dest="org_command", required=True)
    imp = orgs.add_parser("import", help="load an org YAML (a full replacement of the org)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check the file and show what would change")
    sync = orgs.add_parser("sync", help="read departments and leaders from a platform directory into a YAML")
    sync.add_argument("platform", choices=["feishu", "dingtalk"])
    sync.add_argument("--out", type=Path, default=Path("org.yaml"))
    sync.add_argument("--override", type=Path, help="an org YAML whose entries win over the directory")
    sync.add_argument("--tenant-key", default="")
    sync.add_argument("--corp-id", default="", help="DingTalk: the organisation's corpId (ding…)")
    args = parser.parse_args(argv)

    if args.command == "demo":
        problem = _demo_problem(args.org or DEMO_ORG, args.start)
        if problem:
            print(problem, file=sys.stderr)
            return 2
        settings = _settings(host=args.host, port=args.port, local_platform=True, virtual_clock=True,
                             virtual_clock_start=args.start or DEMO_START,
                             local_workspace=load_org_file(args.org or DEMO_ORG).workspace.id,
                             database_url=args.database or "sqlite:///collab-demo.db",
                             org_file=args.org or DEMO_ORG)
        if code := _start(settings):
            return code
        _serve(settings, banner=demo_banner(load_org_file(settings.org_file), host=settings.host,
                                            port=settings.port, org=str(settings.org_file),
                                            start=datetime.fromisoformat(settings.virtual_clock_start)))
    elif args.command == "serve":
        settings = _settings(host=args.host, port=args.port, workers=args.workers)
        if problem := _workers_problem(settings):
            print(problem, file=sys.stderr)
            return 2
        if settings.workers > 1:  # the workers read the environment: it carries the overrides
            os.environ.update(HOST=settings.host, PORT=str(settings.port),
                              WORKERS=str(settings.workers))
        if code := _start(settings):
            return code
        _serve(settings)
    elif args.command == "db":
        asyncio.run(_prepare(Settings(), None))
        print("database upgraded:", Settings().database_url)
    elif args.command == "org" and args.org_command == "sync":
        return _sync_dingtalk(args) if args.platform == "dingtalk" else _sync_feishu(args)
    elif args.command == "org":
        return _import(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
