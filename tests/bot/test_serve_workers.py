"""`collab-bot serve --workers N` (issue 15): N processes on one port, PostgreSQL only."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot import cli
from bot.app import DEMO_ORG
from storage.db import sync_url

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def test_workers_on_sqlite_are_refused_with_the_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert cli.main(["serve", "--workers", "2"]) == 2
    assert "needs PostgreSQL" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()  # nothing was started or created


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z" and b"resource_tracker" not in cmd:
                found.append(int(entry.name))
    return found


@pytest.fixture
def fresh_pg_database():
    """A database of its own: `serve` runs its migrations and org import in `public`."""
    if not PG_URL:
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    name = "workers_" + uuid.uuid4().hex[:10]
    admin = create_engine(sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


async def test_two_workers_share_the_port_answer_every_event_and_stop_on_sigterm(
        fresh_pg_database, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": fresh_pg_database, "LOCAL_PLATFORM": "true",
           "LOCAL_WORKSPACE": "demo", "ORG_FILE": str(DEMO_ORG), "ARCHIVE_DIR": "",
           "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--workers", "2",
                                "--port", str(port)], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            ready = False
            for _ in range(600):  # workers import and build the app: seconds on a busy machine
                try:
                    ready = (await http.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    ready = False
                if ready and len(_children(process.pid)) == 2:
                    break
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                await asyncio.sleep(0.2)
            assert ready and len(_children(process.pid)) == 2
            answers = await asyncio.gather(*(http.post(
                "/local/messages", json={"chat": "g1", "user": "sun", "text": "/collab help", "event_id": f"e{n}"})
                for n in range(20)))
            assert [a.status_code for a in answers] == [200] * 20
    finally:
        workers = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() and (Path(f"/proc/{w}/stat").read_text()
              .rsplit(")", 1)[1].split()[0] != "Z") for w in workers):
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.1)
