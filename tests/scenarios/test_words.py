"""How people actually type: the full-width slash, `@bot` first, lower-case or short request
numbers; and what they are told when a message cannot be taken."""
from __future__ import annotations

from harness import running_request


async def test_full_width_slash_mentions_and_short_numbers_are_understood(platform) -> None:
    await running_request(platform)
    shown = await platform.say("sun", "@协作机器人 ／协作 查看 xt-2026-1")
    assert shown["ok"] and "XT-2026-001" in shown["reply"], shown
    assert (await platform.say("sun", "／协作　看板 XT-2026-001"))["ok"]
    chatter = await platform.say("sun", "大家好，今天开会吗？")
    assert chatter["reply"] == "" and chatter["card"] is None


async def test_an_oversized_message_is_refused_whole_and_changes_nothing(platform) -> None:
    answer = await platform.say("sun", "/协作 新建\n名称: 大文件\n协作部门: 技术部\n截止: 8/15\n交付标准: 全部完成\n具体协作内容: 技术部=" + "很长" * 10_000)
    assert answer["ok"] is False and "太长" in answer["reply"]
    assert (await platform.say("sun", "/协作 列表 全部"))["reply"] == "暂无协作需求。"


async def test_resolving_someone_elses_issue_says_who_may_resolve_it(platform) -> None:
    await running_request(platform)
    await platform.say("lin", "/协作 问题 XT-2026-001\n描述: 接口文档缺失\n责任部门: 技术部")
    answer = await platform.say("lin", "/协作 解决 XT-2026-001#1 我来解决")
    assert answer["refused"] and "只有责任部门（技术部）可以解决此问题" in answer["reply"]


async def test_a_button_naming_no_department_is_a_bad_action_not_a_blank_name(platform) -> None:
    await running_request(platform)
    card = (await platform.messages())[0]
    answer = await platform.click("li", {"action_id": "task.confirm", "value": {"r": 1, "d": 999},
                                         "message_id": card["id"]})
    assert answer["ok"] is False and "—" not in answer["reply"] and "按钮" in answer["reply"], answer
