"""Every conformance test runs once per platform, through that platform's fakes."""
from __future__ import annotations

import pytest

from drivers import PLATFORMS, START, running_platform


@pytest.fixture(params=PLATFORMS)
async def driver(request, database_url, monkeypatch):
    async with running_platform(request.param, database_url, monkeypatch=monkeypatch,
                                start=START) as running:
        yield running
