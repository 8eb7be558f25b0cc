"""`collab-bot demo | serve | db upgrade | org import FILE`."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.settings import Settings

DEMO_HELP = """
collab-bot demo — the whole collaboration process on this machine, no chat platform needed.
Local platform API on http://{host}:{port} (virtual clock, now {now}; org: {org}).

Try it (the group chat is any name, people are the org's ids — GET /local/org lists them):

  # 产品部's 王芳 (wang) files a request in chat "g1"
  curl -s -XPOST localhost:{port}/local/messages -H 'content-type: application/json' -d '{{"chat":"g1","user":"sun","text":"/协作 新建\\n名称: 新品详情页改版\\n背景与目标: 提升转化率10%\\n协作部门: 技术部、设计部\\n截止: 8/15\\n交付标准: 页面加载时间≤2秒\\n时间节点: 需求确认 7/20；开发完成 8/10；正式上线 8/15"}}'
  # see the card (with its buttons' action_id and value) in the chat
  curl -s localhost:{port}/local/chats/g1/messages
  # the head of 产品部 (wang) clicks approve: copy action_id/value of the button
  curl -s -XPOST localhost:{port}/local/actions -H 'content-type: application/json' -d '{{"chat":"g1","user":"wang","message_id":"m1","action_id":"request.approve","value":{{...}}}}'
  # move time (2-hour rule, 17:00 summary …)
  curl -s -XPOST localhost:{port}/local/clock -H 'content-type: application/json' -d '{{"advance_minutes":120}}'
  # urgent pings to a person
  curl -s localhost:{port}/local/users/wang/messages

Help in the chat: "/协作 帮助" or "/collab help". Ctrl-C stops.
"""


def _settings(**overrides: object) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


async def _prepare(settings: Settings, org: Path | None) -> None:
    from bot.app import load_org_file
    from storage.db import Database
    from storage.migrate import upgrade
    from workflows.clock import SystemClock
    from workflows.core import Core

    await asyncio.to_thread(upgrade, settings.database_url)
    if org is not None:
        db = Database(settings.database_url)
        try:
            await Core(db=db, clock=SystemClock()).import_org(load_org_file(org))
        finally:
            await db.dispose()


def _serve(settings: Settings, *, banner: str = "") -> None:
    import uvicorn

    from bot.app import build
    from bot.logging import configure

    configure(settings.log_level)
    app = build(settings)
    if banner:
        print(banner.format(host=settings.host, port=settings.port, now=app.clock.now().isoformat(),
                            org=settings.org_file), flush=True)
    uvicorn.run(app.asgi, host=settings.host, port=settings.port, log_level=settings.log_level.lower())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="collab-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="SQLite + the local platform + a virtual clock + a sample org")
    serve = sub.add_parser("serve", help="production server: every configured platform, scheduler, delivery")
    for p in (demo, serve):
        p.add_argument("--host")
        p.add_argument("--port", type=int)
    demo.add_argument("--org", type=Path, help="org YAML (default: the guidelines' six departments)")
    demo.add_argument("--database", help="database URL (default: sqlite:///collab-demo.db)")
    db = sub.add_parser("db", help="database commands")
    db.add_argument("action", choices=["upgrade"])
    org = sub.add_parser("org", help="org commands")
    org.add_argument("action", choices=["import"])
    org.add_argument("file", type=Path)
    args = parser.parse_args(argv)

    if args.command == "demo":
        from bot.app import DEMO_ORG

        settings = _settings(host=args.host, port=args.port, local_platform=True, virtual_clock=True,
                             database_url=args.database or "sqlite:///collab-demo.db",
                             org_file=args.org or DEMO_ORG)
        asyncio.run(_prepare(settings, settings.org_file))
        _serve(settings, banner=DEMO_HELP)
    elif args.command == "serve":
        settings = _settings(host=args.host, port=args.port)
        asyncio.run(_prepare(settings, settings.org_file))
        _serve(settings)
    elif args.command == "db":
        asyncio.run(_prepare(Settings(), None))
        print("database upgraded:", Settings().database_url)
    elif args.command == "org":
        settings = Settings()
        try:
            asyncio.run(_prepare(settings, args.file))
        except (OSError, ValueError) as exc:
            print(f"org import failed: {exc}", file=sys.stderr)
            return 2
        print("org imported:", args.file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
