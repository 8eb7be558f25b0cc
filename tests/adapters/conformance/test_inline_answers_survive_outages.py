"""Issue 14: an inline answer sent through the platform API right after the ack (Slack's
chat.update of the clicked card, Feishu's reply to a command, DingTalk's answer in the group)
is not lost when that API fails: it goes to the outbox and the delivery worker sends it."""
from __future__ import annotations

from sqlmodel import select

from drivers import START, running_platform
from storage.tables import OutboxMessage

FILE = ("/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率\n协作部门: 技术部\n截止: 8/15\n"
        "交付标准: 页面加载时间≤2秒")


async def deferred_rows(driver) -> list[OutboxMessage]:
    async with driver.app.db.uow() as uow:
        return [r for r in await uow.all(select(OutboxMessage))
                if r.card_key.startswith("platform:") or r.payload.get("text", "").startswith("已提交")]


async def test_slack_a_card_update_that_fails_is_sent_later(database_url, monkeypatch):
    from slack_fake import Scripted

    async with running_platform("slack", database_url, monkeypatch=monkeypatch, start=START) as p:
        await p.say("zhou", FILE)
        [button] = await p.buttons("request.approve")
        p.w.fake.script("chat.update", Scripted(status=500, body={"ok": False, "error": "fatal_error"}))
        await p.click("wang", button)
        assert await p.eventually(lambda: len(p.w.fake.calls_to("chat.update")) >= 2)
        [row] = await deferred_rows(p)
        assert row.kind == "update" and row.state == "sent"
        assert await p.buttons("request.approve") == []  # the card shows its new state after all


async def test_feishu_a_command_reply_that_fails_is_posted_later(database_url, monkeypatch):
    async with running_platform("feishu", database_url, monkeypatch=monkeypatch, start=START) as p:
        for _ in range(3):  # every quick retry of the reply fails
            p.w.fake.script("POST", "/reply", status=500, body={"code": 1, "msg": "internal"})
        await p.say("zhou", FILE)
        assert await p.eventually(lambda: any("XT-2026-001" in t and "[XT" not in t
                                              for t in p.w.chat_text(p.group)))
        [row] = await deferred_rows(p)
        assert row.kind == "post" and row.state == "sent"


async def test_dingtalk_an_answer_that_fails_is_posted_later(database_url, monkeypatch):
    async with running_platform("dingtalk", database_url, monkeypatch=monkeypatch, start=START) as p:
        p.w.fake.script("POST", "/session/", status=502, body={})
        p.w.fake.script("POST", "/robot/groupMessages/send", status=503, body={"code": "ServiceUnavailable"})
        await p.say("zhou", FILE)
        shown = await p.eventually(lambda: [s for s in p.w.fake.in_group(p.group)
                                            if s.kind == "markdown" and "XT-2026-001" in s.text])
        assert len(shown) == 1
        [row] = await deferred_rows(p)
        assert row.kind == "post" and row.state == "sent"
