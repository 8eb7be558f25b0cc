"""The Slack transport over real HTTP (and a real Socket Mode WebSocket) against the fake Slack:
signatures, acks, modals, refusals, retries. The core here is a recording fake; the real core
runs in tests/test_slack_scenario.py."""
from __future__ import annotations

import json
import time

import pytest

from adapters.slack.adapter import SlackAdapter
from adapters.slack.codec import OPEN_FORM, decode_value
from adapters.slack.settings import SlackSettings
from slack_fake import FakeSlack
from slack_support import SECRET, FakeCore, interactive, recorded, running, slash_body
from workflows.cards import Card, CardField, Form, Input
from workflows.events import ActionInvoked, CommandInvoked, FormSubmitted, Reply


@pytest.fixture
async def fake_slack():
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


def settings_for(fake: FakeSlack, **kw) -> SlackSettings:
    base = {"bot_token": "xoxb-test", "signing_secret": SECRET, "app_token": "",
            "api_url": fake.api_url, "mode": "http"}
    return SlackSettings(**{**base, **kw})


def form_card() -> Card:
    return Card(title="New request", form=Form("request.new", "Submit", value={"c": 1}, inputs=[
        Input("title", "Title", required=True), Input("due", "Due", "date", required=True)]))


async def test_bad_signature_stale_or_missing_timestamp_get_401_and_reach_nobody(fake_slack):
    core = FakeCore()
    async with running(SlackAdapter(settings=settings_for(fake_slack), core=core)) as slack:
        body = slash_body(text="status", user="U1")
        assert (await slack.post(body, secret="not-the-secret")).status_code == 401
        stale = int(time.time()) - 301  # Slack's replay window is 5 minutes
        assert (await slack.post(body, timestamp=stale)).status_code == 401
        fresh = await slack.http.post("/slack/events", content=body, headers={
            "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"})
        assert fresh.status_code == 401
        assert (await slack.http.post("/slack/events", content=body)).status_code == 401
        assert (await slack.post(body, timestamp=int(time.time()) - 200)).status_code == 200
    assert len(core.events) == 1


@pytest.mark.parametrize("body,content_type", [
    (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    (b"[1, 2]", "application/json"),
    (b"\xff\xfe", "application/json"),
    (interactive({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
                  "actions": []}), "application/x-www-form-urlencoded"),
])
async def test_signed_but_malformed_payloads_get_400_and_change_nothing(fake_slack, body,
                                                                         content_type):
    core = FakeCore()
    async with running(SlackAdapter(settings=settings_for(fake_slack), core=core)) as slack:
        response = await slack.post(body, content_type=content_type)
    assert response.status_code == 400
    assert core.events == []


async def test_url_verification_is_answered_with_the_challenge(fake_slack):
    async with running(SlackAdapter(settings=settings_for(fake_slack), core=FakeCore())) as slack:
        body = recorded("url_verification")
        response = await slack.post(json.dumps(body).encode(), content_type="application/json")
    assert response.json() == {"challenge": body["challenge"]}


async def test_slash_command_is_answered_inline_and_privately(fake_slack):
    core = FakeCore(answer=lambda e: Reply(text="**XT-2026-001** is in progress"))
    async with running(SlackAdapter(settings=settings_for(fake_slack), core=core)) as slack:
        response = await slack.command("status XT-2026-001", user="U1", trigger="9.9.a")
    assert response.json() == {"response_type": "ephemeral",
                               "text": "*XT-2026-001* is in progress"}
    assert core.events == [CommandInvoked(tenant=core.events[0].tenant, actor="U1",
                                          conversation="C111", event_id="9.9.a",
                                          text="status XT-2026-001")]


async def test_a_retried_event_is_handed_over_with_the_same_id_and_answered_once(fake_slack):
    core = FakeCore(answer=lambda e: Reply(text="filed"))
    adapter = SlackAdapter(settings=settings_for(fake_slack), core=core)
    async with running(adapter) as slack:
        first = await slack.mention("new x", user="U1", event_id="Ev1")
        retry_headers = recorded("event_retry_headers")["retries"][0]
        again = await slack.mention("new x", user="U1", event_id="Ev1", headers=retry_headers)
        await adapter.drain()
    assert first.status_code == again.status_code == 200
    assert [e.event_id for e in core.events] == ["Ev1", "Ev1"]
    assert [c.body["text"] for c in fake_slack.calls_to("chat.postEphemeral")] == ["filed"]


async def test_a_multi_field_step_opens_a_modal_and_its_submission_reaches_the_core(fake_slack):
    def answer(event):
        if isinstance(event, CommandInvoked):
            return Reply(form=form_card())
        return Reply(text="filed XT-2026-001")

    core = FakeCore(answer=answer)
    adapter = SlackAdapter(settings=settings_for(fake_slack), core=core)
    async with running(adapter) as slack:
        hook = fake_slack.hook_url("commands/T111/1/x")
        ack = await slack.command("new", user="U1", channel="C0618", trigger="7.7.t",
                                  response_url=hook)
        assert ack.status_code == 200 and ack.text == ""
        opened = (await fake_slack.wait_for("views.open"))[0].body
        assert opened["trigger_id"] == "7.7.t"
        assert opened["view"]["callback_id"] == "request.new"
        done = await slack.submit(view=opened["view"], user="U1", trigger="8.8.t",
                                  values={"title": "618大促", "due": "2026-06-18"})
        assert done.status_code == 200 and done.text == ""
        await adapter.drain()
    submitted = core.events[-1]
    assert submitted == FormSubmitted(
        tenant=submitted.tenant, actor="U1", conversation="C0618", event_id="8.8.t",
        form_id="request.new", fields={"title": "618大促", "due": "2026-06-18"}, value={"c": 1})
    hooks = fake_slack.calls_to("hook")
    assert hooks[-1].body["text"] == "filed XT-2026-001"
    assert hooks[-1].body["response_type"] == "ephemeral"


async def test_modal_validation_errors_come_back_in_the_ack(fake_slack):
    core = FakeCore(answer=lambda e: Reply(ok=False, errors={"due": "2026-01-01 is past"}))
    async with running(SlackAdapter(settings=settings_for(fake_slack), core=core)) as slack:
        from adapters.slack.modal import render_modal
        from adapters.i18n import translator

        view = render_modal(form_card(), metadata="{}", t=translator("slack", "en"))
        response = await slack.submit(view=view, user="U1",
                                      values={"title": "x", "due": "2026-01-01"})
    assert response.json() == {"response_action": "errors",
                               "errors": {"due": "2026-01-01 is past"}}


async def test_a_wrong_person_click_gets_a_private_refusal_and_the_card_stays(fake_slack):
    core = FakeCore(answer=lambda e: Reply(text="Only the head of 技术部 may confirm for it.",
                                           ok=False, refused=True))
    adapter = SlackAdapter(settings=settings_for(fake_slack), core=core)
    async with running(adapter) as slack:
        response = await slack.click(action_id="task.confirm|2", value='{"r":1,"d":3}',
                                     user="U_SALES", response_url=fake_slack.hook_url())
        await adapter.drain()
    assert response.status_code == 200
    assert isinstance(core.events[0], ActionInvoked) and core.events[0].value == {"r": 1, "d": 3}
    [hook] = fake_slack.calls_to("hook")
    assert hook.body == {"response_type": "ephemeral", "replace_original": False,
                         "text": "Only the head of 技术部 may confirm for it."}
    assert fake_slack.calls_to("chat.update") == []


async def test_a_click_updates_the_clicked_card_in_place(fake_slack):
    card = Card(title="RACI", fields=[CardField("技术部", "confirmed by 王芳")],
                footer="confirmed by 王芳 at 10:02")
    core = FakeCore(answer=lambda e: Reply(text="Confirmed.", card=card))
    adapter = SlackAdapter(settings=settings_for(fake_slack), core=core)
    async with running(adapter) as slack:
        await slack.click(action_id="task.confirm", value='{"r":1}', user="U_TECH",
                          channel="C0618", message_ts="1700.1", response_url=fake_slack.hook_url())
        [update] = await fake_slack.wait_for("chat.update")
        await adapter.drain()
    assert (update.body["channel"], update.body["ts"]) == ("C0618", "1700.1")
    assert update.body["blocks"][-1]["elements"][0]["text"] == "confirmed by 王芳 at 10:02"
    assert fake_slack.calls_to("hook")[0].body["text"] == "Confirmed."


async def test_a_core_crash_is_a_polite_private_answer_not_a_500(fake_slack):
    def answer(event):
        raise RuntimeError("database is gone")

    async with running(SlackAdapter(settings=settings_for(fake_slack),
                                    core=FakeCore(answer=answer))) as slack:
        response = await slack.command("status", user="U1")
    assert response.status_code == 200
    assert "nothing was changed" in response.json()["text"]


async def test_a_mention_needing_a_form_offers_a_button_that_opens_the_modal(fake_slack):
    core = FakeCore(answer=lambda e: Reply(form=form_card()))
    adapter = SlackAdapter(settings=settings_for(fake_slack), core=core)
    async with running(adapter) as slack:
        await slack.mention("new", user="U1", event_id="Ev9")
        [ephemeral] = await fake_slack.wait_for("chat.postEphemeral")
        button = ephemeral.body["blocks"][-1]["elements"][0]
        assert button["action_id"] == OPEN_FORM and decode_value(button["value"]) == {"text": "new"}
        await slack.click(action_id=OPEN_FORM, value=button["value"], user="U1", trigger="5.5.t")
        [opened] = await fake_slack.wait_for("views.open")
    assert opened.body["trigger_id"] == "5.5.t"
    assert [type(e).__name__ for e in core.events] == ["CommandInvoked", "CommandInvoked"]
    assert core.events[1].text == "new"


async def test_socket_mode_acks_the_envelope_with_the_reply_through_the_same_core_path(
        fake_slack):
    core = FakeCore(answer=lambda e: Reply(text="usage: /collab new|status|…"))
    adapter = SlackAdapter(settings=settings_for(fake_slack, app_token="xapp-1-test",
                                                 signing_secret="", mode="socket"), core=core)
    assert adapter.routes() == []  # no signing secret: no HTTP endpoint to forge requests to
    await adapter.start()
    try:
        await fake_slack.wait_connected()
        envelope = recorded("socket_mode_slash_command_envelope")
        await fake_slack.send_envelope(envelope)
        ack = await fake_slack.wait_ack(envelope["envelope_id"])
        event_envelope = {"envelope_id": "ev-env-1", "type": "events_api",
                          "accepts_response_payload": False, "retry_attempt": 1,
                          "retry_reason": "timeout",
                          "payload": json.loads(recorded_mention())}
        await fake_slack.send_envelope(event_envelope)
        event_ack = await fake_slack.wait_ack("ev-env-1")
        await adapter.drain()
    finally:
        await adapter.stop()
    assert ack == {"envelope_id": envelope["envelope_id"],
                   "payload": {"response_type": "ephemeral", "text": "usage: /collab new|status|…"}}
    assert event_ack == {"envelope_id": "ev-env-1"}
    first = core.events[0]
    assert (first.actor, first.conversation, first.event_id) == (
        "U123ABC456", "C123ABC456", "37053613634.26768298162.440952c06ef4de2653466a48fe495f93")
    assert core.events[1].event_id == "Ev04SPP46R6J"
    assert fake_slack.calls_to("apps.connections.open")[0].headers["Authorization"] == \
        "Bearer xapp-1-test"


def recorded_mention() -> str:
    body = recorded("event_callback_app_mention_authorizations")
    return json.dumps(body)


async def test_settings_pick_socket_mode_when_an_app_token_is_set():
    assert SlackSettings(bot_token="x", app_token="xapp-1", signing_secret="").mode == "socket"
    assert SlackSettings(bot_token="x", app_token="xapp-1").configured
    http = SlackSettings(bot_token="x", app_token="", signing_secret="s")
    assert http.mode == "http" and http.configured
    assert not SlackSettings(bot_token="", app_token="", signing_secret="s").configured
    assert not SlackSettings(bot_token="x", app_token="", signing_secret="").configured


async def test_an_unknown_slack_user_is_linked_by_email_and_their_click_then_counts(fake_slack):
    fake_slack.emails.update({"U_NEW": "wang.fang@acme.example", "U_GUEST": "guest@else.example"})
    core = FakeCore(answer=lambda e: Reply(text="Confirmed."), known={"U_HEAD"},
                    people={"wang.fang@acme.example"})
    adapter = SlackAdapter(settings=settings_for(fake_slack), core=core)
    async with running(adapter) as slack:
        await slack.click(action_id="task.confirm", value="{}", user="U_NEW", trigger="1.t",
                          response_url=fake_slack.hook_url())
        for trigger in ("2.t", "3.t"):  # a stranger: answered, looked up once only
            await slack.click(action_id="task.confirm", value="{}", user="U_GUEST",
                              trigger=trigger, response_url=fake_slack.hook_url())
        await adapter.drain()
    assert core.linked == {"U_NEW": "wang.fang@acme.example"}
    assert [e.event_id for e in core.events] == ["1.t", "1.t", "2.t", "3.t"]
    assert [h.body["text"] for h in fake_slack.calls_to("hook")] == [
        "Confirmed.", "unknown user U_GUEST", "unknown user U_GUEST"]
    assert [c.body["user"] for c in fake_slack.calls_to("users.info")] == ["U_NEW", "U_GUEST"]


async def test_people_the_org_knows_only_by_email_are_linked_at_start(fake_slack):
    fake_slack.emails.update({"U_VP": "zhao@acme.example"})
    core = FakeCore(people={"zhao@acme.example", "left@acme.example"},
                    unlinked=["zhao@acme.example", "left@acme.example"])
    adapter = SlackAdapter(settings=settings_for(fake_slack), core=core)
    await adapter.start()
    await adapter.drain()
    await adapter.stop()
    assert core.linked == {"U_VP": "zhao@acme.example"}
    assert adapter.team == "T111"
    assert [c.body["email"] for c in fake_slack.calls_to("users.lookupByEmail")] == [
        "zhao@acme.example", "left@acme.example"]
