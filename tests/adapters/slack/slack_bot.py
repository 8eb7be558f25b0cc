"""The whole bot (bot/app.py `build`, real core, real storage, delivery worker, scheduler) with
Slack configured against the fake Slack, served by uvicorn, and a person's-eye Slack client:
people type `/collab …`, mention the bot, click buttons on the cards they see in the channel
and fill in modals — all as signed Slack payloads over HTTP."""
from __future__ import annotations

import asyncio
import itertools
from datetime import datetime
from typing import Any

import httpx
import uvicorn
import yaml
from sqlalchemy import and_, or_
from sqlmodel import select

from app_starter import start_app, stop_app
from bot.app import App
from slack_fake import FakeSlack
from storage.tables import OutboxMessage
from slack_support import SECRET, SlackHttp, action_payload, interactive, view_payload
from workflows.org import parse_org

TEAM = "T0618"
ORG = f"""
workspace: {{platform: slack, id: {TEAM}, name: Acme, locale: en, timezone: Asia/Shanghai,
             country: CN}}
departments:
  - {{name: 市场部, head: liu, liaison: chen, vp: zhao}}
  - {{name: 产品部, head: wang, liaison: zhou, vp: zhao}}
  - {{name: 销售部, head: zhang, liaison: he, vp: zhao}}
  - {{name: 技术部, head: li, liaison: wu, vp: zhao}}
people:
  - {{id: zhao, name: 赵总, email: zhao@acme.example}}
  - {{id: liu, name: 刘敏, department: 市场部, identities: {{slack: U_LIU}}}}
  - {{id: chen, name: 陈静, department: 市场部, identities: {{slack: U_CHEN}}}}
  - {{id: wang, name: 王芳, department: 产品部, identities: {{slack: U_WANG}}}}
  - {{id: zhou, name: 周婷, department: 产品部, identities: {{slack: U_ZHOU}}}}
  - {{id: zhang, name: 张伟, department: 销售部, identities: {{slack: U_ZHANG}}}}
  - {{id: he, name: 何丽, department: 销售部, email: he.li@acme.example}}
  - {{id: li, name: 李强, department: 技术部, email: li.qiang@acme.example}}
  - {{id: wu, name: 吴磊, department: 技术部, identities: {{slack: U_WU}}}}
  - {{id: zheng, name: 郑凯, department: 技术部, identities: {{slack: U_ZHENG}}}}
"""
# Slack's own directory: emails for the people the org file knows only by email
SLACK_EMAILS = {"U_ZHAO": "zhao@acme.example", "U_HE": "he.li@acme.example",
                "U_LI": "li.qiang@acme.example"}


def visible(body: dict[str, Any]) -> str:
    """What a person reads in a message: its blocks' texts (or its text without blocks)."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                texts.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body.get("blocks") or [])
    return "\n".join(texts) if texts else str(body.get("text", ""))


class SlackWorkspace:
    """What people in the Slack workspace do and see."""

    def __init__(self, app: App, fake: FakeSlack, http: SlackHttp) -> None:
        self.app, self.fake, self.http = app, fake, http
        self.adapter = app.adapters["slack"]
        self._ids = itertools.count(1)

    def trigger(self) -> str:
        return f"{next(self._ids)}.{TEAM}.trigger"

    async def settle(self, timeout: float = 10.0) -> None:
        """The bot's messages go out (a person would wait a moment): due timers fired, every
        due outbox row finished by the delivery worker (running in the background, or here),
        the adapter's inline follow-ups done."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.app.scheduler.kick()
        while True:
            await self.app.delivery.drain()
            await self.adapter.drain()
            async with self.app.db.uow() as uow:
                busy = await uow.all(select(OutboxMessage.id).where(or_(
                    OutboxMessage.state == "sending",
                    and_(OutboxMessage.state == "pending",
                         OutboxMessage.next_attempt_at <= self.app.clock.now()))))
            if not busy:
                return
            assert loop.time() < deadline, f"outbox rows {busy} never finished"
            await asyncio.sleep(0.01)

    async def command(self, user: str, text: str, *, channel: str = "C0618",
                      trigger: str | None = None) -> str:
        """`/collab <text>`; the private answer (the ack's ephemeral text, or the one sent to
        the response_url right after it)."""
        before = len(self.fake.calls_to("hook"))
        hook = self.fake.hook_url(f"commands/{TEAM}/{next(self._ids)}")
        response = await self.http.command(text, user=user, channel=channel, team=TEAM,
                                           trigger=trigger or self.trigger(), response_url=hook)
        assert response.status_code == 200, response.text
        await self.settle()
        answer = visible(response.json()) if response.text else ""
        hooks = self.fake.calls_to("hook")[before:]
        return "\n".join([answer, *(visible(h.body) for h in hooks)]).strip()

    async def mention(self, user: str, text: str, *, channel: str = "C0618") -> str:
        before = len(self.fake.calls_to("chat.postEphemeral"))
        response = await self.http.mention(text, user=user, channel=channel, team=TEAM,
                                           event_id=f"Ev{next(self._ids):08d}")
        assert response.status_code == 200, response.text
        await self.settle()
        return "\n".join(visible(c.body) for c in
                          self.fake.calls_to("chat.postEphemeral")[before:]
                          if c.body["user"] == user)

    def messages(self, channel: str = "C0618") -> list[tuple[str, dict[str, Any]]]:
        return self.fake.channel(channel)

    def text_of(self, channel: str = "C0618") -> str:
        return "\n".join(visible(body) for _ts, body in self.messages(channel))

    def buttons(self, action_id: str, *, channel: str = "C0618",
                label: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(message ts, button element) of every button with this semantic id in the channel."""
        from adapters.slack.codec import decode_action_id

        found = []
        for ts, body in self.messages(channel):
            for block in body.get("blocks", []):
                for element in block.get("elements", []) if block["type"] == "actions" else []:
                    if decode_action_id(element["action_id"]) == action_id and (
                            label is None or label in element["text"]["text"]):
                        found.append((ts, element))
        return found

    async def click(self, user: str, button: tuple[str, dict[str, Any]], *,
                    channel: str = "C0618", trigger: str | None = None) -> str:
        """Press a button; the private answer it got (response_url)."""
        ts, element = button
        before = len(self.fake.calls_to("hook"))
        payload = action_payload(action_id=element["action_id"], value=element["value"],
                                 user=user, channel=channel, message_ts=ts, team=TEAM,
                                 trigger=trigger or self.trigger(),
                                 response_url=self.fake.hook_url(f"actions/{next(self._ids)}"))
        response = await self.http.post(interactive(payload))
        assert response.status_code == 200, response.text
        await self.settle()
        return "\n".join(visible(h.body) for h in self.fake.calls_to("hook")[before:])

    def last_modal(self) -> dict[str, Any]:
        return self.fake.calls_to("views.open")[-1].body["view"]

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> dict:
        """Submit a modal; the ack body ({} when the modal closed)."""
        response = await self.http.post(interactive(view_payload(
            view=view, values=values, user=user, team=TEAM, trigger=self.trigger())))
        assert response.status_code == 200, response.text
        await self.settle()
        return response.json() if response.text else {}

    def dms(self, user: str) -> list[dict[str, Any]]:
        channel = "D" + user.lstrip("UW")
        return [c.body for c in self.fake.calls_to("chat.postMessage")
                if c.body["channel"] == channel]


async def start_slack_bot(database_url: str, schema: str | None, *, start: datetime,
                          monkeypatch: Any, socket_mode: bool = False
                          ) -> tuple[SlackWorkspace, uvicorn.Server, Any, Any]:
    """The app as `collab-bot serve` builds it, Slack configured through the environment:
    HTTP mode (signing secret), or Socket Mode (app token) against the fake's WebSocket."""
    fake = await FakeSlack(team=TEAM).start()
    fake.emails.update(SLACK_EMAILS)
    transport = ({"SLACK_APP_TOKEN": "xapp-1-618", "SLACK_SIGNING_SECRET": ""} if socket_mode
                 else {"SLACK_APP_TOKEN": "", "SLACK_SIGNING_SECRET": SECRET})
    monkeypatch.delenv("SLACK_MODE", raising=False)  # chosen by which token is set
    for name, value in {"SLACK_BOT_TOKEN": "xoxb-618", "SLACK_API_URL": fake.api_url,
                        **transport}.items():
        monkeypatch.setenv(name, value)
    app, server, task, port = await start_app(database_url, schema, start=start,
                                              org=parse_org(yaml.safe_load(ORG)), local_platform=False)
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10)
    workspace = SlackWorkspace(app, fake, SlackHttp(http))
    # Slack's pace (1 message/s per channel) is real time and the fake needs none of it: a
    # scenario posting dozens of cards would otherwise wait that long for nothing.
    workspace.adapter.rate_per_second = workspace.adapter.rate_per_chat = 1000.0
    await workspace.adapter.drain()  # the identity sync started with the app
    return workspace, server, task, http


async def stop_slack_bot(workspace: SlackWorkspace, server: uvicorn.Server, task: Any,
                         http: httpx.AsyncClient) -> None:
    await http.aclose()
    await stop_app(server, task)
    await workspace.fake.stop()
