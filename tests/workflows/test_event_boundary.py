"""The event boundary (`workflows/events.py`): whatever an adapter hands the core is text every
database stores, and a button's ids are checked before they reach a 32-bit id column."""
from __future__ import annotations

from workflows.events import ActionInvoked, CommandInvoked, FormSubmitted, Tenant, ids_fit, storable

T = Tenant("slack", "T1")


def test_nul_is_removed_and_a_lone_surrogate_becomes_a_replacement_character_everywhere():
    event = FormSubmitted(tenant=T, actor="U\x001", conversation="C1", event_id="e\x00", form_id="request.new",
                          fields={"title\x00": ["详\x00情", "\ud800页"]}, value={"k": {"deep": "\udfff"}})
    assert (event.actor, event.event_id) == ("U1", "e")
    assert event.fields == {"title": ["详情", "\ufffd页"]} and event.value == {"k": {"deep": "\ufffd"}}
    clean = CommandInvoked(tenant=T, actor="U1", conversation="C1", event_id="e", text="列表")
    assert clean.text == "列表" and storable("ok") == "ok"


def test_ids_beyond_32_bits_do_not_fit():
    assert ids_fit({"k": "request:1", "r": 1, "d": "4"})
    assert ids_fit({"r": 2**31 - 1, "reason": "预算 99999999999 元太多"})  # words around a number: not an id
    assert not ids_fit({"r": 2**31})
    assert not ids_fit({"r": "99999999999"})
    assert not ids_fit({"r": -(2**31) - 5})
    assert not ids_fit({"x": [1, {"y": 10**30}]})
    assert ids_fit({"flag": True, "ratio": 0.5})
    event = ActionInvoked(tenant=T, actor="U1", conversation="C1", event_id="e", action_id="request.approve",
                          value={"r": 2**40})
    assert not ids_fit(event.value)
