"""Feishu payloads → core events (pure), on the recorded payload shapes."""
from __future__ import annotations

import copy
import json

import pytest

from adapters.feishu import inbound
from feishu_fakes import BOT_OPEN_ID, card_action, message_event, recorded
from workflows.events import ActionInvoked, CommandInvoked, FormSubmitted, Tenant


def test_url_verification_is_answered_with_its_challenge():
    parsed = inbound.parse(recorded("url_verification"))
    assert parsed == inbound.UrlVerification(challenge="ajls384kdj", token="xxxxxx")


def test_recorded_group_message_with_a_mention_becomes_a_command():
    payload = recorded("message_receive_v2")  # "@_user_1 hello", @_user_1 = ou_84aad…
    parsed = inbound.parse(payload, bot_open_id="ou_84aad35d084aa403a838cf73ee18467")
    assert isinstance(parsed, inbound.Inbound)
    assert parsed.event == CommandInvoked(
        tenant=Tenant("feishu", "2ca1d211f64f6438"), actor="ou_84aad35d084aa403a838cf73ee18467",
        conversation="oc_5ce6d572455d361153b7xx51da133945",
        event_id="5e3702a84e847582be8db7fb73283c02", at=parsed.event.at, text="hello")
    assert parsed.event.at.year == 2020  # header.create_time, milliseconds
    assert parsed.message_id == "om_5ce6d572455d361153b7cb51da133945"
    assert parsed.chat_type == "group"


def test_group_message_that_does_not_mention_the_bot_is_ignored():
    payload = message_event("大家好 @_user_2", sender="ou_a", event_id="e1", mention_bot=False,
                            others=[("ou_b", "王芳")])
    assert isinstance(inbound.parse(payload, bot_open_id=BOT_OPEN_ID), inbound.Ignored)


def test_other_people_stay_as_names_and_the_command_word_goes():
    payload = message_event("@bot /协作 指派 T1 @_user_2", sender="ou_a", event_id="e2",
                            others=[("ou_b", "王芳")])
    parsed = inbound.parse(payload, bot_open_id=BOT_OPEN_ID)
    assert parsed.event.text == "指派 T1 @王芳"


def test_without_the_bot_id_a_message_opening_with_a_mention_addresses_the_bot():
    payload = message_event("@bot 新建  产品页改版", sender="ou_a", event_id="e3")
    assert inbound.parse(payload, bot_open_id=None).event.text == "新建 产品页改版"
    late = message_event("看这里 @bot", sender="ou_a", event_id="e4")
    assert isinstance(inbound.parse(late, bot_open_id=None), inbound.Ignored)


def test_direct_messages_need_no_mention():
    payload = message_event("/collab status XT-2026-001", sender="ou_a", event_id="e5",
                            chat_type="p2p", chat_id="oc_p2p", mention_bot=False)
    parsed = inbound.parse(payload, bot_open_id=BOT_OPEN_ID)
    assert parsed.event.text == "status XT-2026-001"
    assert parsed.event.conversation == "oc_p2p" and parsed.chat_type == "p2p"


def test_rich_text_post_messages_are_read_as_text():
    payload = message_event("x", sender="ou_a", event_id="e6")
    message = payload["event"]["message"]
    message["message_type"] = "post"
    message["content"] = json.dumps({"title": "", "content": [
        [{"tag": "at", "user_id": "@_user_1"}, {"tag": "text", "text": " 新建 "}],
        [{"tag": "text", "text": "第二行"}]]}, ensure_ascii=False)
    assert inbound.parse(payload, bot_open_id=BOT_OPEN_ID).event.text == "新建\n第二行"


def test_images_and_bot_senders_are_ignored():
    image = message_event("x", sender="ou_a", event_id="e7")
    image["event"]["message"].update(message_type="image", content='{"image_key":"img_1"}')
    assert isinstance(inbound.parse(image, bot_open_id=BOT_OPEN_ID), inbound.Ignored)
    from_bot = message_event("@bot 新建", sender="ou_a", event_id="e8")
    from_bot["event"]["sender"]["sender_type"] = "app"
    assert isinstance(inbound.parse(from_bot, bot_open_id=BOT_OPEN_ID), inbound.Ignored)


def test_button_click_carries_the_core_action_id_and_value():
    payload = card_action({"a": "task.confirm", "v": {"task": 3}}, operator="ou_head",
                          event_id="ev_btn_001", message_id="om_msg_001", chat_id="oc_chat_001")
    parsed = inbound.parse(payload)
    assert isinstance(parsed.event, ActionInvoked)
    assert (parsed.event.action_id, parsed.event.value) == ("task.confirm", {"task": 3})
    assert (parsed.event.actor, parsed.event.message, parsed.event.conversation) == (
        "ou_head", "om_msg_001", "oc_chat_001")
    assert parsed.event.tenant == Tenant("feishu", "2ca1d211f64f6438")


def test_form_submit_normalises_dates_lists_and_checkers():
    payload = card_action({"f": "request.new", "v": {"draft": 7}}, operator="ou_a", event_id="f1",
                          form_value={"title": "产品页改版", "due": "2026-07-20 +0800",
                                      "depts": ["tech", "design"], "agree": True})
    event = inbound.parse(payload).event
    assert isinstance(event, FormSubmitted)
    assert event.form_id == "request.new" and event.value == {"draft": 7}
    assert event.fields == {"title": "产品页改版", "due": "2026-07-20",
                            "depts": ["tech", "design"], "agree": True}


def test_recorded_click_without_our_action_id_is_ignored():
    assert isinstance(inbound.parse(recorded("card_action_trigger")), inbound.Ignored)


@pytest.mark.parametrize("path", [("header",), ("header", "event_id"), ("event", "operator")])
def test_missing_required_fields_are_malformed(path):
    payload = card_action({"a": "x"}, operator="ou_a", event_id="m1")
    target = payload
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    with pytest.raises(inbound.MalformedPayload):
        inbound.parse(payload)


def test_message_content_that_is_not_json_is_malformed():
    payload = copy.deepcopy(recorded("message_receive_v2"))
    payload["event"]["message"]["content"] = "{not json"
    with pytest.raises(inbound.MalformedPayload):
        inbound.parse(payload, bot_open_id=BOT_OPEN_ID)


def test_multi_line_commands_keep_their_line_breaks():
    payload = message_event("@bot /协作 新建\n名称:  新品详情页改版\n协作部门: 技术部、设计部",
                            sender="ou_a", event_id="ml")
    assert inbound.parse(payload, bot_open_id=BOT_OPEN_ID).event.text == \
        "新建\n名称: 新品详情页改版\n协作部门: 技术部、设计部"
