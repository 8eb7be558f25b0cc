"""Regenerate docs/simulator.png and docs/gantt.png: seed a running demo through the local API,
then photograph the pages with Debian's chromium.

    collab-bot demo --port 8765 --database sqlite:////tmp/shots.db &
    .venv/bin/python docs/screenshots.py http://127.0.0.1:8765
(CJK text needs fonts: apt-get install -y fonts-noto-cjk fonts-noto-color-emoji)"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765"
OUT = Path(__file__).parent
http = httpx.Client(base_url=BASE, timeout=10)


def say(user: str, text: str, chat: str = "g1") -> None:
    print(user, http.post("/local/messages", json={"chat": chat, "user": user, "text": text}).json()["reply"][:70])


def buttons(action: str, chat: str = "g1") -> list[dict]:
    time.sleep(1.2)  # the delivery worker posts the cards
    return [{**b, "message_id": m["id"]} for m in http.get(f"/local/chats/{chat}/messages").json()["messages"]
            for b in (m["card"] or {}).get("buttons", []) if b["action_id"] == action]


def click(user: str, button: dict) -> None:
    http.post("/local/actions", json={"chat": "g1", "user": user, "message_id": button["message_id"],
                                      "action_id": button["action_id"], "value": button["value"]})


def seed() -> None:
    say("sun", "/协作 新建\n名称: 新品详情页改版\n背景与目标: 提升转化率10%\n协作部门: 技术部、设计部\n截止: 8/15\n"
               "交付标准: 页面加载时间≤2秒\n时间节点: 需求确认 7/20；开发完成 8/10；正式上线 8/15")
    click("wang", buttons("request.approve")[0])
    say("sun", "/协作 分工 XT-2026-001\n任务: 接口开发 | 负责: 技术部 | 负责人: 郑凯 | 开始: 7/14 | 截止: 7/24\n"
               "任务: 页面开发 | 负责: 技术部 | 负责人: 吴磊 | 开始: 7/27 | 截止: 8/10\n"
               "任务: 视觉设计 | 负责: 设计部 | 负责人: 林琳 | 截止: 7/17\n"
               "任务: 上线推广 | 负责: 产品部 | 负责人: 孙浩 | 开始: 8/10 | 截止: 8/15")
    heads = {"产品部": "wang", "技术部": "li", "设计部": "huang"}
    for b in buttons("task.confirm"):
        click(next(h for d, h in heads.items() if d in b["label"]), b)
    say("xu", "/协作 新建\n名称: 618 大促联合活动\n背景与目标: GMV 提升 30%\n协作部门: 销售部、客服部\n截止: 9/20\n"
              "交付标准: 活动页上线", chat="g2")
    say("lin", "/协作 日报 XT-2026-001#3 完成首页视觉稿\n明日: 详情页视觉")
    say("lin", "/协作 问题 XT-2026-001 紧急 接口超时导致页面白屏\n责任部门: 技术部")
    say("zheng", "/协作 状态 XT-2026-001#1 进行中 风险: 中")
    http.post("/local/clock", json={"set": "2026-07-20T10:30:00+08:00"})
    time.sleep(1.5)
    say("lin", "/协作 状态 XT-2026-001#3 延期 风险: 高")


def shoot() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1360, "height": 860})
        page.goto(BASE + "/board/r/XT-2026-001")
        bottom = page.locator("section").first.bounding_box()
        page.screenshot(path=str(OUT / "gantt.png"), clip={"x": 0, "y": 0, "width": 1360,
                                                           "height": bottom["y"] + bottom["height"] + 16})
        page.goto(BASE + "/")
        page.select_option("#me", "li")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(OUT / "simulator.png"))
        browser.close()


if __name__ == "__main__":
    if not http.get("/local/chats").json()["chats"]:
        seed()
    shoot()
