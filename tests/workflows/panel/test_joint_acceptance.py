"""R35 joint acceptance through the local platform with a moved clock: the request chooses a
panel; each delivery gets a vote card; each collaborating head votes for their own department
with a reason; under `unanimous` a fail means rework and all-pass means pass, recorded by the
votes (no verdict by hand); under `initiator_decides` the initiating head sees the votes and
decides; unvoted heads are reminded; the archive (R22) keeps the votes."""
from __future__ import annotations

from sqlmodel import select

from harness import running_request
from storage.tables import Acceptance, ArchiveDocument, AuditEvent, CollaborationRequest, Person

HEADS = {"产品部": "wang", "技术部": "li", "设计部": "huang"}
DELIVER = "/协作 交付 XT-2026-001\n交付物: 上线包\n自检: 页面加载时间≤2秒=是"


def titled(messages: list[dict], words: str) -> list[dict]:
    return [m for m in messages if words in m["card"]["title"]]


async def _state(platform) -> str:
    async with platform.app.db.uow() as uow:
        return (await uow.first(select(CollaborationRequest))).state


async def test_a_unanimous_panel_decides_rework_then_pass_and_the_archive_keeps_the_votes(platform):
    await running_request(platform)
    assert (await platform.say("zheng", "/协作 验收小组 XT-2026-001 全部通过"))["refused"]
    assert (await platform.say("sun", "/collab panel XT-2026-001 unanimous"))["ok"]
    assert (await platform.say("zheng", DELIVER))["ok"]
    [card] = titled(await platform.messages(), "联合验收（第 1 轮）")
    assert {b["label"] for b in card["card"]["buttons"]} == {"通过 · 技术部", "不通过 · 技术部", "通过 · 设计部",
                                                             "不通过 · 设计部"}
    manual = await platform.click("sun", (await platform.buttons("acceptance.pass"))[-1])
    assert manual["ok"] is False and "投票" in manual["reply"]  # the votes decide
    tech_pass = next(b for b in card["card"]["buttons"] if b["label"] == "通过 · 技术部")
    assert (await platform.click("huang", {**tech_pass, "message_id": card["id"]}))["refused"]
    assert (await platform.click("li", {**tech_pass, "message_id": card["id"]}))["ok"]
    assert (await platform.click("li", {**tech_pass, "message_id": card["id"]}))["ok"] is False  # once
    await platform.advance(24 * 60)  # 设计部 has not voted: reminded
    assert titled(await platform.dms("huang"), "待投票") and titled(await platform.dms("li"), "待投票") == []
    assert (await platform.say("huang", "/协作 投票 XT-2026-001 不通过 视觉还原度未达100%"))["ok"]
    assert await _state(platform) == "rework"  # one fail under `unanimous` → rework

    assert (await platform.say("zheng", DELIVER.replace("上线包", "上线包v2")))["ok"]
    assert (await platform.say("li", "/collab vote XT-2026-001 pass meets the standard"))["ok"]
    assert (await platform.say("huang", "/协作 投票 XT-2026-001 通过 已修正"))["ok"]
    assert await _state(platform) == "accepted"
    for button in await platform.buttons("completion.confirm"):
        await platform.click(next(h for d, h in HEADS.items() if d in button["label"]), button)
    assert (await platform.say("wang", "/协作 归档 XT-2026-001"))["ok"]
    async with platform.app.db.uow() as uow:
        doc = await uow.first(select(ArchiveDocument))
    assert "联合验收投票" in doc.markdown and "视觉还原度未达100%" in doc.markdown and len(doc.data["votes"]) == 4
    # the verdicts are recorded in the initiator's name, but the trail names whose vote settled
    # each one — 孙浩 pressed nothing
    async with platform.app.db.uow() as uow:
        people = {p.id: p.name for p in await uow.all(select(Person))}
        trail = [(a.action, people.get(a.actor_id)) for a in await uow.all(
            select(AuditEvent).where(AuditEvent.action.in_(["acceptance.fail", "acceptance.pass"])).order_by(AuditEvent.id))]
        decided = [people[a.decided_by] for a in await uow.all(select(Acceptance).order_by(Acceptance.id))]
    assert trail == [("acceptance.fail", "黄蕾"), ("acceptance.pass", "黄蕾")] and decided == ["孙浩", "孙浩"]


async def test_when_the_initiator_decides_the_head_sees_the_votes_then_decides(platform):
    await running_request(platform)
    assert (await platform.say("sun", "/协作 验收小组 XT-2026-001 发起方决定"))["ok"]
    await platform.say("zheng", DELIVER)
    await platform.say("li", "/协作 投票 XT-2026-001 通过 达标")
    await platform.say("huang", "/协作 投票 XT-2026-001 不通过 有瑕疵")
    assert await _state(platform) == "delivered"  # the votes alone do not decide
    [votes] = titled(await platform.dms("wang"), "联合验收")
    assert "有瑕疵" in str(votes["card"]) and "达标" in str(votes["card"])
    assert (await platform.click("wang", (await platform.buttons("acceptance.pass"))[-1]))["ok"]
    assert await _state(platform) == "accepted"
