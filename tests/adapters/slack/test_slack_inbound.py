"""Slack payloads → core events, on the recorded payloads (tests/payloads/slack/)."""
from __future__ import annotations

import json

import pytest

from adapters.slack import inbound
from adapters.slack.codec import FORM_SUBMIT, OPEN_FORM
from slack_support import SECRET, recorded, sign
from workflows.events import ActionInvoked, CommandInvoked, FormSubmitted, Tenant


def test_our_signer_matches_slacks_published_test_vector():
    vector = recorded("signature_test_vector")
    timestamp = int(vector["headers"]["X-Slack-Request-Timestamp"])
    assert vector["signing_secret"] == SECRET
    assert sign(SECRET, vector["raw_body"].encode(), timestamp) == \
        vector["headers"]["X-Slack-Signature"]


def test_slash_command_becomes_a_command_keyed_by_its_trigger_id():
    event, origin = inbound.command_event(recorded("slash_command"))
    assert event == CommandInvoked(tenant=Tenant("slack", "T111"), actor="W111",
                                   conversation="C111", event_id="111.111.xxx", text="Hi")
    assert origin.response_url == "https://hooks.slack.com/commands/T111/111/xxxxx"
    assert origin.trigger_id == "111.111.xxx"


def test_mention_uses_the_same_grammar_without_the_bots_own_mention():
    event, origin = inbound.mention_event(recorded("event_callback"))
    assert (event.text, event.event_id, event.actor, event.conversation) == \
        ("Hi there!", "Ev111", "W222", "C111")
    event, _ = inbound.mention_event(recorded("event_callback_app_mention_authorizations"))
    assert (event.text, event.event_id, event.tenant) == \
        ("hey", "Ev04SPP46R6J", Tenant("slack", "T0G9PQBBK"))


def test_mention_keeps_other_peoples_mentions_for_the_core():
    body = recorded("event_callback_app_mention_authorizations")
    body["event"]["text"] = "<@U111> issue XT-2026-001 owner <@U333|wang> &lt;urgent&gt; &amp; co"
    event, _ = inbound.mention_event(body)
    assert event.text == "issue XT-2026-001 owner @U333 <urgent> & co"


def test_command_text_turns_markup_back_into_what_was_typed():
    assert inbound.command_text("see <https://x.example/a|x.example/a> or <mailto:a@b.co|a@b.co>"
                                ) == "see x.example/a or a@b.co"
    assert inbound.command_text("<#C123|general> <!here>") == "general !here"


def test_button_click_decodes_the_semantic_action_id_and_json_value():
    body = recorded("block_actions_with_message")
    body["actions"][0].update(action_id="task.confirm|2", value='{"d":3,"k":"raci:1","r":1}')
    event, origin = inbound.action_event(body)
    assert event == ActionInvoked(tenant=Tenant("slack", "T0G9PQBBK"), actor="U111",
                                  conversation="C111", event_id="4916855695380.xxx.yyy",
                                  message="1678252213.679169", action_id="task.confirm",
                                  value={"d": 3, "k": "raci:1", "r": 1})
    assert (origin.channel, origin.message, origin.ephemeral) == ("C111", "1678252213.679169",
                                                                  False)


def test_a_foreign_button_value_is_not_json_and_reaches_the_core_empty():
    event, origin = inbound.action_event(recorded("block_actions"))
    assert isinstance(event, ActionInvoked)
    assert (event.action_id, event.value, event.message) == ("a", {}, "111.222")
    assert origin.ephemeral is True


def test_submit_button_of_a_form_in_a_message_becomes_a_form_submission():
    body = recorded("block_actions_with_message")
    body["actions"][0].update(action_id=FORM_SUBMIT,
                              value=json.dumps({"f": "progress.daily", "v": {"t": 4}}))
    body["state"] = {"values": {"today": {"today": {"type": "plain_text_input", "value": "done"}},
                                "blocked": {"single": {"type": "checkboxes",
                                                       "selected_options": []}}}}
    event, _ = inbound.action_event(body)
    assert isinstance(event, FormSubmitted)
    assert (event.form_id, event.value, event.fields) == (
        "progress.daily", {"t": 4}, {"today": "done", "blocked": "false"})


def test_open_form_button_reruns_the_command_with_a_fresh_trigger():
    body = recorded("block_actions_with_message")
    body["actions"][0].update(action_id=OPEN_FORM, value=json.dumps({"text": "new"}))
    event, origin = inbound.action_event(body)
    assert isinstance(event, CommandInvoked) and event.text == "new"
    assert (origin.kind, origin.trigger_id) == ("command", "4916855695380.xxx.yyy")


def test_view_submission_reads_state_and_private_metadata():
    event, origin = inbound.view_event(recorded("view_submission"))
    assert (event.form_id, event.fields, event.value) == ("view-id", {"hspI": "test"}, {})
    assert event.conversation == "W111"  # no channel known: the user's own DM
    body = recorded("view_submission")
    body["view"]["private_metadata"] = json.dumps({"v": {"r": 7}, "c": "C9", "m": "17.1",
                                                   "r": "https://hooks.example/x"})
    event, origin = inbound.view_event(body)
    assert (event.value, event.conversation, event.message) == ({"r": 7}, "C9", "17.1")
    assert origin.response_url == "https://hooks.example/x"


@pytest.mark.parametrize("broken", [
    lambda b: b.pop("team"),
    lambda b: b.pop("user"),
    lambda b: b.update(actions=[]),
])
def test_a_payload_without_team_user_or_action_is_malformed(broken):
    body = recorded("block_actions_with_message")
    broken(body)
    if "user" in body and "team" not in body:
        body["user"].pop("team_id", None)
    with pytest.raises(inbound.Malformed):
        inbound.action_event(body)
