"""Helpers for the Slack tests: Slack's request signing, request bodies built on the recorded
payload shapes (tests/payloads/slack/), the app served over real HTTP, and a fake core for the
transport tests that do not need the real one."""
from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable
from urllib.parse import quote, urlencode

import httpx
from starlette.applications import Starlette

from asgi_server import serve
from workflows.events import Event, Reply, Tenant

PAYLOADS = Path(__file__).parent / "payloads"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
FORM = "application/x-www-form-urlencoded"


def recorded(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Slack's v0 signature: HMAC-SHA256 over `v0:{timestamp}:{raw body}`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, *, content_type: str, secret: str = SECRET,
                   timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(secret, body, ts)}


# ---- request bodies on the recorded shapes --------------------------------------------------

def slash_body(*, text: str, user: str, channel: str = "C111", team: str = "T111",
               trigger: str = "111.111.xxx", response_url: str = "",
               command: str = "/collab") -> bytes:
    body = recorded("slash_command")
    body.update(team_id=team, user_id=user, channel_id=channel, text=text, trigger_id=trigger,
                command=command, response_url=response_url or body["response_url"])
    return urlencode(body).encode()


def interactive(payload: dict[str, Any]) -> bytes:
    return f"payload={quote(json.dumps(payload))}".encode()


def action_payload(*, action_id: str, value: str, user: str, channel: str = "C111",
                   message_ts: str = "1678252213.679169", team: str = "T111",
                   trigger: str = "4916855695380.xxx.yyy", response_url: str = "",
                   ephemeral: bool = False, state: dict[str, Any] | None = None,
                   action_ts: str = "1678252216.469172") -> dict[str, Any]:
    body = copy.deepcopy(recorded("block_actions_with_message"))
    body["team"] = {"id": team}
    body["user"] = {"id": user, "team_id": team}
    body["channel"] = {"id": channel}
    body["container"].update(message_ts=message_ts, channel_id=channel, is_ephemeral=ephemeral)
    body["message"]["ts"] = message_ts
    body["trigger_id"] = trigger
    body["response_url"] = response_url or body["response_url"]
    body["state"] = {"values": state or {}}
    body["actions"][0].update(action_id=action_id, value=value, action_ts=action_ts)
    return body


def state_for(view_or_blocks: Any, values: dict[str, Any]) -> dict[str, Any]:
    """`state.values` as Slack sends it for the rendered input blocks, filled with `values`
    (input name → text / ISO date / option value / list of option values)."""
    blocks = view_or_blocks["blocks"] if isinstance(view_or_blocks, dict) else view_or_blocks
    state: dict[str, Any] = {}
    for block in blocks:
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind, action = element["type"], element["action_id"]
        value = values.get(block["block_id"])
        options = {o["value"]: o for o in element.get("options", [])}
        if kind == "plain_text_input":
            entry = {"value": value}
        elif kind == "datepicker":
            entry = {"selected_date": value}
        elif kind == "static_select":
            entry = {"selected_option": options.get(value) if value else None}
        else:  # multi_static_select, checkboxes
            entry = {"selected_options": [options[v] for v in value or []]}
        state[block["block_id"]] = {action: {"type": kind, **entry}}
    return state


def view_payload(*, view: dict[str, Any], values: dict[str, Any], user: str,
                 team: str = "T111", trigger: str = "111.222.valid") -> dict[str, Any]:
    body = copy.deepcopy(recorded("view_submission"))
    body["team"] = {"id": team, "domain": "acme"}
    body["user"] = {"id": user, "team_id": team}
    body["trigger_id"] = trigger
    submitted = copy.deepcopy(body["view"])
    submitted.update({k: v for k, v in view.items() if k in (
        "callback_id", "private_metadata", "blocks", "title", "submit", "close")})
    submitted["team_id"] = team
    submitted["state"] = {"values": state_for(view, values)}
    body["view"] = submitted
    return body


def mention_body(*, text: str, user: str, channel: str = "C111", team: str = "T111",
                 event_id: str = "Ev04SPP46R6J", bot: str = "UBOT") -> bytes:
    body = copy.deepcopy(recorded("event_callback_app_mention_authorizations"))
    body["team_id"] = team
    body["event"].update(text=f"<@{bot}> {text}", user=user, channel=channel, team=team)
    body["event_id"] = event_id
    body["authorizations"][0].update(team_id=team, user_id=bot)
    body["token"] = "verification_token"
    return json.dumps(body).encode()


# ---- the app over real HTTP (asgi_server.serve) --------------------------------------------

@dataclass
class SlackHttp:
    """Sends what Slack sends: signed POSTs to /slack/events."""

    http: httpx.AsyncClient
    secret: str = SECRET

    async def post(self, body: bytes, *, content_type: str = FORM, timestamp: int | None = None,
                   headers: dict[str, str] | None = None, secret: str | None = None
                   ) -> httpx.Response:
        signed = signed_headers(body, content_type=content_type, secret=secret or self.secret,
                                timestamp=timestamp)
        return await self.http.post("/slack/events", content=body,
                                    headers={**signed, **(headers or {})})

    async def command(self, text: str, **kw: Any) -> httpx.Response:
        return await self.post(slash_body(text=text, **kw))

    async def click(self, **kw: Any) -> httpx.Response:
        return await self.post(interactive(action_payload(**kw)))

    async def submit(self, **kw: Any) -> httpx.Response:
        return await self.post(interactive(view_payload(**kw)))

    async def mention(self, text: str, *, headers: dict[str, str] | None = None,
                      **kw: Any) -> httpx.Response:
        return await self.post(mention_body(text=text, **kw), content_type="application/json",
                               headers=headers)


@asynccontextmanager
async def running(adapter: Any) -> AsyncIterator[SlackHttp]:
    """The adapter's routes served over HTTP; follow-ups drained and the adapter stopped after."""
    await adapter.start()
    try:
        async with serve(Starlette(routes=adapter.routes())) as base:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                yield SlackHttp(http)
    finally:
        await adapter.stop()


# ---- a fake core for transport tests ------------------------------------------------------------

@dataclass
class FakeCore:
    """Records events; answers with `answer(event)`; a repeated event id is a duplicate, as
    with the real core's processed_event. With `known` set, other actors are unknown until
    linked by one of the org's emails (`people`); `unlinked` is what `unlinked_emails` says."""

    answer: Callable[[Event], Reply] = lambda event: Reply(text="ok")
    events: list[Event] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    known: set[str] | None = None
    people: set[str] = field(default_factory=set)
    linked: dict[str, str] = field(default_factory=dict)
    unlinked: list[str] = field(default_factory=list)

    async def handle(self, event: Event) -> Reply:
        self.events.append(event)
        if self.known is not None and event.actor not in self.known | set(self.linked):
            return Reply(ok=False, unknown_actor=True, text=f"unknown user {event.actor}")
        if event.event_id in self.seen:
            return Reply(duplicate=True)
        self.seen.add(event.event_id)
        return self.answer(event)

    async def link_identity(self, *, tenant: Tenant, external_id: str, email: str) -> bool:
        if email.lower() in self.people:
            self.linked[external_id] = email.lower()
            return True
        return False

    async def unlinked_emails(self, *, tenant: Tenant) -> list[str]:
        return [e for e in self.unlinked if e.lower() not in self.linked.values()]
