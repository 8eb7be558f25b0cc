"""A DingTalk organisation for end-to-end tests: the whole bot (`bot.app.build`, DINGTALK_*
pointing at the fake DingTalk) with the Stream connection through the real SDK, a virtual clock,
and people who type (@bot in a group, or 1:1) and click card buttons exactly as DingTalk pushes
them — frames over the WebSocket — and see what the fake DingTalk shows them."""
from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from dingtalk_fake import (CLIENT_ID, CLIENT_SECRET, CORP, ROBOT, TEMPLATE, FakeDingTalk, Shown,
                           click_data, message_data)

GROUP = "cid618"
MESSAGES = "/v1.0/im/bot/messages/get"
CARDS = "/v1.0/card/instances/callback"
DEMO_ORG = Path(__file__).parents[3] / "bot" / "data" / "demo_org.yaml"


def dingtalk_org(path: Path = DEMO_ORG) -> Any:
    """The demo org as a DingTalk organisation: each person's staff id is their org id."""
    from workflows.org import parse_org

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["workspace"].update(platform="dingtalk", id=CORP)
    for person in data["people"]:
        person["identities"] = {"dingtalk": person["id"]}
    return parse_org(data)


class DingTalkWorld:
    def __init__(self, *, app: Any, fake: FakeDingTalk) -> None:
        self.app, self.fake = app, fake
        self.adapter = app.adapters["dingtalk"]
        self._ids = itertools.count(1)
        self.last_ack: dict[str, Any] | None = None

    async def settle(self) -> None:
        await self.adapter.drain()
        await self.app.scheduler.kick()
        await self.app.delivery.drain()
        await self.adapter.drain()

    async def advance(self, **delta: float) -> None:
        self.app.clock.advance(timedelta(**delta))
        await self.settle()

    async def say(self, user: str, text: str, *, chat: str = GROUP, msg_id: str | None = None,
                  frame_id: str | None = None) -> str:
        """`@bot <text>` in a group (or 1:1 when `chat` is the user); the bot's answer there."""
        group = chat != user
        before = len(self.fake.shown)
        data = message_data(text, sender=user, conversation=chat if group else f"cid-1to1-{user}",
                            msg_id=msg_id or f"msg-{next(self._ids)}", group=group,
                            session_webhook=self.fake.session_url(chat))
        self.last_ack = await self.fake.push(MESSAGES, data, message_id=frame_id)
        assert self.last_ack is not None and self.last_ack["code"] == 200, self.last_ack
        await self.settle()
        return "\n".join(s.text or s.params.get("markdown", "") for s in self.fake.shown[before:]
                         if s.space in (chat, f"IM_GROUP.{chat}", f"IM_ROBOT.{user}", f"user:{user}"))

    def buttons(self, action_id: str, *, chat: str = GROUP, label: str | None = None
                ) -> list[tuple[Shown, int]]:
        found = []
        for shown in self.fake.shown:
            if shown.kind != "card" or shown.space not in (f"IM_GROUP.{chat}", f"IM_ROBOT.{chat}"):
                continue
            for i in range(8):
                if shown.params.get(f"btn{i}_show") == "true" and \
                        shown.params.get(f"btn{i}_action") == action_id and \
                        (label is None or label in shown.params.get(f"btn{i}_label", "")):
                    found.append((shown, i))
        return found

    async def click(self, user: str, button: tuple[Shown, int], *,
                    frame_id: str | None = None) -> dict[str, Any]:
        """Press a button; returns the callback response (the card's new data, the private line)."""
        card, index = button
        frame_id = frame_id or f"click-{next(self._ids)}"
        ack = await self.fake.push(CARDS, click_data(card, index, user=user), message_id=frame_id)
        self.last_ack = ack
        response = self.fake.apply(card.id, ack, user=user)
        await self.settle()
        return response

    def messages(self, chat: str = GROUP) -> list[Shown]:
        return self.fake.in_group(chat)

    def dms(self, user: str) -> list[Shown]:
        return self.fake.to_user(user)


DINGTALK_ENV = {"DINGTALK_CLIENT_ID": CLIENT_ID, "DINGTALK_CLIENT_SECRET": CLIENT_SECRET,
                "DINGTALK_ROBOT_CODE": ROBOT, "DINGTALK_CARD_TEMPLATE_ID": TEMPLATE,
                "DINGTALK_MODE": "stream"}


async def start_dingtalk_app(database_url: str, schema: str | None, *, start: datetime,
                             monkeypatch: Any, **env: str) -> tuple[DingTalkWorld, Any, Any]:
    from app_starter import start_app

    fake = await FakeDingTalk().start()
    for name, value in {**DINGTALK_ENV, "DINGTALK_API_URL": fake.url, **env}.items():
        monkeypatch.setenv(name, value)
    app, server, task, port = await start_app(database_url, schema, start=start, org=dingtalk_org())
    assert "dingtalk" in app.adapters
    app.adapters["dingtalk"].rate_per_second = app.adapters["dingtalk"].rate_per_chat = 1000.0
    world = DingTalkWorld(app=app, fake=fake)
    if env.get("DINGTALK_MODE", "stream") == "stream":
        await asyncio.wait_for(fake.connected.wait(), 15)
    world.port = port
    return world, server, task


async def stop_dingtalk_app(world: DingTalkWorld, server: Any, task: Any) -> None:
    from app_starter import stop_app

    await stop_app(server, task)
    await world.fake.stop()
