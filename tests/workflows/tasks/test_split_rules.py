"""R5 as written: each task has a deliverable standard, and an owner lent by another
department brings that department into the sign-off (R6)."""
from __future__ import annotations

FILE = "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率10%\n协作部门: 技术部\n截止: 8/15\n交付标准: 页面加载≤2秒"


async def test_a_task_needs_a_standard_and_a_lent_owners_department_signs_too(platform) -> None:
    await platform.say("sun", FILE)
    await platform.click("wang", (await platform.buttons("request.approve"))[0])
    bare = await platform.say("sun", "/协作 分工 XT-2026-001\n任务: 开发 | 负责: 技术部 | 负责人: 郑凯 | 截止: 8/10")
    assert bare["ok"] is False and "交付标准" in bare["reply"]
    lent = await platform.say("sun", "/协作 分工 XT-2026-001\n任务: 开发 | 负责: 技术部 | 负责人: 林琳 | 截止: 8/10"
                                     " | 标准: 页面加载≤2秒")  # 林琳 is in 设计部
    assert lent["ok"], lent
    labels = {b["label"] for b in await platform.buttons("task.confirm")}
    assert labels == {"产品部 确认", "技术部 确认", "设计部 确认"}
