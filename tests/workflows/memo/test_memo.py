"""R30 the collaboration memo through the local platform with a moved clock: issued the moment
every head has confirmed the split (R6) — goals, tasks, owners, dates and 违约处理 — signed by each
head for their own department only, unsigned heads reminded every 24 hours; a rewritten clause
voids the signatures; the signed memo is in the archive (R22)."""
from __future__ import annotations

from sqlmodel import select

from harness import archived_request, running_request
from storage.tables import AuditEvent, Memo

HEADS = {"产品部": "wang", "技术部": "li", "设计部": "huang"}


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def _sign_all(platform) -> None:
    for button in await platform.buttons("memo.sign"):
        assert (await platform.click(next(h for d, h in HEADS.items() if d in button["label"]), button))["ok"]


async def test_the_memo_is_issued_after_the_split_and_signed_by_each_head(platform):
    await running_request(platform)  # the last R6 signature issues the memo
    [memo] = titled(await platform.messages(), "协作备忘录")
    text = str(memo["card"])
    assert "页面开发" in text and "郑凯" in text and "2026-08-10" in text and "违约处理" in text
    assert "提前2个工作日预警" in text  # the workspace default clause
    tech = next(b for b in memo["card"]["buttons"] if "技术部" in b["label"])
    refused = await platform.click("huang", {**tech, "message_id": memo["id"]})
    assert refused["refused"]  # nobody signs for another department
    assert (await platform.click("li", {**tech, "message_id": memo["id"]}))["ok"]
    await platform.advance(24 * 60)  # those who have not signed are reminded, the signer is not
    assert titled(await platform.dms("wang"), "备忘录待签署") and titled(await platform.dms("li"), "备忘录待签署") == []

    # the initiating side rewrites the clause: every head signs again
    assert (await platform.say("li", "/协作 备忘录 XT-2026-001\n违约处理: 自行处理"))["refused"]
    rewritten = await platform.say("sun", "/collab memo XT-2026-001\nclause: a slip over 3 days is explained at the weekly meeting")
    assert rewritten["ok"]
    shown = await platform.say("li", "/协作 备忘录 XT-2026-001")
    assert "a slip over 3 days" in str(shown["card"]) and len(shown["card"]["buttons"]) == 3
    await _sign_all(platform)
    async with platform.app.db.uow() as uow:
        memo_row = await uow.first(select(Memo))
        actions = [a.action for a in await uow.all(select(AuditEvent))]
    assert memo_row.signed_at is not None and {"memo.issue", "memo.sign", "memo.clause", "memo.signed"} <= set(actions)
    await platform.advance(48 * 60)  # signed: no more reminders
    assert len(titled(await platform.dms("wang"), "备忘录待签署")) == 1


async def test_the_signed_memo_and_the_resources_are_in_the_archive(platform):
    await running_request(platform)
    await _sign_all(platform)
    assert (await platform.say("zheng", "/协作 资源 XT-2026-001\n人员: 2\n人天: 10"))["ok"]  # R33 too
    doc = await archived_request(platform)
    assert "协作备忘录" in doc.markdown and "提前2个工作日预警" in doc.markdown
    assert [c["kind"] for c in doc.data["confirmations"]].count("memo") == 3
    assert "资源需求表" in doc.markdown and doc.data["resources"][0]["people"] == 2
