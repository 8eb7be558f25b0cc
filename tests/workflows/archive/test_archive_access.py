"""R22: the archive from the chat — `/协作 档案 XT-2026-001` answers, privately, a personal link to
its page on the board (or, with no board served, the document itself); only the involved
departments (and VPs, admins) may read it, only the initiating department may add notes to it,
in the chat and on the page alike. Refusals are private and in the workspace's words."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from harness import archived_request, running_request, start_platform, stop_platform
from storage.tables import ArchiveDocument, AuditEvent
from workflows.board.links import sign

BASE = "http://board.example"


def _link(answer: dict) -> str:
    found = re.search(re.escape(BASE) + r"(\S+)", answer["reply"])
    assert found, answer
    return found.group(1)


async def test_the_archive_is_read_by_the_involved_and_edited_by_the_initiating_department(database_url) -> None:
    url, schema = database_url
    started = await start_platform(url, schema, start=datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
                                   board_base_url=BASE, board_secret="s3cret")
    platform = started[0]
    try:
        await running_request(platform)
        early = await platform.say("sun", "/协作 档案 XT-2026-001")
        assert not early["ok"] and "还没有归档" in early["reply"]
        await archived_request(platform)
        posted = len(await platform.messages())

        # 市场部 is not involved: refused, privately, no link
        outsider = await platform.say("liu", "/协作 档案 XT-2026-001")
        assert outsider["refused"] and "涉及部门" in outsider["reply"] and BASE not in outsider["reply"]
        # 技术部 is involved: a link to read it, nothing to edit
        reader = await platform.say("zheng", "/collab archive file xt-2026-1")
        assert reader["ok"] and "发起部门的成员" not in reader["reply"]
        page = await platform.http.get(_link(reader))
        assert page.status_code == 200 and "操作记录" in page.text and "2026年Q3新品详情页改版协作计划_产品部" in page.text
        assert 'method="post"' not in page.text
        sneaked = await platform.http.post(_link(reader), data={"note": "技术部改一下", "n": "x1"})
        assert sneaked.status_code == 403 and "技术部改一下" not in sneaked.text
        refused = await platform.say("zheng", "/协作 档案 XT-2026-001 备注: 技术部改一下")
        assert refused["refused"] and "只有发起部门（产品部）可以修改" in refused["reply"]
        # the VP reads every archive; a link made for the outsider opens nothing
        assert (await platform.say("zhao", "/协作 档案 XT-2026-001"))["ok"]
        token = sign(secret="s3cret", workspace_id="local:demo", person_key="liu",
                     now=platform.app.clock.now(), ttl=timedelta(hours=1))
        forbidden = await platform.http.get(f"/board/r/XT-2026-001/archive?t={token}")
        assert forbidden.status_code == 403 and "操作记录" not in forbidden.text
        assert (await platform.http.get("/board/r/XT-2026-001/archive")).status_code == 401

        # 产品部 (initiating) edits: on the page and in the chat
        owner = await platform.say("sun", "/协作 档案 XT-2026-001")
        assert "发起部门的成员" in owner["reply"]
        form = await platform.http.get(_link(owner))
        assert 'method="post"' in form.text
        saved = await platform.http.post(_link(owner), data={"note": "下次提前一周冻结接口", "n": "n1"})
        assert saved.status_code == 303
        again = await platform.http.post(_link(owner), data={"note": "下次提前一周冻结接口", "n": "n1"})  # resubmitted
        assert again.status_code == 303
        assert (await platform.say("wang", "/协作 档案 XT-2026-001 备注: 预算表另存财务"))["ok"]
        shown = await platform.http.get(_link(owner))
        notes = shown.text.split("归档备注", 1)[1]
        assert notes.count("下次提前一周冻结接口") == 1 and "预算表另存财务" in notes

        async with platform.app.db.uow() as uow:
            markdown = (await uow.first(select(ArchiveDocument))).markdown
            refusals = await uow.all(select(AuditEvent).where(AuditEvent.action == "click.refused"))
        assert "孙浩" in markdown.split("## 归档备注", 1)[1] and "技术部改一下" not in markdown
        assert len(refusals) == 3 and all(r.request_id for r in refusals)  # liu, zheng's note, zheng on the page…
        assert len(await platform.messages()) == posted  # every answer was private
    finally:
        await stop_platform(*started)


async def test_without_a_board_the_archive_comes_as_the_document_itself(platform) -> None:
    await running_request(platform)
    await archived_request(platform)
    answer = await platform.say("huang", "/协作 档案 XT-2026-001")
    assert answer["ok"] and "# 2026年Q3新品详情页改版协作计划_产品部" in answer["reply"]
    assert "## 操作记录" in answer["reply"]
