"""The local platform's HTTP API as a user (or a test) drives it: forms, org, clock, bad input."""
from __future__ import annotations

from starlette.testclient import TestClient

from bot.app import build
from bot.settings import Settings


async def test_the_request_form_opens_without_fields_and_files_on_submit(platform):
    opened = await platform.say("sun", "/collab new")
    form = opened["form"]["form"]
    assert form["form_id"] == "request.new"
    assert {i["name"] for i in form["inputs"]} >= {"title", "goal", "depts", "due", "standard"}
    bad = await platform.submit("sun", "request.new", {"title": "x" * 21, "depts": ["技术部"], "due": "2026-08-15"})
    assert not bad["ok"] and "title" in bad["errors"] and "20" in bad["errors"]["title"]
    ok = await platform.submit("sun", "request.new", {"title": "新品详情页改版", "goal": "提升转化率",
                                                      "depts": ["技术部", "设计部"], "due": "2026-08-15",
                                                      "standard": "页面加载时间≤2秒",
                                                      "milestones": "需求确认 7/20；正式上线 8/15"})
    assert ok["ok"] and "XT-2026-001" in ok["reply"]
    [card] = await platform.messages()
    assert "需求确认 2026-07-20" in card["text"]


async def test_the_raci_and_delivery_steps_work_as_forms(platform):
    await platform.say("sun", "/协作 新建\n名称: 改版\n背景与目标: 转化\n协作部门: 技术部\n截止: 8/15\n交付标准: 加载≤2秒")
    await platform.click("wang", (await platform.buttons("request.approve"))[0])
    opened = await platform.click("sun", (await platform.buttons("raci.open"))[0])
    assert opened["form"]["form"]["form_id"] == "request.assign"
    added = await platform.submit("sun", "request.assign", {"task": "页面开发", "lead": "技术部", "owner": "zheng",
                                                            "due": "2026-08-10", "support": ["设计部"],
                                                            "standard": "加载≤2秒"},
                                  context=opened["form"]["form"]["value"])
    assert added["ok"], added
    for button in await platform.buttons("task.confirm"):
        head = {"产品部": "wang", "技术部": "li", "设计部": "huang"}[button["label"].split()[0]]
        assert (await platform.click(head, button))["ok"]
    form = (await platform.say("zheng", "/协作 交付 XT-2026-001"))["form"]["form"]
    [box] = form["inputs"][1]["options"]
    assert box["label"] == "加载≤2秒" and len(box["value"]) <= 150
    sent = await platform.submit("zheng", "request.deliver", {"deliverables": "上线包", "met": [box["value"]]},
                                 context=form["value"])
    assert sent["ok"], sent
    delivery = next(m for m in await platform.messages() if "交付" in m["card"]["title"])
    assert "✅ 加载≤2秒" in delivery["text"]


async def test_org_lists_departments_with_head_liaison_vp_and_members(platform):
    org = (await platform.http.get("/local/org")).json()
    tech = next(d for d in org["departments"] if d["name"] == "技术部")
    assert (tech["head"], tech["liaison"], tech["vp"]) == ("li", "wu", "zhao") and "zheng" in tech["members"]
    assert {"id": "li", "name": "李强", "department": "技术部"} in org["people"]


async def test_malformed_json_and_missing_fields_get_400_with_a_message(platform):
    for path, body in (("/local/messages", b"{not json"), ("/local/actions", b"[]"),
                       ("/local/messages", b'{"chat": "g1"}'), ("/local/clock", b'{"advance_minutes": "x"}')):
        r = await platform.http.post(path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"], (path, r.text)


async def test_chatter_that_is_not_a_command_is_ignored(platform):
    answer = await platform.say("sun", "大家好")
    assert answer["reply"] == "" and await platform.messages() == []


def test_the_clock_endpoint_is_404_on_a_real_clock(tmp_path):
    app = build(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", local_platform=True, virtual_clock=False))
    with TestClient(app.asgi) as client:
        assert client.post("/local/clock", json={"advance_minutes": 5}).status_code == 404
        assert client.get("/healthz").json()["ok"]


