"""Neutral cards and forms → Block Kit: golden files (tests/payloads/slack/golden/, rewrite with
UPDATE_GOLDEN=1 and review the diff) and Block Kit's limits (50 blocks, 3000-char text,
2000-char values): shortened with an ellipsis, never rejected."""
from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from adapters.slack.modal import encode_metadata, fields_from_state, render_modal, view_errors
from adapters.slack.codec import decode_action_id, decode_value
from adapters.slack.render import render_card
from slack_support import state_for
from workflows.cards import Button, Card, CardField, Form, Input, Mention, Option
from adapters.i18n import translator as _platform_translator


def translator(locale):
    return _platform_translator("slack", locale)

GOLDEN = Path(__file__).parent / "payloads" / "golden"
en = translator("en")
zh = translator("zh-CN")


def golden(name: str, data: dict) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"render differs from {path}"


def raci_card() -> Card:
    """Shaped like the core's RACI card (workflows/views/tasks.py): one confirm button per
    department, all with the same semantic action id."""
    return Card(
        title="[XT-2026-001] 618大促 分工确认", tone="info",
        text="**1. 活动页面** · R 技术部 · 负责人 王芳 · 2026-06-01 → 2026-06-10\n"
             "**2. 投放素材 <A/B>** · R 产品部 & 市场部",
        fields=[CardField("市场部", "已确认 · 刘敏 2026-05-20 10:02"),
                CardField("产品部", "待确认"), CardField("技术部", "待确认"),
                CardField("交付标准", "页面加载时间≤2秒", short=False)],
        mentions=[Mention("U0PROD", "周杰"), Mention("U0TECH", "王芳")],
        buttons=[Button("task.confirm", "产品部 确认", {"k": "raci:1", "r": 1, "d": 2},
                        style="primary", allowed=["U0PROD"]),
                 Button("task.confirm", "技术部 确认", {"k": "raci:1", "r": 1, "d": 3},
                        style="primary", allowed=["U0TECH"]),
                 Button("request.cancel", "取消需求", {"r": 1}, style="danger",
                        confirm="取消后无法恢复，确定吗？")],
        footer="由 刘敏 发起 · 2026-05-20")


def test_raci_card_golden():
    golden("raci_card", render_card(raci_card(), zh))


def test_repeated_action_ids_are_unique_in_slack_and_decode_back():
    actions = [b for b in render_card(raci_card(), zh)["blocks"] if b["type"] == "actions"][0]
    ids = [e["action_id"] for e in actions["elements"]]
    assert len(set(ids)) == len(ids)
    assert [decode_action_id(i) for i in ids] == ["task.confirm", "task.confirm",
                                                  "request.cancel"]
    assert [decode_value(e["value"])["d"] for e in actions["elements"][:2]] == [2, 3]


def test_fallback_text_carries_the_mentions_so_notifications_ping():
    text = render_card(raci_card(), zh)["text"]
    assert "<@U0PROD>" in text and "<@U0TECH>" in text
    assert "&lt;A/B&gt;" in text  # people's text never becomes markup


def test_a_huge_card_keeps_title_buttons_and_footer_within_fifty_blocks():
    card = raci_card()
    card.text = "长" * 5000
    card.fields = [CardField(f"任务 {i}", "x" * 2500, short=False) for i in range(80)]
    blocks = render_card(card, en)["blocks"]
    assert len(blocks) == 50
    assert blocks[0]["type"] == "header"
    assert [len(b["text"]["text"]) for b in blocks[1:3]] == [3000, 2000]  # all the text
    assert [b["type"] for b in blocks[-3:]] == ["context", "actions", "context"]
    assert "more" in blocks[-3]["elements"][0]["text"]
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_more_than_ten_short_fields_split_into_sections_of_ten():
    card = Card(title="t", fields=[CardField(str(i), "v") for i in range(23)])
    sections = [b for b in render_card(card, en)["blocks"] if "fields" in b]
    assert [len(s["fields"]) for s in sections] == [10, 10, 3]


def test_a_button_whose_value_exceeds_2000_chars_is_left_out_not_sent_broken():
    card = Card(title="t", buttons=[Button("a.ok", "ok", {"id": 1}),
                                    Button("a.big", "big", {"blob": "x" * 2100})])
    elements = [e for b in render_card(card, en)["blocks"] if b["type"] == "actions"
                for e in b["elements"]]
    assert [e["action_id"] for e in elements] == ["a.ok"]


def request_form() -> Card:
    """Shaped like the core's request form (workflows/views/request.py), every input kind."""
    depts = [Option("产品部", "产品部"), Option("技术部", "技术部"), Option("销售部", "销售部")]
    return Card(title="File a collaboration request (R1)", tone="info", text="请填写**需求单**",
                form=Form(form_id="request.new", submit_label="提交", value={"c": "C0618"},
                          inputs=[
                              Input("title", "需求名称", required=True, max_length=20,
                                    placeholder="≤20字", initial="618大促"),
                              Input("goal", "背景与目标", "textarea", required=True, max_length=100),
                              Input("depts", "协作部门", "multiselect", required=True,
                                    options=depts, initial=["技术部"]),
                              Input("due", "截止日期", "date", required=True,
                                    initial=date(2026, 6, 18)),
                              Input("risk", "风险", "select", options=[
                                  Option("low", "低"), Option("high", "高")], initial="low"),
                              Input("checks", "自检", "checkbox", options=[
                                  Option("s1", "完成率100%"), Option("s2", "误差率≤1%")]),
                              Input("urgent", "紧急", "checkbox"),
                          ]))


def test_request_form_modal_golden():
    meta = encode_metadata(value={"c": "C0618"}, channel="C0618", message="1.2",
                           response_url="https://hooks.slack.com/commands/T/1/x")
    golden("request_form_modal", render_modal(request_form(), metadata=meta, t=zh))


def test_modal_limits_title_24_chars_and_inputs_named_by_block_id():
    view = render_modal(request_form(), metadata="{}", t=zh)
    assert len(view["title"]["text"]) <= 24 and view["title"]["text"].endswith("…")
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "title", "goal", "depts", "due", "risk", "checks", "urgent"]


def test_submitted_modal_state_comes_back_as_the_cores_fields():
    view = render_modal(request_form(), metadata="{}", t=zh)
    state = state_for(view, {"title": "618大促", "goal": "GMV+30%", "depts": ["产品部", "技术部"],
                             "due": "2026-06-18", "risk": "high", "checks": ["s2"],
                             "urgent": ["true"]})
    assert fields_from_state(state) == {
        "title": "618大促", "goal": "GMV+30%", "depts": ["产品部", "技术部"],
        "due": "2026-06-18", "risk": "high", "checks": ["s2"], "urgent": "true"}
    empty = state_for(view, {"depts": [], "urgent": []})
    assert fields_from_state(empty) == {"title": "", "goal": "", "depts": [], "due": "",
                                        "risk": "", "checks": [], "urgent": "false"}


def test_errors_map_to_block_ids_and_form_wide_errors_land_on_the_first_input():
    view = render_modal(request_form(), metadata="{}", t=zh)
    assert view_errors({"due": "日期已过", "": "你不在任何部门"}, view) == {
        "due": "日期已过", "title": "你不在任何部门"}


@pytest.mark.parametrize("value", [{"r": 1}, {}, {"v": [1, "二"]}])
def test_metadata_round_trips(value):
    from adapters.slack.modal import decode_metadata

    meta = decode_metadata(encode_metadata(value=value, channel="C1", message="1.2"))
    assert meta == {"value": value, "channel": "C1", "message": "1.2", "response_url": ""}


def test_more_than_ten_checkboxes_become_a_multi_select_with_the_same_answer():
    standards = [Option(f"s{i}", f"标准 {i}") for i in range(12)]
    card = Card(title="交付", form=Form("request.deliver", "提交", inputs=[
        Input("met", "自检", "checkbox", options=standards)]))
    view = render_modal(card, metadata="{}", t=zh)
    [block] = [b for b in view["blocks"] if b["type"] == "input"]
    assert block["element"]["type"] == "multi_static_select"
    assert len(block["element"]["options"]) == 12
    assert fields_from_state(state_for(view, {"met": ["s0", "s11"]})) == {"met": ["s0", "s11"]}


def test_long_text_is_split_into_sections_at_line_ends_not_cut():
    from adapters.slack.blocks import sections

    lines = [f"{i:04d} " + "x" * 95 for i in range(70)]  # 70 lines of 100 characters
    texts = [b["text"]["text"] for b in sections("\n".join(lines))]
    assert [len(t) for t in texts] == [2928, 2928, 1211]  # 29 + 29 + 12 whole lines
    assert "\n".join(texts) == "\n".join(lines)
