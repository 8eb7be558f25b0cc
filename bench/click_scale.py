"""Scale-out: committed Slack clicks/s with 1 and with N server processes on one port, and the
p99 at a steady rate beside a bare endpoint's p99 in the same window (PostgreSQL).

    .venv/bin/python bench/click_scale.py [--workers 2] [--seconds 8] [--rounds 2]
        [--concurrency 32] [--rate 100] [--steady-seconds 20]

The bot runs as `collab-bot serve --workers N` runs it: uvicorn's supervisor binds the port once
and starts N processes that each build the app (`bench_app` here is `bot.app`'s
`serve_from_environment` plus the bench's Slack settings and no rate limit), each with its own
scheduler and delivery worker on one database. The load and the prepared requests are
`bench/slack_click.py`'s (each click approves one submitted request: a committed transition).
Alternating in one run, per round: sustained throughput (`--concurrency` clients back to back)
with 1 process and with N; then `--rate` clicks/s open loop against a bare Starlette endpoint,
the bot with 1 process and with N → p50 / p99. Afterwards the database is checked to hold
exactly one approval per answered click (the warm-up's included).

Where the CPU goes (from /proc, in each measured phase after its warm-up): the bot (uvicorn's
supervisor and its workers), every PostgreSQL process (backends, the postmaster's reaped
children, its background processes — the whole server, whoever's queries), this load generator,
the fake Slack, the rest of the machine's busy time (other work on the shared cores), and its idle
time (/proc/stat). From the N-process run: the clicks/s the cores could carry if every idle and
bot-waiting second went to clicks at the same cost per click — the ceiling of the ratio here.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import procstat  # noqa: E402
import slack_click as bench  # noqa: E402

PG = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def bench_app() -> Any:
    """One worker: the bot from the environment as `serve --workers` builds it; the bench's
    posts are not held back by Slack's rate limits (as in slack_click.py)."""
    from bot.app import build
    from bot.logging import configure_logging
    from bot.settings import Settings
    from storage.db import Database

    settings = Settings(archive_dir=None)  # type: ignore[arg-type]
    configure_logging(settings.log_level)  # as serve_from_environment does
    app = build(settings, db=Database(settings.database_url,
                                      schema=os.environ.get(bench.SCHEMA_VAR) or None,
                                      pool_size=settings.database_pool_size))
    app.adapters["slack"].rate_per_chat = app.adapters["slack"].rate_per_second = 1e6
    return app.asgi


def role_workers(port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run("click_scale:bench_app", factory=True, workers=workers, host="127.0.0.1",
                port=port, log_level="warning", access_log=False, timeout_keep_alive=300,
                timeout_worker_healthcheck=60)


async def start_bot(workers: int, api_url: str) -> tuple[subprocess.Popen[bytes], int]:
    import aiohttp

    port = bench.free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": bench.SECRET,
           "SLACK_APP_TOKEN": "", "SLACK_API_URL": api_url, "DATABASE_URL": PG,
           "PYTHONPATH": os.pathsep.join(sys.path[:3])}
    env.pop("SLACK_MODE", None)
    log = open(Path("/tmp") / f"click-scale-{os.getpid()}-{workers}.log", "w")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, __file__, "--role", "workers", str(port),
                                str(workers)], env=env, stdout=log, stderr=log, cwd=ROOT / "bench")
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):
            assert process.poll() is None, f"bot with {workers} workers exited"
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                    processes = len(procstat.tree(process.pid))  # supervisor + workers
                    if r.status == 200 and processes >= (1 if workers == 1 else workers + 1):
                        return process, port
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.25)
    stop_bot(process)
    raise TimeoutError("the bot did not become ready")


PARTIES = ("bot", "postgres", "load", "fake")


class Meter:
    """CPU seconds of each party and of the machine, read from /proc at the start and the end of
    a phase."""

    def __init__(self, *, bot: int, fake: int) -> None:
        self.bot, self.fake = bot, fake

    def read(self) -> dict[str, float]:
        busy, idle = procstat.machine()
        return {"bot": procstat.cpu(self.bot), "postgres": procstat.postgres(),
                "load": procstat.own(os.getpid()), "fake": procstat.cpu(self.fake),
                "busy": busy, "idle": idle, "wall": time.monotonic()}

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        out = {key: after[key] - before[key] for key in before}
        out["rest"] = max(0.0, out["busy"] - sum(out[p] for p in PARTIES))
        return out


def stop_bot(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=60)


async def run(args: argparse.Namespace) -> None:
    import aiohttp

    os.environ[bench.SCHEMA_VAR] = f"bench_scale_{os.getpid()}"
    bench.pg_schema(PG, drop=False)
    fake, fake_port = await bench.spawn("fake", str(bench.free_port()))
    api_url = f"http://127.0.0.1:{fake_port}/api/"
    hook = f"http://127.0.0.1:{fake_port}/hooks/bench"
    await bench.prepare(PG, int(args.rounds * (2 * (args.seconds + 1) * 900
                                               + 3 * (args.steady_seconds + 1) * args.rate)))
    ids = itertools.count(1)
    rows: list[dict[str, Any]] = []
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
            for _ in range(args.rounds):
                row: dict[str, Any] = {}
                for workers in (1, args.workers):
                    process, port = await start_bot(workers, api_url)
                    send = bench.sender(session, f"http://127.0.0.1:{port}/slack/events", hook,
                                        ids)
                    await bench.throughput(send, concurrency=4, seconds=1)  # warm up
                    meter = Meter(bot=process.pid, fake=fake.pid)
                    start = meter.read()
                    _rps, done, failed = await bench.throughput(
                        send, concurrency=args.concurrency, seconds=args.seconds)
                    row[f"cpu{workers}"] = meter.delta(start, meter.read())
                    await procstat.settle(process.pid)
                    # committed clicks/s; a click past DATABASE_EVENT_TIMEOUT_SECONDS is
                    # answered 503 (nothing committed, Slack would retry): counted, not committed
                    row[f"rps{workers}"] = (done - failed) / args.seconds
                    row[f"failed{workers}"] = failed
                    stop_bot(process)
                bare, port = await bench.spawn("bare", str(bench.free_port()))
                send = bench.sender(session, f"http://127.0.0.1:{port}/slack/events", hook,
                                    itertools.count(1))
                await bench.steady(send, rate=args.rate, seconds=1)
                row["bare"] = await bench.steady(send, rate=args.rate, seconds=args.steady_seconds)
                await bench.stop(bare)
                for workers in (1, args.workers):
                    process, port = await start_bot(workers, api_url)
                    send = bench.sender(session, f"http://127.0.0.1:{port}/slack/events", hook,
                                        ids)
                    await bench.steady(send, rate=args.rate, seconds=1)
                    meter = Meter(bot=process.pid, fake=fake.pid)
                    start = meter.read()
                    row[f"steady{workers}"] = await bench.steady(send, rate=args.rate,
                                                                 seconds=args.steady_seconds)
                    row[f"steady_cpu{workers}"] = meter.delta(start, meter.read())
                    row[f"steady_cpu{workers}"]["committed"] = (
                        row[f"steady{workers}"]["count"] - row[f"steady{workers}"]["failures"])
                    await procstat.settle(process.pid)
                    stop_bot(process)
                rows.append(row)
    finally:
        for child in list(bench.CHILDREN):
            await bench.stop(child)
        held = bench.approved(PG)
        bench.pg_schema(PG, drop=True)
    report(args, rows, held=held, sent=next(ids) - 1)


def report(args: argparse.Namespace, rows: list[dict[str, Any]], *, held: int, sent: int
           ) -> None:
    n = args.workers
    print(f"PostgreSQL, {os.cpu_count()} cores shared with the load generator, PostgreSQL, the "
          f"fake Slack and other work; {args.concurrency} clients, {args.seconds:g} s a phase")
    print(f"| round | 1 process | {n} processes | ×  | steady {args.rate:g}/s p50 / p99: bare | "
          f"1 process | {n} processes |")
    print("|---|---|---|---|---|---|---|")
    for i, r in enumerate(rows, 1):
        def pct(s: dict[str, float]) -> str:
            return f"{s['p50']:.1f} / {s['p99']:.1f} ms"
        print(f"| {i} | {r['rps1']:.0f} clicks/s | {r[f'rps{n}']:.0f} clicks/s | "
              f"**{r[f'rps{n}'] / r['rps1']:.2f}** | {pct(r['bare'])} | {pct(r['steady1'])} | "
              f"{pct(r[f'steady{n}'])} |")
        if r["failed1"] or r[f"failed{n}"]:
            print(f"  round {i}: answered 503 (not committed) under sustained load: "
                  f"{r['failed1']} with 1 process, {r[f'failed{n}']} with {n}")
        print(f"  round {i}: failed at {args.rate:g}/s: bare {r['bare']['failures']}, "
              f"1 process {r['steady1']['failures']}, {n} processes {r[f'steady{n}']['failures']}")
    not_committed = sum(r["failed1"] + r[f"failed{n}"] + r["steady1"]["failures"]
                        + r[f"steady{n}"]["failures"] for r in rows)
    print(f"approvals in the database: {held} of {sent} clicks sent, {not_committed} answered "
          f"503 (nothing committed)")
    assert sent - not_committed <= held <= sent  # a timed-out click may still have committed
    for i, r in enumerate(rows, 1):
        for workers in (1, n):
            r[f"cpu{workers}"]["committed"] = r[f"rps{workers}"] * args.seconds
        report_cpu(f"round {i}, sustained ({args.concurrency} clients)", r, n)
        report_cpu(f"round {i}, steady {args.rate:g}/s", r, n, prefix="steady_")
        ceiling(r, n)


def report_cpu(title: str, row: dict[str, Any], n: int, *, prefix: str = "") -> None:
    """CPU seconds per party in the phase, and ms per committed click."""
    cores = os.cpu_count() or 1
    print(f"\n{title}: CPU seconds in the phase (ms per committed click), from /proc")
    print("| processes | committed | bot | PostgreSQL | load generator | fake Slack | "
          "rest of the machine | idle (of cores × wall) |")
    print("|---|---|---|---|---|---|---|---|")
    for workers in (1, n):
        c = row[f"{prefix}cpu{workers}"]
        per = 1000 / max(c["committed"], 1)

        def cell(key: str) -> str:
            return f"{c[key]:.2f} s ({c[key] * per:.1f} ms)"
        print(f"| {workers} | {c['committed']:.0f} in {c['wall']:.1f} s | {cell('bot')} | "
              f"{cell('postgres')} | {cell('load')} | {cell('fake')} | {c['rest']:.2f} s | "
              f"{c['idle']:.2f} s ({100 * c['idle'] / (cores * c['wall']):.0f} %) |")


def ceiling(row: dict[str, Any], n: int) -> None:
    """What the measured CPU per click allows. A process serves at most one core's worth of
    clicks (1 / its bot CPU per click); all parties together at most the cores' time. In this
    window: the cores less what other work took. Alone on the machine: all of it."""
    cores = os.cpu_count() or 1
    one, many = row["cpu1"], row[f"cpu{n}"]

    def per_click(c: dict[str, float]) -> dict[str, float]:
        return {p: c[p] / max(c["committed"], 1) for p in PARTIES}

    p1, pn = per_click(one), per_click(many)
    free = cores * many["wall"] - many["rest"]  # core-seconds the clicks' parties could use
    best = free / sum(pn.values()) / many["wall"]
    print(f"ceiling in this window ({n} processes, {cores} cores, other work took "
          f"{many['rest'] / many['wall']:.2f} of them): {best:.0f} clicks/s if every idle second "
          f"went to clicks (×{best / row['rps1']:.2f} of 1 process's {row['rps1']:.0f}/s; "
          f"measured ×{row[f'rps{n}'] / row['rps1']:.2f})")
    alone1 = min(1 / p1["bot"], cores / sum(p1.values()))
    alone_n = min(n / pn["bot"], cores / sum(pn.values()))
    others = sum(pn.values()) - pn["bot"]
    print(f"ceiling alone on the machine: 1 process {alone1:.0f} clicks/s (a core at "
          f"{1000 * p1['bot']:.1f} ms of bot CPU a click), {n} processes {alone_n:.0f} clicks/s "
          f"({cores} cores at {1000 * sum(pn.values()):.1f} ms a click, of which PostgreSQL, the "
          f"load generator and the fake Slack {1000 * others:.1f} ms) → at most "
          f"**×{alone_n / alone1:.2f}**; ×1.6 needs the bot's CPU per click ≥ "
          f"{1.6 / (cores - 1.6):.0f}× the others' (here "
          f"{pn['bot'] / max(others, 1e-9):.1f}×)")
    print(f"1 process: the bot used {one['bot'] / one['wall']:.2f} of a core, the machine was "
          f"idle {100 * one['idle'] / (cores * one['wall']):.0f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--steady-seconds", type=float, default=20)
    args, rest = parser.parse_known_args()
    if args.role == "workers":
        role_workers(int(rest[0]), int(rest[1]))
    elif args.role == "bare":
        bench.role_bare(int(rest[0]))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
