"""The registry builds exactly the platforms whose settings are present, each from its own
settings, and every adapter it builds meets the contract (routes, start/stop, drain, deliver)."""
from __future__ import annotations

import inspect

import pytest

from adapters.base import KINDS, DeliveryError, Outbound, kind_of
from storage.db import Database
from adapters.registry import PLATFORMS, AdapterContext, build_adapters, configured
from adapters.local.settings import LocalSettings
from workflows.clock import VirtualClock

ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "FEISHU_APP_ID": "cli_1",
       "FEISHU_APP_SECRET": "s", "FEISHU_ENCRYPT_KEY": "k", "DINGTALK_CLIENT_ID": "ding1",
       "DINGTALK_CLIENT_SECRET": "s", "DINGTALK_ROBOT_CODE": "ding1"}


@pytest.fixture
def clean(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def context() -> AdapterContext:
    from datetime import datetime, timezone

    class Core:
        async def handle(self, event):
            raise AssertionError

    return AdapterContext(core=Core(), clock=VirtualClock(datetime(2026, 7, 13, tzinfo=timezone.utc)),
                          db=Database("sqlite+aiosqlite:///:memory:"))


def test_nothing_configured_builds_nothing(clean):
    assert configured() == {}
    assert list(build_adapters(context())) == []


def test_only_the_local_platform_when_the_app_says_so(clean):
    adapters = build_adapters(context(), overrides={"local": LocalSettings(platform=True, workspace="w")})
    assert list(adapters) == ["local"] and adapters["local"].tenant.workspace == "w"


async def test_every_configured_platform_is_built_and_meets_the_contract(clean):
    for name, value in ENV.items():
        clean.setenv(name, value)
    adapters = build_adapters(context(), overrides={"local": LocalSettings(platform=True)})
    assert sorted(adapters) == sorted(PLATFORMS)
    for name, adapter in adapters.items():
        assert adapter.platform == name and adapter.rate_per_second > 0 and adapter.rate_per_chat > 0
        for method in ("start", "stop", "drain", "deliver"):
            assert inspect.iscoroutinefunction(getattr(adapter, method)), (name, method)
        assert isinstance(adapter.routes(), list)
        with pytest.raises(DeliveryError) as raised:
            await adapter.deliver(Outbound(id=1, workspace="w", conversation="c", kind="broadcast",
                                           payload={"text": "x"}))
        assert not raised.value.retryable
        await adapter.drain()


def test_outbound_kinds_are_typed():
    assert KINDS == {"post", "update", "dm", "urgent"}
    assert kind_of(Outbound(id=1, workspace="w", conversation="c", kind="dm", payload={})) == "dm"
