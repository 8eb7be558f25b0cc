"""Nothing a user types or clicks makes the core fail: any text, any action id, any value gets
an answer, and a refused or malformed one writes nothing (DESIGN rule 7)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.db import Database
from workflows.clock import VirtualClock
from workflows.grammar.commands import VERB_ALIASES
from workflows.core import Core
from workflows.events import ActionInvoked, CommandInvoked, FormSubmitted, Tenant
from core_support import demo_spec
from workflows.router import ACTIONS, FORMS

T = Tenant("local", "demo")
WORDS = sorted(VERB_ALIASES) + ["XT-2026-001", "XT-2026-001#1", "#2", "紧急", "通过", "返工", "高"]
FIELDS = ["名称", "协作部门", "截止", "任务", "负责", "描述", "title", "due", "depts", "checks", "tasks", "自检"]
text = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from([f"{f}:" for f in FIELDS]),
                          st.text(max_size=12), st.just("\n"), st.just("|")), max_size=12).map(" ".join)
value = st.dictionaries(st.sampled_from(["k", "r", "d", "i", "c", "dv", "t", "x", "reason"]),
                        st.one_of(st.integers(-2, 5), st.text(max_size=5), st.none(), st.lists(st.integers())),
                        max_size=4)


@pytest.fixture
async def core(tmp_path):
    """One core per test function (hypothesis's examples share it), built and disposed on the test's own
    loop: a module-wide core made under `asyncio.run` left aiosqlite's worker bound to a dead loop, and
    async tests that ran after this module in the same process hung at teardown."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}")
    core = Core(db=db, clock=VirtualClock(datetime(2026, 7, 13, 10, tzinfo=ZoneInfo("Asia/Shanghai"))))
    await db.create_all()
    await core.import_org(demo_spec())
    for n, (who, line) in enumerate([
            ("sun", "new\ntitle: 改版\ngoal: 转化\ndepts: 技术部\ndue: 8/15\nstandard: 加载≤2秒"),
            ("sun", "issue XT-2026-001 紧急 接口超时")]):
        await core.handle(CommandInvoked(tenant=T, actor=who, conversation="g1", event_id=f"s{n}", text=line))
    yield core
    await db.dispose()


counter = iter(range(10**9))
fuzz = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@fuzz
@given(user=st.sampled_from(["sun", "wang", "li", "zheng", "nobody"]), line=text)
async def test_any_typed_text_gets_an_answer(core, user, line):
    reply = await core.handle(CommandInvoked(tenant=T, actor=user, conversation="g1",
                                             event_id=f"c{next(counter)}", text=line))
    assert isinstance(reply.text, str) and reply.text != core_internal_error(core)


@fuzz
@given(user=st.sampled_from(["sun", "wang", "li", "wu"]), action=st.sampled_from(sorted(ACTIONS) + ["nope"]),
       v=value)
async def test_any_click_gets_an_answer(core, user, action, v):
    reply = await core.handle(ActionInvoked(tenant=T, actor=user, conversation="g1", event_id=f"a{next(counter)}",
                                            action_id=action, value=v))
    assert reply.text != core_internal_error(core)


@fuzz
@given(form=st.sampled_from(sorted(FORMS)), fields=value, v=value)
async def test_any_form_gets_an_answer(core, form, fields, v):
    reply = await core.handle(FormSubmitted(tenant=T, actor="sun", conversation="g1", event_id=f"f{next(counter)}",
                                            form_id=form, fields=fields, value=v))
    assert reply.text != core_internal_error(core)


def core_internal_error(core) -> str:
    from workflows.i18n import translator

    return translator("zh-CN")("error.internal")
