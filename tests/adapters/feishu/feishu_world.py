"""A Feishu tenant for end-to-end tests: the real app (`bot.app.build` from settings, FEISHU_*
pointing at the fake Open API) served by uvicorn on 127.0.0.1 with a virtual clock. People type
(`say`) and click (`click`, `submit`) exactly as Feishu posts it to the bot — encrypted, signed,
over HTTP — and see what the fake Feishu shows them."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import httpx
import yaml

from feishu_fakes import (APP_ID, ENCRYPT_KEY, TENANT, VERIFICATION_TOKEN, FakeFeishu, card_action,
                          message_event, signed)

GROUP = "oc_product_page"


def open_id(person: str) -> str:
    return f"ou_{person}"


DEMO_ORG = Path(__file__).parents[3] / "bot" / "data" / "demo_org.yaml"


def feishu_org(demo_org_path: Path = DEMO_ORG) -> Any:
    """The demo org as a Feishu tenant: every person's Feishu identity is `ou_<id>`."""
    from workflows.org import parse_org

    data = yaml.safe_load(demo_org_path.read_text(encoding="utf-8"))
    data["workspace"].update(platform="feishu", id=TENANT)
    for person in data["people"]:
        person["identities"] = {"feishu": open_id(person["id"])}
    return parse_org(data)


def walk(element: Any) -> Iterator[dict[str, Any]]:
    """Every component of a card JSON 2.0 tree (columns, forms …)."""
    if isinstance(element, dict):
        if "tag" in element:
            yield element
        for value in element.values():
            yield from walk(value)
    elif isinstance(element, list):
        for item in element:
            yield from walk(item)


def card_text(card: dict[str, Any]) -> str:
    return "\n".join([card["header"]["title"]["content"]] + [
        e["content"] for e in walk(card.get("body", {})) if e.get("tag") == "markdown"])


class FeishuWorld:
    def __init__(self, *, app: Any, fake: FakeFeishu, base_url: str) -> None:
        self.app, self.fake = app, fake
        self.adapter = app.adapters["feishu"]
        self.delivery, self.scheduler = app.delivery, app.scheduler
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10)
        self._ids = itertools.count(1)
        self.last: list[dict[str, Any]] = []  # the bot's reply messages to the last `say`

    async def post(self, payload: dict[str, Any]) -> httpx.Response:
        body, headers = signed(payload)
        return await self.http.post("/feishu/events", content=body, headers=headers)

    async def settle(self) -> None:
        """Replies sent, timers fired, outbox drained — what a person sees a moment later."""
        await self.adapter.drain()
        await self.scheduler.kick()
        await self.delivery.drain()

    async def advance(self, **delta: float) -> None:
        """Move the virtual clock (`hours=2`): due timers fire, their messages go out."""
        self.app.clock.advance(timedelta(**delta))
        await self.settle()

    async def say(self, person: str, text: str, *, chat: str = GROUP,
                  event_id: str | None = None) -> str:
        """`@协作助手 <text>` in a group chat; returns the bot's reply (texts and card texts)."""
        event_id = event_id or f"ev-say-{next(self._ids)}"
        response = await self.post(message_event(f"@bot {text}", sender=open_id(person),
                                                  chat_id=chat, event_id=event_id))
        assert response.status_code == 200, response.text
        await self.settle()
        self.last = self.fake.replies(f"om_{event_id}")
        return "\n".join(m["content"].get("text") or card_text(m["content"]) for m in self.last)

    def buttons(self, action_id: str, *, to: str = GROUP) -> list[dict[str, Any]]:
        """The buttons with this action id on the cards in a chat (or a person's DMs)."""
        found = []
        for message in self.fake.to(to) + [m for m in self.fake.messages.values() if m["reply_to"]]:
            if message["type"] != "interactive":
                continue
            for element in walk(message["content"].get("body", {})):
                value = (element.get("behaviors") or [{}])[0].get("value") or {}
                if element.get("tag") == "button" and value.get("a") == action_id:
                    found.append({"message_id": message["id"], "value": value,
                                  "label": element["text"]["content"],
                                  "chat": message["to"] or GROUP})
        return found

    async def click(self, person: str, button: dict[str, Any], *,
                    event_id: str | None = None) -> dict[str, Any]:
        payload = card_action(button["value"], operator=open_id(person),
                              event_id=event_id or f"ev-click-{next(self._ids)}",
                              message_id=button["message_id"], chat_id=button["chat"])
        response = await self.post(payload)
        assert response.status_code == 200, response.text
        answer = response.json()
        if "card" in answer:  # the clicker's client swaps the card in place at once
            self.fake.messages[button["message_id"]]["content"] = answer["card"]["data"]
        await self.settle()
        return answer

    async def submit(self, person: str, form_message: dict[str, Any],
                     form_value: dict[str, Any]) -> dict[str, Any]:
        [submit] = [e for e in walk(form_message["content"]["body"])
                    if e.get("form_action_type") == "submit"]
        payload = card_action(submit["behaviors"][0]["value"], operator=open_id(person),
                              event_id=f"ev-form-{next(self._ids)}", message_id=form_message["id"],
                              chat_id=GROUP, form_value=form_value)
        response = await self.post(payload)
        assert response.status_code == 200, response.text
        await self.settle()
        return response.json()

    def chat_text(self, chat: str = GROUP) -> list[str]:
        return [card_text(m["content"]) if m["type"] == "interactive" else m["content"]["text"]
                for m in self.fake.to(chat)]

    async def aclose(self) -> None:
        await self.http.aclose()


FEISHU_ENV = {"FEISHU_APP_ID": APP_ID, "FEISHU_APP_SECRET": "sec", "FEISHU_ENCRYPT_KEY": ENCRYPT_KEY,
              "FEISHU_VERIFICATION_TOKEN": VERIFICATION_TOKEN}


async def start_feishu_app(database_url: str, schema: str | None, *, start: datetime,
                           monkeypatch: Any, **feishu_env: str) -> tuple[FeishuWorld, Any, Any]:
    """The whole bot as `collab-bot serve` builds it, Feishu configured through the environment.
    Returns (world, server, task) for `stop_feishu_app`."""
    from app_starter import start_app

    fake = await FakeFeishu().start()
    for name, value in {**FEISHU_ENV, "FEISHU_DOMAIN": fake.url, **feishu_env}.items():
        monkeypatch.setenv(name, value)
    app, server, task, port = await start_app(database_url, schema, start=start, org=feishu_org())
    assert "feishu" in app.adapters
    world = FeishuWorld(app=app, fake=fake, base_url=f"http://127.0.0.1:{port}")
    await world.settle()
    return world, server, task


async def stop_feishu_app(world: FeishuWorld, server: Any, task: Any) -> None:
    await world.aclose()
    from app_starter import stop_app

    await stop_app(server, task)
    await world.fake.stop()
