"""DingTalk's monthly OpenAPI quota (standard edition, `ApiCountLimitForOrg`): the workspace
admins get a direct message in the workspace's language at 80 % and 95 % of the month's budget
and when DingTalk says it is spent — each once per month, however many replicas count calls
and however often they restart; the count starts again with the calendar month (China time)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlmodel import select

from adapters.dingtalk.quota import Quota, month_of
from adapters.dingtalk.quota_watch import QuotaWatch
from dingtalk_world import start_dingtalk_app, stop_dingtalk_app
from storage.tables import OutboxMessage, Person, PersonIdentity, Workspace
from workflows.clock import VirtualClock

NOW = datetime(2026, 7, 31, 12, 0, tzinfo=timezone.utc)  # 20:00 in Beijing, July


async def org(db, *, locale: str = "en") -> None:
    async with db.uow() as uow:
        uow.add(Workspace(id="dingtalk:corp", platform="dingtalk", external_id="corp", locale=locale))
        uow.add(Workspace(id="local:demo", platform="local", external_id="demo"))
        await uow.flush()
        for key, admin in (("boss", True), ("staff", False), ("gone", True)):
            person = Person(workspace_id="dingtalk:corp", key=key, name=key, is_admin=admin,
                            active=key != "gone")
            uow.add(person)
            await uow.flush()
            uow.add(PersonIdentity(workspace_id="dingtalk:corp", person_id=person.id,
                                   external_id=f"staff-{key}"))


async def warnings(db) -> list[tuple[str, str]]:
    async with db.uow() as uow:
        rows = await uow.all(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(r.conversation, r.payload["card"]["title"]) for r in rows]


def replica(db, clock: VirtualClock, **kw) -> QuotaWatch:
    return QuotaWatch(quota=Quota(limit=100, now=clock.now, **kw), db=db, now=clock.now)


async def test_two_replicas_add_up_and_each_level_is_told_once(db):
    await org(db)
    clock = VirtualClock(NOW)
    a, b = replica(db, clock), replica(db, clock)
    a.quota.count(50)
    await a.flush()
    b.quota.count(29)
    await b.flush()
    assert await warnings(db) == []  # 79 of 100
    b.quota.count(1)
    assert await b.flush() == 1  # 80 %: the active admin only, not staff, not someone gone
    assert b.quota.used == 80 and b.quota.remaining == 20
    a.quota.count(10)
    await a.flush()  # 90: nothing new
    restarted = replica(db, clock)  # a restart counts from the shared total
    restarted.quota.count(5)
    assert await restarted.flush() == 1  # 95 %
    assert restarted.quota.used == 95
    a.quota.count(1)
    b.quota.count(1)
    await a.flush()
    await b.flush()
    assert await warnings(db) == [("staff-boss", "DingTalk API quota: 80% of this month used"),
                                  ("staff-boss", "DingTalk API quota: 95% of this month used")]


async def test_the_quota_error_is_told_once_and_a_new_month_starts_again(db):
    await org(db, locale="zh-CN")
    clock = VirtualClock(NOW)
    watch = replica(db, clock)
    watch.quota.count(3)
    watch.quota.exhausted()  # DingTalk answered ApiCountLimitForOrg
    await watch.flush()
    watch.quota.count(1)
    await watch.flush()
    assert await warnings(db) == [("staff-boss", "钉钉接口额度已用完")]
    clock.set(datetime(2026, 7, 31, 16, 0, tzinfo=timezone.utc))  # 00:00 on 1 August in Beijing
    assert month_of(clock.now()) == "2026-08" and watch.quota.remaining == 100
    assert not watch.quota.spent
    watch.quota.count(80)
    await watch.flush()
    assert [t for _u, t in await warnings(db)][1:] == ["钉钉接口额度：本月已用 80%"]


async def test_calls_are_kept_for_the_next_flush_when_the_database_is_down(db, tmp_path):
    await org(db)
    clock = VirtualClock(NOW)
    watch = replica(db, clock)
    watch.quota.count(85)
    real, watch.db = watch.db, type(db)(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'x.db'}")
    assert await watch.flush() == 0  # cannot be written: kept, not lost
    await watch.db.dispose()
    watch.db = real
    assert await watch.flush() == 1
    assert watch.quota.used == 85


async def test_the_admin_is_warned_in_dingtalk_when_the_bot_nears_the_quota(database_url, monkeypatch):
    """Through the whole bot and the fake DingTalk: the calls the bot makes are counted, and at
    half of a budget of 2 (`DINGTALK_QUOTA_WARN_AT=[50]`) the admin (赵总, `zhao`) gets the
    warning as a 1:1 card — once, though the warning itself is a call too."""
    url, schema = database_url
    start = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    world, server, task = await start_dingtalk_app(url, schema, start=start, monkeypatch=monkeypatch,
                                                   DINGTALK_MONTHLY_QUOTA="2",
                                                   DINGTALK_QUOTA_WARN_AT="[50]")
    try:
        await world.say("sun", "/协作 新建\n名称: 额度\n背景与目标: 测试\n协作部门: 技术部\n截止: 8/15\n"
                               "交付标准: 通过")
        await world.settle()  # the warning queued by the count after the sends goes out
        await world.advance(seconds=1)
        titles = [s.params.get("title") for s in world.dms("zhao") if s.kind == "card"]
        assert titles == ["钉钉接口额度：本月已用 50%"]
        assert world.adapter.api.quota.used == 2 and world.adapter.api.quota.remaining == 0
    finally:
        await stop_dingtalk_app(world, server, task)


async def test_a_busy_bot_counts_its_calls_in_one_write_per_interval(db):
    """The month's shared count is written at most every `DINGTALK_QUOTA_FLUSH_SECONDS`, with
    every call made meanwhile (a write per send was a seventh of a busy bot's CPU), and nothing
    is left uncounted when the adapter drains or stops."""
    from adapters.base import Outbound
    from adapters.dingtalk.adapter import DingTalkAdapter
    from adapters.dingtalk.settings import DingTalkSettings
    from dingtalk_fake import CLIENT_ID, CLIENT_SECRET, ROBOT, TEMPLATE, FakeDingTalk
    from storage.tables import Counter

    async def month_count() -> int:
        async with db.uow() as uow:
            row = await uow.first(select(Counter).where(Counter.name.startswith("dingtalk.api_calls.")))
        return row.value if row else 0

    await org(db)
    fake = await FakeDingTalk().start()
    adapter = DingTalkAdapter(settings=DingTalkSettings(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, robot_code=ROBOT, api_url=fake.url,
        mode="http", card_template_id=TEMPLATE, quota_flush_seconds=3600), core=None, db=db,
        clock=VirtualClock(NOW))  # type: ignore[arg-type]
    try:
        for n in range(5):
            await adapter.deliver(Outbound(id=n, workspace="corp", conversation="cid-1", kind="post",
                                           payload={"text": f"进度 {n}"}))
        assert adapter.api.quota.used == 5 and await month_count() == 0  # waiting for its interval
        await adapter.drain()
        assert await month_count() == 5  # one write, all five calls
        await adapter.deliver(Outbound(id=9, workspace="corp", conversation="cid-1", kind="post",
                                       payload={"text": "再一条"}))
    finally:
        await adapter.stop()  # stopping counts what is left
        await fake.stop()
    assert await month_count() == 6
