"""Issue 13 in a real browser: people file, approve and watch each other through the simulator
page, the clock moves the 2-hour rule, and the board's Gantt chart shows the tasks."""
from __future__ import annotations

from playwright.sync_api import Page, expect

expect.set_options(timeout=15_000)  # a busy CI machine: the live page polls every 0.8 s

from harness import running_request

FILE = ("/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率\n协作部门: 技术部、设计部\n"
        "截止: 8/15\n交付标准: 页面加载时间≤2秒")
ISSUE = "/协作 问题 XT-2026-001 紧急 接口超时\n责任部门: 技术部"
APPROVE = 'button[data-action="request.approve"]'


def open_as(browser, base: str, person: str) -> Page:
    page = browser.new_context(viewport={"width": 1360, "height": 860}).new_page()
    page.goto(base + "/")
    act_as(page, person)
    return page


def act_as(page: Page, person: str) -> None:
    page.select_option("#me", person)
    expect(page.locator("#me")).to_have_value(person)


def say(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("#send")


def test_file_by_typing_approve_by_clicking_everyone_sees_it_and_two_hours_ping_the_head(browser, sim):
    sun, wang = open_as(browser, sim.base, "sun"), open_as(browser, sim.base, "wang")
    expect(sun.locator("#now")).to_contain_text("10:00")  # the virtual time, in Asia/Shanghai

    say(sun, FILE)
    expect(sun.locator("#ephemeral")).to_contain_text("XT-2026-001")  # the private answer
    card = wang.locator(".msg", has=wang.locator(APPROVE))  # appears live on the head's page
    expect(card).to_contain_text("新品详情页改版")
    expect(card.locator(".mention")).to_contain_text("@王芳")
    expect(sun.locator(".msg").first).to_contain_text("待初审")
    card.locator(APPROVE).click()

    for page in (wang, sun):  # the card changed for everyone: approved, no approve button any more
        expect(page.locator(".msg").first).to_contain_text("已通过初审")
        expect(page.locator(APPROVE)).to_have_count(0)

    act_as(sun, "lin")  # 设计部's liaison raises an urgent issue for 技术部
    say(sun, ISSUE)
    expect(sun.locator(".msg", has_text="接口超时")).to_have_count(1)
    li = open_as(browser, sim.base, "li")  # 技术部's head
    expect(li.locator("#dms")).not_to_contain_text("接口超时")
    li.click("#clock-2h")
    ping = li.locator("#dms .msg.urgent")
    expect(ping).to_have_count(1)
    expect(ping).to_contain_text("接口超时")
    expect(ping.locator(".urgent-badge")).to_be_visible()
    expect(sun.locator("#now")).to_contain_text("12:00")  # the clock moved for everyone


def test_the_gantt_page_shows_the_tasks_and_delayed_in_red(browser, sim):
    sim.run(running_request(sim.platform))
    answer = sim.run(sim.platform.say("lin", "/协作 状态 XT-2026-001#2 延期 风险: 高"))
    assert answer["ok"], answer
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    page.goto(sim.base + "/board")
    page.click("text=XT-2026-001")
    expect(page.locator("h1")).to_contain_text("新品详情页改版")

    bars = page.locator(".gantt .bar")
    expect(bars).to_have_count(2)
    build, design = bars.nth(0), bars.nth(1)
    expect(build).to_have_attribute("data-status", "in_progress")
    expect(design).to_have_attribute("data-status", "delayed")
    expect(design).to_contain_text("延期")
    expect(design).to_have_css("background-color", "rgb(217, 48, 37)")  # 延期 in red
    expect(build).not_to_have_css("background-color", "rgb(217, 48, 37)")
    # due 8/10 ends right of due 7/30; both start on the filing day, where today's line is
    b, d = build.bounding_box(), design.bounding_box()
    assert b["x"] + b["width"] > d["x"] + d["width"] + 50
    today = page.locator(".today-line").bounding_box()
    assert abs(today["x"] - b["x"]) < 25
    expect(page.locator(".g-row[data-task='1'] .g-label")).to_contain_text("技术部")
    expect(page.locator(".g-row[data-task='2'] .g-label")).to_contain_text("设计部")
    expect(page.locator(".milestones")).to_have_count(0)  # this request named none
