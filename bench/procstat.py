"""What a server process costs, read from /proc (whatever else the shared machine does), and
where its CPU goes (py-spy samples summarised by package and by entry point).

    python bench/procstat.py PROFILE.raw      # the summary of a py-spy `--format raw` file
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree(pid: int) -> list[int]:
    """`pid` and every live descendant (uvicorn's workers, a spawn's children)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def cpu(pid: int) -> float:
    """User + system CPU seconds of `pid` and its live descendants."""
    total = 0
    for p in tree(pid):
        try:
            fields = _stat(p)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def own(pid: int) -> float:
    """User + system CPU seconds of `pid` alone (its threads, not its children)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK


def postgres() -> float:
    """CPU seconds of every PostgreSQL process on the machine: the live ones' own, plus what the
    postmaster collected from backends that exited (its cutime + cstime), so a connection opened
    and closed within a phase still counts."""
    total = 0
    procs: dict[int, tuple[int, list[str]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        if raw[raw.index("(") + 1:raw.rindex(")")] == "postgres":
            fields = raw.rsplit(")", 1)[1].split()
            procs[int(entry.name)] = (int(fields[1]), fields)
    for _pid, (parent, fields) in procs.items():
        total += int(fields[11]) + int(fields[12])
        if parent not in procs:  # the postmaster: its reaped children's time
            total += int(fields[13]) + int(fields[14])
    return total / TICK


def machine() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, all cores summed (/proc/stat's
    first line; idle includes iowait, busy includes steal — time this VM's cores could not
    run)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, idle / TICK


async def settle(pid: int, *, quiet: float = 0.03, step: float = 0.5, limit: float = 30) -> float:
    """Wait until the process is idle (CPU below `quiet` of a core over `step` s: the posts
    its clicks queued are delivered), then its CPU seconds: a click's whole cost."""
    end = time.monotonic() + limit
    last = cpu(pid)
    while time.monotonic() < end:
        await asyncio.sleep(step)
        now = cpu(pid)
        if now - last < quiet * step:
            return now
        last = now
    return last


def pyspy() -> str:
    """py-spy from the venv (`pip install -e '.[bench]'`), else from PATH."""
    local = Path(sys.executable).with_name("py-spy")
    found = str(local) if local.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    return found


def record(pid: int, out: Path, *, seconds: float, rate: int = 100) -> subprocess.Popen[bytes]:
    """Sample `pid` (and its worker processes) for `seconds` into a raw (collapsed) file;
    py-spy pauses it for each sample (exact stacks), so a profiled
    phase's own figures are not the ones reported."""
    return subprocess.Popen([pyspy(), "record", "--pid", str(pid), "--format", "raw",
                             "--output", str(out), "--rate", str(rate), "--duration",
                             str(max(1, round(seconds))), "--subprocesses"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# leaf-most frame → who spends the time (self time by package)
PACKAGES = [
    ("SQLAlchemy / SQLModel", re.compile(r"[(/](sqlalchemy|sqlmodel)/")),
    ("psycopg", re.compile(r"[(/]psycopg(_binary)?/")),
    ("aiosqlite / sqlite3", re.compile(r"[(/](aiosqlite|sqlite3)/")),
    ("slack-bolt / slack-sdk", re.compile(r"[(/](slack_bolt|slack_sdk)/")),
    ("aiohttp (Web API calls)", re.compile(r"[(/](aiohttp|yarl|multidict)/")),
    ("HTTP server (uvicorn, starlette)", re.compile(r"[(/](uvicorn|starlette|httptools|h11)/")),
    ("pydantic", re.compile(r"[(/]pydantic")),
    ("APScheduler", re.compile(r"[(/]apscheduler/")),
    ("event loop (asyncio, uvloop)", re.compile(r"[(/](asyncio|uvloop)/")),
    ("our workflows/", re.compile(r"[(/]workflows/")),
    ("our adapters/", re.compile(r"[(/]adapters/")),
    ("our bot/", re.compile(r"[(/]bot/")),
    ("our storage/", re.compile(r"[(/]storage/")),
]
# a frame anywhere in the stack → which part of the click it serves (inclusive)
PARTS = [
    ("delivery worker (outbox posts)", re.compile(r"[(/]bot/(delivery|delivery_outcomes|outbox_claim|outbox_store|batching)\.py")),
    ("follow-up calls (chat.update, response_url)", re.compile(r"_follow_up \(")),
    ("core.handle (transaction, workflow, cards)", re.compile(r"handle \([^;]*workflows/core\.py")),
    ("Slack reply plan + Block Kit", re.compile(r"plan \([^;]*adapters/slack/reply\.py")),
    ("bolt dispatch (outside our listener)", re.compile(r"[(/]slack_bolt/")),
    ("scheduler sweeps", re.compile(r"[(/]bot/(scheduler|timer_sweep|tick_sweep)\.py")),
]
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^:()]+)(:\d+)?\)$")


def _samples(path: Path) -> list[tuple[list[str], int]]:
    out = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            out.append((stack.split(";"), int(count)))
    return out


# aiosqlite's worker thread blocked on its queue (`future, function = tx.get()`): py-spy
# counts a thread waiting in a C call as busy, which made SQLite look 25 % busier than it is
_QUEUE_WAIT = re.compile(r"^_connection_worker_thread \(aiosqlite/core\.py:59\)$")


def _idle(frames: list[str]) -> bool:
    leaf = frames[-1]
    return (any(word in leaf for word in ("select (", "epoll", "_run_once", "wait (", "poll ("))
            or bool(_QUEUE_WAIT.match(leaf)))


def summary(path: Path, *, top: int = 12) -> str:
    """Busy samples (not waiting in the loop's select) by package, by part, and the top
    self-time frames."""
    samples = [(f, n) for f, n in _samples(path) if not _idle(f)]
    total = sum(n for _, n in samples) or 1
    packages: Counter[str] = Counter()
    parts: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for frames, n in samples:
        for frame in reversed(frames):
            name = next((label for label, rx in PACKAGES if rx.search(frame)), None)
            if name:
                packages[name] += n
                break
        else:
            packages["other (stdlib, json, hmac …)"] += n
        stack = ";".join(frames)
        parts[next((label for label, rx in PARTS if rx.search(stack)), "other")] += n
        match = FRAME.match(frames[-1])
        leaves[f"{match['func']} ({Path(match['file']).name})" if match else frames[-1]] += n
    lines = [f"{total} busy samples"]
    for title, counter in (("by package (self time)", packages),
                           ("by part of the click (inclusive)", parts),
                           ("top frames (self time)", leaves)):
        lines.append(f"  {title}:")
        for name, n in counter.most_common(top):
            lines.append(f"    {100 * n / total:5.1f} %  {name}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1])))
