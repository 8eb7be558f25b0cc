"""Every conformance test runs once per platform, through that platform's fakes."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from drivers import PLATFORMS, running_platform

START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, working hours


@pytest.fixture(params=PLATFORMS)
async def driver(request, database_url, monkeypatch):
    async with running_platform(request.param, database_url, monkeypatch=monkeypatch,
                                start=START) as running:
        yield running
