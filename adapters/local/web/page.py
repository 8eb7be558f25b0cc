"""The simulator's page shell (pure): the frame, the strings in the page's language and the
workspace facts the script needs; `sim.js` renders everything else from the local API."""
from __future__ import annotations

import json
from typing import Any

from adapters.web.layout import e
from workflows.i18n import Translate, catalog, normalise


def simulator_page(*, t: Translate, lang: str, workspace: dict[str, Any]) -> str:
    strings = {k: v for k, v in catalog(normalise(lang)).items()
               if k.startswith("sim.") or k.startswith("status.") or k.startswith("risk.")}
    config = json.dumps({"strings": strings, "workspace": workspace, "lang": lang}, ensure_ascii=False)
    config = config.replace("</", "<\\/")
    other = "en" if lang == "zh-CN" else "zh-CN"
    return f"""<!doctype html>
<html lang="{e(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(t("sim.title"))}</title>
<link rel="stylesheet" href="/static/web/base.css">
<link rel="stylesheet" href="/static/sim/sim.css">
</head><body>
<header class="top"><span class="brand">collab-bot</span>
<nav><b title="{e(t("sim.subtitle"))}">{e(t("sim.title"))}</b>
<a href="/board" target="_blank" id="board-link">{e(t("sim.board"))} ↗</a>
<a href="?lang={other}">{"English" if other == "en" else "中文"}</a></nav>
<div class="clock" id="clock"><span class="label">{e(t("sim.clock"))}</span> <b id="now">…</b>
<button id="clock-15">{e(t("sim.plus15"))}</button><button id="clock-2h">{e(t("sim.plus2h"))}</button>
<button id="clock-next">{e(t("sim.next_day"))}</button>
<input type="datetime-local" id="clock-at"><button id="clock-set">{e(t("sim.set"))}</button></div>
</header>
<div class="sim">
<aside class="chats"><h3>{e(t("sim.chats"))}</h3><ul id="chat-list"></ul>
<form id="new-chat"><input name="chat" placeholder="{e(t("sim.new_chat"))}" maxlength="40">
<button>{e(t("sim.open_chat"))}</button></form></aside>
<div class="room"><div class="room-head"><h2 id="chat-title">#</h2>
<label class="act-as">{e(t("sim.act_as"))} <select id="me"></select></label></div>
<div id="messages" class="messages"></div>
<div id="ephemeral" class="ephemeral"></div>
<form id="composer"><textarea id="text" rows="3" placeholder="{e(t("sim.type_here"))}"></textarea>
<button id="send">{e(t("sim.send"))}</button></form></div>
<aside class="inbox"><h3>{e(t("sim.private"))} · <span id="me-name"></span></h3><div id="dms"></div></aside>
</div>
<script id="sim-config" type="application/json">{config}</script>
<script src="/static/sim/sim.js"></script>
</body></html>"""
