"""The rules as the guidelines write them, where a first pass was looser: R1's required 交付标准
and 接口人 with 联系方式, R12's 责任部门, R16's answer reaching the asker, R18's revise-by date,
R19's self-check against the agreed standards."""
from __future__ import annotations

from harness import running_request

FILE = "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率10%\n协作部门: 技术部、设计部\n截止: 8/15"


async def test_filing_needs_a_standard_and_contacts_need_a_way_to_reach_them(platform) -> None:
    missing = await platform.say("sun", FILE)
    assert missing["ok"] is False and "交付标准" in missing["reply"]
    no_way = await platform.say("sun", FILE + "\n交付标准: 页面加载≤2秒\n接口人: 技术部=吴磊")
    assert no_way["ok"] is False and "联系方式" in no_way["reply"]
    filed = await platform.say("sun", FILE + "\n交付标准: 页面加载≤2秒\n接口人: 技术部=吴磊 分机8021")
    assert filed["ok"], filed
    card = (await platform.messages())[0]["text"]
    assert "吴磊（分机8021）" in card and "林琳" in card  # 设计部's liaison by default


async def test_an_issue_without_a_responsible_department_asks_for_one(platform) -> None:
    await running_request(platform)
    asked = await platform.say("lin", "/协作 问题 XT-2026-001 接口文档缺失")
    assert asked["ok"] is False and "责任部门" in asked["reply"] and "技术部" in asked["reply"]
    assert (await platform.say("lin", "/协作 问题 XT-2026-001 接口文档缺失\n责任部门: 技术部"))["ok"]


async def test_the_answer_to_feedback_reaches_the_asker_and_the_plan_feedback_shows_its_date(platform) -> None:
    await running_request(platform)  # Mon 2026-07-13
    assert (await platform.say("lin", "/协作 反馈 XT-2026-001 方案 第3页预算不对"))["ok"]
    [plan] = [m for m in await platform.dms("sun") if "方案反馈" in m["card"]["title"]]
    assert "2026-07-16" in plan["card"]["title"]  # 3 working days
    assert (await platform.say("sun", "/协作 答复 XT-2026-001 用财务部最新预算"))["ok"]
    [answer] = [m for m in await platform.dms("lin") if "已答复" in m["card"]["title"]]
    assert "用财务部最新预算" in answer["text"]
    assert any("已答复" in m["card"]["title"] for m in await platform.messages())


async def test_the_self_check_list_is_the_agreed_standards(platform) -> None:
    await running_request(platform)  # standard: 页面加载时间≤2秒
    made_up = await platform.say("zheng", "/协作 交付 XT-2026-001\n交付物: 上线包\n自检: 随便=是")
    assert made_up["ok"] is False and "随便" in made_up["reply"] and "页面加载时间≤2秒" in made_up["reply"]
    noted = await platform.say("zheng", "/协作 交付 XT-2026-001\n交付物: 上线包\n自检: 页面加载时间≤2秒=否 实测2.4秒")
    assert noted["ok"], noted
    card = next(m for m in await platform.messages() if "交付" in m["card"]["title"])
    assert "❌ 页面加载时间≤2秒 · 实测2.4秒" in card["text"]
