"""`python -m bench`: the regression benches in one run, short variants, one table.

    python -m bench                # every bench (PostgreSQL ones when TEST_DATABASE_URL is set)
    python -m bench --list         # names and goals
    python -m bench timers kill    # only these

Each entry of `REGISTRY` names a bench, the goal BENCHMARKS.md holds it to, and a coroutine that
runs a short variant (seconds, not the minutes of the full runs whose figures BENCHMARKS.md
shows) and returns `Result`s — what was measured and whether the goal is met. A bench added
later appends its `Bench(...)` here (in-process through its module's functions, or `command`
for a script whose output a regular expression reads). The machine is shared: a short run is a
regression check, a BENCHMARKS.md figure needs the full bench.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench.common import PG_URL, backends  # noqa: E402


@dataclass
class Result:
    measured: str
    met: bool | None  # None: could not be judged (see the bench's own output)
    where: str = ""  # backend or case


@dataclass
class Bench:
    name: str
    goal: str
    run: Callable[[], Awaitable[list[Result]]]
    postgres_only: bool = False


# --- in-process benches ------------------------------------------------------------------------

async def escalation() -> list[Result]:
    from bench import bench_escalation as b

    b.ISSUES = 10
    out = []
    for backend in backends():
        late = sorted(await b.measure(backend))
        p95 = late[min(len(late) - 1, round(0.95 * (len(late) - 1)))]
        out.append(Result(f"p95 {p95:.2f} s, max {late[-1]:.2f} s", p95 <= 2.0, backend))
    return out


async def timers() -> list[Result]:
    from bench import bench_timers as b

    b.SIZES = (1_000, 20_000)
    out = []
    for backend in backends():
        r = await b.compare(backend)
        ratio = r[b.SIZES[1]]["idle_ms"] / r[b.SIZES[0]]["idle_ms"]
        out.append(Result(f"idle sweep 20k / 1k open: {ratio:.2f}×", ratio <= 2.0, backend))
    return out


async def delivery() -> list[Result]:
    from bench import bench_delivery as b

    out = []
    for backend in backends():
        r = await b.run_case(backend, 1_500, 100, 100.0, 5.0)  # the full case: 15 s
        lost = r["lost"] + r["unsent"]
        out.append(Result(f"{r['share']:.1%} of 100/s, {lost} lost", r["share"] >= 0.9 and lost == 0,
                          backend))
    return out


async def claim() -> list[Result]:
    from bench import bench_claim as b
    from bench.common import fresh_db

    out = []
    for backend in backends():
        async with fresh_db(backend) as db:
            await b.seed(db, "digest", 20_000)
            ms = await b.timed(db, b.new_claim, repeat=5)
        out.append(Result(f"{ms:.2f} ms at 20,000 open rows (no statistics)", ms <= 5.0, backend))
    return out


async def filing() -> list[Result]:
    from bench import bench_filing as b

    b.SIZES, b.FILINGS = (1_000, 10_000), 50
    out = []
    for backend in backends():
        r = await b.compare(backend)
        ratio = r[b.SIZES[1]]["cpu_ms"] / r[b.SIZES[0]]["cpu_ms"]
        out.append(Result(f"CPU per filing 10k / 1k requests: {ratio:.2f}×", ratio <= 1.5, backend))
    return out


async def org_startup() -> list[Result]:
    from bench import bench_org_startup as b

    out = []
    for backend in backends():
        r = await b.run(backend)
        first, again = r["first start (upgrade + import)"][0], r["restart, file unchanged"][0]
        out.append(Result(f"first {first:.2f} s, unchanged restart {again:.2f} s",
                          first <= 2.0 and again <= 2.0, backend))
    return out


async def outage() -> list[Result]:
    from bench import bench_outage as b

    out = []
    for backend in backends():
        r = await b.run(backend, 10.0, 10.0)
        ok = r["lost"] == 0 and r["in_order"] and r["drain"] <= 60
        out.append(Result(f"20 s outage: {r['lost']} lost, order {'kept' if r['in_order'] else 'BROKEN'}, "
                          f"drained {r['drain']:.1f} s after", ok, backend))
    return out


async def kill() -> list[Result]:
    from bench import bench_kill as b

    r = await b.run(30.0)
    return [Result(f"{r['kills']} kills: {r['lost']} lost, {r['duplicates']} duplicates, "
                   f"p99 {r['p99']:.2f} s", r["lost"] == 0 and r["p99"] <= 15 and bool(r["in_order"]),
                   "postgresql")]


async def replicas() -> list[Result]:
    from bench import bench_replicas as b

    r = await b.run(65.0)
    lost = sum(r["outbox_open_or_failed"].values()) + r["sent_but_not_shown"]
    return [Result(f"{r['kills']} kills: timers {r['timers_fired']}/{r['timers']} fired, "
                   f"{r['escalations_twice']} twice; outbox {lost} lost, {r['duplicates']} duplicates",
                   r["met"], "postgresql")]


# --- benches run as scripts, read from their output -------------------------------------------

def command(argv: list[str], pattern: str, goal: Callable[[float], bool], label: str,
            *, database: str = "", where: str = "") -> Callable[[], Awaitable[list[Result]]]:
    """A script run with `argv`; `pattern`'s first group (a number) is the figure judged. `where` names
    the database when the script picks it itself (from BENCH_DATABASE_URL / TEST_DATABASE_URL)."""
    where = where or ("postgresql" if database else "sqlite")

    async def run() -> list[Result]:
        extra = ["--database", database] if database else []
        done = await asyncio.to_thread(subprocess.run, [sys.executable, *argv, *extra], cwd=ROOT,
                                       capture_output=True, text=True, timeout=900)
        found = re.search(pattern, done.stdout)
        if found is None:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return [Result(f"not read (exit {done.returncode}): {tail[0][:80]}", None, where)]
        value = float(found.group(1))
        return [Result(label.format(value), goal(value), where)]
    return run


def clicks(script: str, pattern: str) -> Callable[[], Awaitable[list[Result]]]:
    runs = [command([f"bench/{script}", "--seconds", "5"] +
                    (["--throughput-seconds", "3"] if script == "slack_click.py" else []),
                    pattern, lambda p99: p99 <= 50, "p99 {:.1f} ms at 100 clicks/s", database=db)
            for db in [""] + ([PG_URL] if PG_URL else [])]

    async def run() -> list[Result]:
        return [r for one in runs for r in await one()]
    return run


REGISTRY: list[Bench] = [
    Bench("escalation", "R14 ping ≤ 2 s after its timer is due (p95)", escalation),
    Bench("timers", "idle timer sweep flat in open work (≤ 2×)", timers),
    Bench("delivery", "≥ 90 % of the platform's rate limit, 0 lost", delivery),
    Bench("claim", "outbox claim ≤ 5 ms with many open rows", claim),
    Bench("filing", "filing O(1) in the number of requests (≤ 1.5×)", filing),
    Bench("org_startup", "start-up ≤ 2 s with a 2,000-person org", org_startup),
    Bench("outage", "platform outage: 0 lost, order kept, drained ≤ 60 s", outage),
    Bench("kill", "kill -9 soak: 0 lost, urgent p99 commit→send ≤ 15 s", kill, postgres_only=True),
    Bench("replicas", "3 replicas, kill -9 every 30 s: every timer once, every row sent once", replicas,
          postgres_only=True),
    Bench("slack_click", "Slack click p99 ≤ 50 ms at 100 clicks/s",
          clicks("slack_click.py", r"p99 ([\d.]+) ms")),
    Bench("dingtalk_click", "DingTalk Stream click p99 ≤ 50 ms at 100 clicks/s",
          clicks("dingtalk_click.py", r"click, real core\s+p50\s+[\d.]+ ms\s+p99\s+([\d.]+) ms")),
    Bench("click_cpu", "CPU per committed click ≤ 3× the minimal click's (SQLite)",
          command(["bench/click_cpu.py", "--seconds", "4", "--rounds", "1", "--backends", "sqlite"],
                  r"\*\*([\d.]+)×\*\*", lambda ratio: ratio <= 3, "{:.1f}× the minimal click")),
    Bench("click_scale", "2 serve workers ≥ 1.6× one worker's committed clicks/s",
          command(["bench/click_scale.py", "--seconds", "4", "--rounds", "1", "--steady-seconds", "5"],
                  r"\| \*\*([\d.]+)\*\* \|", lambda ratio: ratio >= 1.6, "×{:.2f}", where="postgresql"), postgres_only=True),
    Bench("ticks", "daily ticks chunked: a command waits ≤ 200 ms for SQLite's writer (p99, 1,000 requests)",
          command(["bench/bench_ticks.py", "--sizes", "1000", "--backends", "sqlite"],
                  r"(?m)\| \d+ / (\d+) / \d+ ms \| [\d,]+ \|\s*$", lambda ms: ms <= 200, "writer wait p99 {:.0f} ms")),
]


def table(rows: list[tuple[Bench, Result, float]]) -> str:
    lines = ["| bench | goal | where | measured | met? |", "|---|---|---|---|---|"]
    for bench, result, _seconds in rows:
        met = {True: "yes", False: "**no**", None: "?"}[result.met]
        lines.append(f"| {bench.name} | {bench.goal} | {result.where} | {result.measured} | {met} |")
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="run only these benches")
    parser.add_argument("--list", action="store_true", help="list the benches and their goals")
    args = parser.parse_args(argv)
    if args.list:
        for bench in REGISTRY:
            print(f"{bench.name:15} {bench.goal}{'  (PostgreSQL)' if bench.postgres_only else ''}")
        return 0
    unknown = set(args.names) - {b.name for b in REGISTRY}
    if unknown:
        parser.error(f"unknown bench(es): {', '.join(sorted(unknown))} (see --list)")
    chosen = [b for b in REGISTRY if not args.names or b.name in args.names]
    rows: list[tuple[Bench, Result, float]] = []
    for bench in chosen:
        if bench.postgres_only and not PG_URL:
            rows.append((bench, Result("skipped: set TEST_DATABASE_URL", None, "postgresql"), 0.0))
            continue
        print(f"… {bench.name}", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            results = await bench.run()
        except Exception as exc:  # noqa: BLE001 — one broken bench does not hide the others
            first = (str(exc).strip().splitlines() or [""])[0]
            results = [Result(f"failed: {type(exc).__name__}: {first[:80]}", False)]
        took = time.monotonic() - started
        rows += [(bench, r, took) for r in results]
        print(f"  {bench.name}: {took:.0f} s", file=sys.stderr, flush=True)
    print(table(rows))
    judged = [r.met for _b, r, _s in rows if r.met is not None]
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"\n{sum(judged)} of {len(judged)} met; load average {load} (a shared machine: a short run "
          "is a regression check, the full benches' figures are in BENCHMARKS.md)")
    return 0 if all(judged) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
