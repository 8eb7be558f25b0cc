"""The event boundary (`workflows/events.py`): whatever an adapter hands the core is text every
database stores, and a button's ids are read strictly before they reach a 32-bit id column."""
from __future__ import annotations

from workflows.events import CommandInvoked, FormSubmitted, Tenant, storable

T = Tenant("slack", "T1")


def test_nul_is_removed_and_a_lone_surrogate_becomes_a_replacement_character_everywhere():
    event = FormSubmitted(tenant=T, actor="U\x001", conversation="C1", event_id="e\x00", form_id="request.new",
                          fields={"title\x00": ["详\x00情", "\ud800页"]}, value={"k": {"deep": "\udfff"}})
    assert (event.actor, event.event_id) == ("U1", "e")
    assert event.fields == {"title": ["详情", "\ufffd页"]} and event.value == {"k": {"deep": "\ufffd"}}
    clean = CommandInvoked(tenant=T, actor="U1", conversation="C1", event_id="e", text="列表")
    assert clean.text == "列表" and storable("ok") == "ok"


def test_ids_beyond_32_bits_are_a_bad_action():
    """A forged `{"r": 99999999999}` is the user's "bad action", never a database error."""
    import pytest

    from workflows.kernel.routes import BadValue, Value

    value = Value({"r": 2**31 - 1, "big": 2**31, "text": "99999999999", "neg": -5, "flag": True}, "request.approve")
    assert value.id("r") == 2**31 - 1
    for name in ("big", "text", "neg", "flag", "missing"):
        with pytest.raises(BadValue):
            value.id(name)
