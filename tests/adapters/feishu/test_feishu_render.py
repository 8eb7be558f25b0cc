"""Neutral card → Feishu card JSON 2.0: golden files, escaping, size limits, callback answers.

Regenerate the golden files after a deliberate change with `UPDATE_GOLDEN=1` and review the diff.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from adapters.feishu import render
from workflows.cards import Button, Card, CardField, Form, Input, Mention, Option
from workflows.events import Reply

GOLDEN = Path(__file__).parent / "payloads" / "golden"


def confirmation_card() -> Card:
    return Card(
        title="XT-2026-015 产品页改版 · 待确认分工",
        tone="warning",
        text="请各部门负责人确认分工（R6）。**未全部确认前不进入执行。**",
        fields=[CardField("发起部门", "产品部"), CardField("协作部门", "技术部、设计部"),
                CardField("正式上线", "2026-08-15"), CardField("交付标准", "页面加载时间≤2秒", short=False)],
        mentions=[Mention("ou_tech_head", "李强"), Mention("ou_design_head", "赵敏")],
        buttons=[Button("task.confirm", "确认分工", {"request": 15}, style="primary"),
                 Button("request.cancel", "取消需求", {"request": 15}, style="danger",
                        confirm="取消后所有部门都会收到通知，确定取消？")],
        footer="产品部 张伟 发起于 2026-07-01 10:02",
    )


def request_form_card() -> Card:
    return Card(
        title="新建协作需求",
        tone="info",
        form=Form(form_id="request.new", submit_label="提交", value={"draft": 1}, inputs=[
            Input("title", "需求名称", required=True, max_length=20, placeholder="≤ 20 字"),
            Input("goal", "需求背景与目标", kind="textarea", max_length=100),
            Input("due", "正式上线", kind="date", required=True, initial="2026-08-15"),
            Input("lead", "牵头部门", kind="select", options=[Option("tech", "技术部"),
                                                            Option("design", "设计部")]),
            Input("depts", "协作部门", kind="multiselect", initial=["tech"],
                  options=[Option("tech", "技术部"), Option("design", "设计部")]),
            Input("urgent", "紧急", kind="checkbox"),
        ]),
    )


CASES = {"confirmation_card": confirmation_card, "request_form_card": request_form_card,
         "minimal_card": lambda: Card(title="已归档")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_card_matches_golden_file(name):
    rendered = render.card_json(CASES[name]())
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rendered, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert rendered == json.loads(path.read_text(encoding="utf-8"))


def test_every_card_is_a_shared_json_2_card_with_a_tone_colour():
    for tone, colour in [("danger", "red"), ("success", "green"), ("neutral", "blue")]:
        rendered = render.card_json(Card(title="t", tone=tone))
        assert rendered["schema"] == "2.0" and rendered["config"] == {"update_multi": True}
        assert rendered["header"]["template"] == colour


def test_buttons_call_back_with_the_core_action_id():
    rendered = json.dumps(render.card_json(confirmation_card()), ensure_ascii=False)
    assert '"value": {"a": "task.confirm", "v": {"request": 15}}' in rendered
    assert '<at id=ou_tech_head></at> <at id=ou_design_head></at>' in rendered


def test_user_text_cannot_inject_markup():
    card = Card(title="<b>", text="<at id=all></at> 请看", fields=[CardField("名称", "<font>x</font>")])
    rendered = json.dumps(render.card_json(card), ensure_ascii=False)
    assert "<at id=all>" not in rendered and "<font>" not in rendered
    assert "&#60;at id=all&#62;" in rendered
    assert render.card_json(card)["header"]["title"]["content"] == "<b>"  # plain text stays


def test_oversized_cards_are_truncated_under_the_limit_with_a_note():
    card = Card(title="周报", text="进展" * 20000, fields=[CardField("风险", "延期" * 8000, short=False)])
    rendered = render.card_json(card)
    assert render.size(rendered) <= render.CARD_BUDGET_BYTES
    assert rendered["body"]["elements"][0]["content"].endswith("…（内容过长，已截断）")
    assert rendered["body"]["elements"][0]["content"].startswith("进展进展")


def test_a_card_too_big_to_trim_falls_back_to_title_and_note():
    options = [Option(f"o{i}", "选项" * 60) for i in range(400)]
    card = Card(title="巨型表单", form=Form("f", "提交", inputs=[
        Input(f"s{i}", "选择", kind="select", options=options) for i in range(5)]))
    rendered = render.card_json(card, locale="en")
    assert render.size(rendered) <= render.CARD_BUDGET_BYTES
    assert rendered["body"]["elements"] == [{"tag": "markdown", "content": "(too long, truncated)"}]


def test_click_answer_is_a_success_toast_with_the_new_card():
    response = render.callback_response(Reply(text="已确认", card=Card(title="已确认", tone="success")))
    assert response["toast"] == {"type": "success", "content": "已确认"}
    assert response["card"]["type"] == "raw"
    assert response["card"]["data"]["header"]["template"] == "green"


def test_refusal_is_an_error_toast_with_the_reason_and_no_card():
    response = render.callback_response(Reply(text="只有技术部负责人可以确认", ok=False, refused=True))
    assert response == {"toast": {"type": "error", "content": "只有技术部负责人可以确认"}}


def test_duplicate_and_form_errors_answers():
    assert render.callback_response(Reply(duplicate=True))["toast"] == {
        "type": "info", "content": "该操作已处理过，无需重复提交"}
    errors = render.callback_response(Reply(ok=False, errors={"title": "需求名称不超过20字"}))
    assert errors["toast"] == {"type": "error", "content": "请修改后再提交：需求名称不超过20字"}


def test_command_reply_messages_text_then_card_and_nothing_for_a_duplicate():
    messages = render.reply_messages(Reply(text="已创建", card=Card(title="XT-2026-001")))
    assert [m[0] for m in messages] == ["text", "interactive"]
    assert json.loads(messages[0][1]) == {"text": "已创建"}
    assert render.reply_messages(Reply(text="已创建", duplicate=True)) == []
