"""What keeping conversations costs per message: Rasa's SQL tracker store (SQLite) against the in-memory one.

The bench's own REST harness (bench/servers.py, bench/load.py, as `python -m bench.ab` uses it): per
repeat and per store, a freshly seeded shop, the action server, `rasa run` with an endpoints file that
differs only in `tracker_store`, one warm-up pass of the bench's scripted conversations, then `--users`
concurrent shoppers for `--seconds`, and a sequential pass for latency. The two stores alternate within
each repeat (memory, SQL, memory, SQL, ...) so background load on a shared machine falls on both alike.
Reported: messages a second, Rasa's CPU per message under load, sequential p50/p95; medians of the
repeats and their ratio to the in-memory store.

Usage: python scripts/bench_tracker_store.py [--repeats 3] [--users 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from bench.servers import (  # noqa: E402
    action_server,
    cpu_seconds,
    mint_token,
    rasa_server,
    seed_db,
    snapshot_code,
    use_code_snapshot,
    write_endpoints,
)
from bench.speed import _orders, _url, action_failures  # noqa: E402

STORES = ("in-memory", "SQL (SQLite)", "Kept SQL (SQLite)")
STORE_TYPES = {"SQL (SQLite)": "SQL", "Kept SQL (SQLite)": "addons.stores.sql_tracker_store.KeptSQLTrackerStore"}


def endpoints_for(store: str, workdir: Path, actions_port: int) -> Path:
    path = write_endpoints(workdir, actions_port, redis_db=None)
    if store != "in-memory":
        endpoints = yaml.safe_load(path.read_text(encoding="utf-8"))
        database = str(workdir / "rasa_tracker.db")
        endpoints["tracker_store"] = {"type": STORE_TYPES[store], "dialect": "sqlite", "db": database}
        path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    return path


def one_run(store: str, model: Path, workdir: Path, users: int, seconds: float) -> dict[str, float]:
    db_url = seed_db(workdir)
    token = mint_token(db_url)
    conversations = load.script(_orders())
    with action_server(workdir, db_url) as actions:
        with rasa_server(workdir, model, db_url, endpoints_for(store, workdir, actions.port)) as rasa:
            url = _url(rasa.port)
            asyncio.run(load.sequential(url, conversations, token, 1, f"{store[:3]}-warm"))
            sequential = asyncio.run(load.sequential(url, conversations, token, 2, f"{store[:3]}-seq")).summary()
            before = cpu_seconds(rasa.proc.pid)
            tput = asyncio.run(load.throughput(url, conversations, token, users, seconds, f"{store[:3]}-tp"))
            after = cpu_seconds(rasa.proc.pid)
            failures = action_failures(workdir, rasa.port)
    messages = max(int(tput["messages"]), 1)
    return {"msgs_per_s": float(tput["msgs_per_s"]), "rasa_cpu_ms": (after - before) * 1000 / messages,
            "seq_p50_ms": float(sequential["p50_ms"]), "seq_p95_ms": float(sequential["p95_ms"]),
            "errors": float(tput["errors"]) + failures}


def table(runs: dict[str, list[dict[str, float]]]) -> str:
    keys = ("msgs_per_s", "rasa_cpu_ms", "seq_p50_ms", "seq_p95_ms")
    medians = {store: {key: statistics.median(run[key] for run in runs[store]) for key in keys} for store in runs}
    base = medians[STORES[0]]
    lines = ["| tracker store | msg/s under load (runs) | Rasa CPU ms/message (runs) | sequential p50 / p95 ms "
             "| errors |",
             "|---|---|---|---|---|"]
    for store, figures in medians.items():
        each_tput = " / ".join(f"{run['msgs_per_s']:.1f}" for run in runs[store])
        each_cpu = " / ".join(f"{run['rasa_cpu_ms']:.2f}" for run in runs[store])
        lines.append(
            f"| {store} | {figures['msgs_per_s']:.1f} ({each_tput}; {figures['msgs_per_s'] / base['msgs_per_s']:.2f}×) "
            f"| {figures['rasa_cpu_ms']:.2f} ({each_cpu}; {figures['rasa_cpu_ms'] / base['rasa_cpu_ms']:.2f}×) "
            f"| {figures['seq_p50_ms']:.1f} / {figures['seq_p95_ms']:.1f} "
            f"| {sum(run['errors'] for run in runs[store]):.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not 1 <= args.repeats <= 10 or not 1 <= args.users <= 200 or not 1 <= args.seconds <= 300:
        parser.error("--repeats 1-10, --users 1-200, --seconds 1-300")
    workdir = Path(tempfile.mkdtemp(prefix="xiaoer-tracker-bench-"))
    use_code_snapshot(snapshot_code(workdir / "code"))  # edits in the checkout cannot reach the servers
    runs: dict[str, list[dict[str, float]]] = {store: [] for store in STORES}
    for repeat in range(args.repeats):
        for store in STORES:
            run_dir = workdir / f"{store.split()[0].lower()}-r{repeat}"
            run_dir.mkdir(parents=True)
            runs[store].append(one_run(store, args.model, run_dir, args.users, args.seconds))
            print(f"repeat {repeat + 1} {store}: {runs[store][-1]}", flush=True)
    print(table(runs))
    print(f"(logs under {workdir})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
