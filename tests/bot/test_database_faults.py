"""Issue 14, database trouble: behind a TCP proxy that we cut (a partition) and restore, no
request hangs past the platform's ack deadline, `/healthz` stays liveness while `/readyz` says
not ready, the log has one line per outage state change, and service resumes by itself.
Start-up with an unreachable database exits with one line and code 69."""
from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url

from harness import start_platform, stop_platform
from tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 7, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


async def test_a_partition_answers_quickly_readyz_fails_and_service_comes_back(
        database_url, caplog):
    url, schema = database_url
    if schema is None:
        pytest.skip("a network partition is a PostgreSQL matter (SQLite is a local file)")
    caplog.set_level(logging.INFO)
    target = make_url(url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    proxied = target.set(port=proxy.port).render_as_string(hide_password=False)
    platform, server, task = await start_platform(proxied, schema, start=START)
    try:
        http = platform.http
        assert (await http.get("/readyz")).status_code == 200
        proxy.cut()
        started = time.monotonic()
        answers = await asyncio.gather(*(http.post("/local/messages", json={
            "chat": "g1", "user": "sun", "text": "/协作 帮助", "event_id": f"e{n}"})
            for n in range(5)))
        took = time.monotonic() - started
        assert [a.status_code for a in answers] == [503] * 5  # "try again", not a hang or 500
        assert took < 3.5  # inside the platforms' ~3 s ack deadline (event timeout 2.5 s)
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"] is False
        assert (await http.get("/healthz")).status_code == 200  # liveness: the process is fine

        proxy.restore()
        async with asyncio.timeout(20):
            while (await http.get("/readyz")).status_code != 200:
                await asyncio.sleep(0.2)
        reply = await http.post("/local/messages", json={
            "chat": "g1", "user": "sun", "text": "/协作 帮助", "event_id": "e0"})
        assert reply.status_code == 200  # the redelivered event is handled now
    finally:
        await stop_platform(platform, server, task)
        await proxy.stop()
    lines = [r.getMessage() for r in caplog.records]
    assert lines.count("database unreachable") == 1
    assert lines.count("database back up") == 1
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]


def test_start_up_with_an_unreachable_database_exits_with_one_line_and_code_69(tmp_path):
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg://u:secret@127.0.0.1:1/none",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "serve"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 69
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the database" in lines[0]
    assert "secret" not in lines[0]


async def test_a_database_that_refuses_connections_gets_503_not_an_internal_error_reply(
        database_url, caplog):
    url, schema = database_url
    if schema is None:
        pytest.skip("PostgreSQL only (SQLite is a local file)")
    caplog.set_level(logging.INFO)
    target = make_url(url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    proxied = target.set(port=proxy.port).render_as_string(hide_password=False)
    platform, server, task = await start_platform(proxied, schema, start=START)
    try:
        proxy.restore()  # drops every open connection…
        await proxy.refuse()  # …and refuses new ones: the database is down
        answers = [await platform.http.post("/local/messages", json={
            "chat": "g1", "user": "sun", "text": "/协作 帮助", "event_id": f"r{n}"})
            for n in range(3)]
        assert [a.status_code for a in answers] == [503] * 3
        assert (await platform.http.get("/readyz")).status_code == 503
        await proxy.start()  # back on the same port
        reply = await platform.http.post("/local/messages", json={
            "chat": "g1", "user": "sun", "text": "/协作 帮助", "event_id": "r0"})
        assert reply.status_code == 200
    finally:
        await stop_platform(platform, server, task)
        await proxy.stop()
    lines = [r.getMessage() for r in caplog.records]
    assert lines.count("database unreachable") == 1 and lines.count("database back up") == 1
