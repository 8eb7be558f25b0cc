"""R34 协作范围 and the SMART goal: the request states what is in and out of scope (on its card
and in the archive), and a goal without a number, a date or a standard gets a soft warning —
the request is filed all the same, like R3's vague words."""
from __future__ import annotations

import pytest

from workflows.requests.smart import measurable


@pytest.mark.parametrize("goal, ok", [
    ("提升转化率", False), ("改善用户体验", False), ("make onboarding better", False),
    ("8月15日前转化率提升至5%", True), ("页面加载时间≤2秒", True), ("达到公司视觉标准", True),
    ("conversion up to 5% by Aug 15", True), ("cut support tickets within a quarter", True),
])
def test_a_goal_is_measurable_when_it_names_a_number_a_date_or_a_standard(goal: str, ok: bool) -> None:
    assert measurable(goal) is ok


async def test_scope_is_on_the_card_and_a_vague_goal_is_warned_not_refused(platform):
    filed = await platform.say("sun", "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率\n协作部门: 技术部\n"
                                      "截止: 8/15\n交付标准: 页面加载时间≤2秒\n协作范围: 详情页前端与接口\n不在范围: 支付流程改造")
    assert filed["ok"] and "SMART" in filed["reply"]
    card = (await platform.say("sun", "/协作 查看 XT-2026-001"))["card"]
    fields = {f["label"]: f["value"] for f in card["fields"]}
    assert fields["协作范围（范围内）"] == "详情页前端与接口" and fields["不在范围内"] == "支付流程改造"
    smart = await platform.say("sun", "/collab new\ntitle: Page v2\ngoal: conversion up to 5% by 8/15\n"
                                      "depts: 技术部\ndue: 8/15\nstandard: loads in ≤2 s")
    assert smart["ok"] and "SMART" not in smart["reply"]
