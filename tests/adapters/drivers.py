"""One person's-eye driver per platform, the same interface for all, so a test written once runs
on local, Slack, Feishu and DingTalk (the adapter conformance suite, and the lead's scenarios).

    async with running_platform("dingtalk", database_url, monkeypatch=mp, start=START) as p:
        await p.say("zhou", "/协作 新建 …")          # a person types in the group
        [button] = await p.buttons("request.approve")
        answer = await p.click("wang", button)       # their private answer, as text
        await p.cards()                              # what the group's messages read now
        await p.dms("wang"); await p.urgent("wang")  # direct messages / urgent pings

People are the org's person ids; each driver maps them to platform ids (`user_id`). `say` and
`click` take an optional `delivery`: the same delivery id twice is the platform delivering the
same event again. `label(button)` is the text on a button. `forged()` is the HTTP status of a request with a bad signature (None where the
platform has no signatures), `throttle_next_post()` makes the platform refuse the next group post
once with its rate-limit answer. `app` is the whole bot (`bot.app.App`).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from datetime import datetime
from typing import Any, AsyncIterator

import httpx

from zoneinfo import ZoneInfo

START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, working hours
PEOPLE = ("zhao", "liu", "chen", "wang", "zhou", "zhang", "he", "li", "wu", "zheng")  # on every platform


class Driver:
    platform = ""
    group = ""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._ids = itertools.count(1)

    def user_id(self, person: str) -> str:
        return person

    @property
    def workspace_id(self) -> str:
        raise NotImplementedError

    async def settle(self) -> None:
        """What a person sees a moment later: follow-ups sent, timers fired, outbox drained."""
        adapter = self.app.adapters[self.platform]
        for _ in range(2):
            await adapter.drain()
            await self.app.scheduler.kick()
            await self.app.delivery.drain()
        await adapter.drain()

    async def eventually(self, check: Any, timeout: float = 8.0) -> Any:
        """Poll `check()` (sync or async) until truthy — for retries the worker does in real time."""
        deadline = time.monotonic() + timeout
        while True:
            await self.settle()
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value or time.monotonic() > deadline:
                return value
            await asyncio.sleep(0.1)


# ---------------------------------------------------------------------------------------- local

class LocalDriver(Driver):
    platform, group = "local", "g1"

    def __init__(self, platform: Any) -> None:
        super().__init__(platform.app)
        self.p = platform

    @property
    def workspace_id(self) -> str:
        return "local:demo"

    async def say(self, user: str, text: str, *, delivery: str | None = None) -> str:
        return (await self.p.say(user, text, chat=self.group, event_id=delivery))["reply"]

    async def buttons(self, action_id: str, *, label: str | None = None) -> list[Any]:
        return await self.p.buttons(action_id, chat=self.group, label=label)

    async def click(self, user: str, button: Any, *, delivery: str | None = None) -> str:
        return (await self.p.click(user, button, chat=self.group, event_id=delivery))["reply"]

    async def cards(self) -> list[str]:
        return [m["text"] for m in await self.p.messages(self.group)]

    async def dms(self, user: str) -> list[str]:
        return [m["text"] for m in await self.p.dms(user) if not m["urgent"]]

    async def urgent(self, user: str) -> list[str]:
        return [m["text"] for m in await self.p.dms(user) if m["urgent"]]

    @staticmethod
    def label(button: Any) -> str:
        return button["label"]

    async def forged(self) -> int | None:
        return None  # the embedded platform has no signatures: it serves 127.0.0.1 only

    def throttle_next_post(self) -> None:
        raise NotImplementedError("the local platform has no rate limit")


# ---------------------------------------------------------------------------------------- slack

class SlackDriver(Driver):
    platform, group = "slack", "C0618"

    def __init__(self, workspace: Any) -> None:
        super().__init__(workspace.app)
        self.w = workspace

    def user_id(self, person: str) -> str:
        return f"U_{person.upper()}"

    @property
    def workspace_id(self) -> str:
        from slack_bot import TEAM

        return f"slack:{TEAM}"

    async def say(self, user: str, text: str, *, delivery: str | None = None) -> str:
        # a slash command's event id is its trigger_id: the same trigger is the same delivery
        return await self.w.command(self.user_id(user), text, channel=self.group, trigger=delivery)

    async def buttons(self, action_id: str, *, label: str | None = None) -> list[Any]:
        return self.w.buttons(action_id, channel=self.group, label=label)

    async def click(self, user: str, button: Any, *, delivery: str | None = None) -> str:
        return await self.w.click(self.user_id(user), button, channel=self.group,
                                  trigger=delivery)

    @staticmethod
    def label(button: Any) -> str:
        return button[1]["text"]["text"]

    async def cards(self) -> list[str]:
        from slack_bot import visible

        return [visible(body) for _ts, body in self.w.messages(self.group)]

    def _direct(self, user: str) -> list[dict[str, Any]]:
        return self.w.dms(self.user_id(user))

    async def dms(self, user: str) -> list[str]:
        from adapters.slack.sender import URGENT
        from slack_bot import visible

        return [visible(b) for b in self._direct(user) if not b["text"].startswith(URGENT)]

    async def urgent(self, user: str) -> list[str]:
        # Slack has no buzz: an urgent ping is a DM led by the siren and the person's mention
        from adapters.slack.sender import URGENT
        from slack_bot import visible

        return [visible(b) for b in self._direct(user) if b["text"].startswith(URGENT)]

    async def forged(self) -> int | None:
        from slack_support import interactive

        response = await self.w.http.post(interactive({"type": "block_actions"}), secret="wrong")
        return response.status_code

    def throttle_next_post(self) -> None:
        from slack_fake import Scripted

        self.w.fake.script("chat.postMessage", Scripted(
            status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "1"}))


# --------------------------------------------------------------------------------------- feishu

class FeishuDriver(Driver):
    platform = "feishu"

    def __init__(self, world: Any) -> None:
        super().__init__(world.app)
        self.w = world
        from feishu_world import GROUP

        self.group = GROUP

    def user_id(self, person: str) -> str:
        return f"ou_{person}"

    @property
    def workspace_id(self) -> str:
        from feishu_fakes import TENANT

        return f"feishu:{TENANT}"

    async def say(self, user: str, text: str, *, delivery: str | None = None) -> str:
        return await self.w.say(user, text, event_id=delivery)

    async def buttons(self, action_id: str, *, label: str | None = None) -> list[Any]:
        return [b for b in self.w.buttons(action_id) if label is None or label in b["label"]]

    async def click(self, user: str, button: Any, *, delivery: str | None = None) -> str:
        answer = await self.w.click(user, button, event_id=delivery)
        return str((answer.get("toast") or {}).get("content", ""))

    @staticmethod
    def label(button: Any) -> str:
        return button["label"]

    async def cards(self) -> list[str]:
        return self.w.chat_text(self.group)

    async def dms(self, user: str) -> list[str]:
        from feishu_world import card_text

        return [card_text(m["content"]) if m["type"] == "interactive" else m["content"]["text"]
                for m in self.w.fake.to(self.user_id(user))]

    async def urgent(self, user: str) -> list[str]:
        from feishu_world import card_text

        buzzed = {c.path.split("/")[5] for c in self.w.fake.find("PATCH", "/urgent_")
                  if self.user_id(user) in (c.json or {}).get("user_id_list", [])}
        return [card_text(self.w.fake.messages[m]["content"]) for m in buzzed]

    async def forged(self) -> int | None:
        from feishu_fakes import message_event, signed

        body, headers = signed(message_event("@bot 看板", sender="ou_x", event_id="forged"),
                               key="not-the-key")
        return (await self.w.http.post("/feishu/events", content=body, headers=headers)).status_code

    def throttle_next_post(self) -> None:
        self.w.fake.script("POST", "/open-apis/im/v1/messages", status=429,
                           body={"code": 99991400, "msg": "too many requests"},
                           headers={"x-ogw-ratelimit-reset": "1"}, exact=True)


# ------------------------------------------------------------------------------------- dingtalk

class DingTalkDriver(Driver):
    platform = "dingtalk"

    def __init__(self, world: Any) -> None:
        super().__init__(world.app)
        self.w = world
        from dingtalk_world import GROUP

        self.group = GROUP

    @property
    def workspace_id(self) -> str:
        from dingtalk_fake import CORP

        return f"dingtalk:{CORP}"

    async def say(self, user: str, text: str, *, delivery: str | None = None) -> str:
        return await self.w.say(user, text, msg_id=delivery)

    async def buttons(self, action_id: str, *, label: str | None = None) -> list[Any]:
        return self.w.buttons(action_id, label=label)

    async def click(self, user: str, button: Any, *, delivery: str | None = None) -> str:
        response = await self.w.click(user, button, frame_id=delivery)
        return ((response.get("userPrivateData") or {}).get("cardParamMap") or {}).get("my_status", "")

    @staticmethod
    def label(button: Any) -> str:
        shown, index = button
        return shown.params[f"btn{index}_label"]

    @staticmethod
    def _text(shown: Any) -> str:
        if shown.kind == "card":
            return "\n".join([shown.params.get("title", ""), shown.params.get("markdown", "")])
        return shown.text

    async def cards(self) -> list[str]:
        return [self._text(s) for s in self.w.messages(self.group) if s.kind != "ding"]

    async def dms(self, user: str) -> list[str]:
        return [self._text(s) for s in self.w.dms(user) if s.kind != "ding"]

    async def urgent(self, user: str) -> list[str]:
        return [s.text for s in self.w.dms(user) if s.kind == "ding"]

    async def forged(self) -> int | None:
        """The HTTP outgoing mode's endpoint, signed with the wrong secret."""
        from starlette.applications import Starlette

        from adapters.dingtalk.adapter import DingTalkAdapter
        from adapters.dingtalk.signature import sign
        from asgi_server import serve

        settings = self.w.adapter.settings.model_copy(update={"mode": "http"})
        adapter = DingTalkAdapter(settings=settings, core=self.w.adapter.core)
        ts = str(int(time.time() * 1000))
        async with serve(Starlette(routes=adapter.routes())) as base:
            async with httpx.AsyncClient(base_url=base) as http:
                response = await http.post("/dingtalk/events", json={"msgtype": "text"},
                                           headers={"timestamp": ts, "sign": sign(ts, "wrong")})
        await adapter.stop()
        return response.status_code

    def throttle_next_post(self) -> None:
        self.w.fake.script("POST", "/card/instances/createAndDeliver", status=200,
                           body={"errcode": 90018, "errmsg": "QpsLimitForAppkeyAndApi"})


# ------------------------------------------------------------------------------------ start/stop

PLATFORMS = ("local", "slack", "feishu", "dingtalk")


@contextlib.asynccontextmanager
async def running_platform(platform: str, database_url: tuple[str, str | None], *, monkeypatch: Any,
                           start: datetime) -> AsyncIterator[Driver]:
    """The whole bot on `platform` (its fake servers on 127.0.0.1), as a `Driver`."""
    url, schema = database_url
    if platform == "local":
        from harness import start_platform, stop_platform

        started = await start_platform(url, schema, start=start)
        try:
            yield LocalDriver(started[0])
        finally:
            await stop_platform(*started)
    elif platform == "slack":
        from slack_bot import start_slack_bot, stop_slack_bot

        started = await start_slack_bot(url, schema, start=start, monkeypatch=monkeypatch)
        try:
            yield SlackDriver(started[0])
        finally:
            await stop_slack_bot(*started)
    elif platform == "feishu":
        from feishu_world import start_feishu_app, stop_feishu_app

        started = await start_feishu_app(url, schema, start=start, monkeypatch=monkeypatch)
        try:
            yield FeishuDriver(started[0])
        finally:
            await stop_feishu_app(*started)
    elif platform == "dingtalk":
        from dingtalk_world import start_dingtalk_app, stop_dingtalk_app

        started = await start_dingtalk_app(url, schema, start=start, monkeypatch=monkeypatch)
        try:
            yield DingTalkDriver(started[0])
        finally:
            await stop_dingtalk_app(*started)
    else:
        raise ValueError(platform)
