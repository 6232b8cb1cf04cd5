"""Interleaved REST A/B runs of code variants on one model: which runtime is faster, on this host, today.

    .venv/bin/python -m bench.ab --model models/current.tar.gz --repeats 3 \\
        --variant new=. --variant stock=.:XIAOER_STOCK_RUNTIME=1 --variant old=/tmp/old-code

A variant is a folder holding actions/, shop/ and addons/ (`.` is the checkout, snapshotted when the
run starts) and environment settings for its servers. Each repeat runs every variant once, in turn,
so background load on the shared host falls on all of them alike: a fresh seeded shop, the action
server, `rasa run`, one warm-up conversation, then `--users` concurrent shoppers replaying the
bench's script for `--seconds`. Reported per variant: messages a second, Rasa's and the action
server's CPU per message under that load, transport errors and failed action calls; medians and
their ratio to the first variant. Compare ratios within one run, not figures across days.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench import load
from bench.common import ROOT, write_json
from bench.servers import (
    CODE_DIRS,
    action_server,
    cpu_seconds,
    mint_token,
    rasa_server,
    seed_db,
    snapshot_code,
    use_code_snapshot,
    write_endpoints,
)
from bench.speed import _orders, _url, action_failures


@dataclass(frozen=True)
class CodeVariant:
    name: str
    code: Path
    env: dict[str, str]


def parse_variant(text: str) -> CodeVariant:
    """`name=folder[:KEY=VALUE[;KEY=VALUE]]` (a value may hold commas: XIAOER_RUNTIME_OFF=a,b)."""
    name, _, rest = text.partition("=")
    folder, _, settings = rest.partition(":")
    env = dict(item.split("=", 1) for item in settings.split(";") if item)
    if not name or not folder:
        raise argparse.ArgumentTypeError(f"a variant is name=folder[:KEY=VALUE;...], not {text!r}")
    return CodeVariant(name, Path(folder), env)


@contextmanager
def _environment(settings: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _with_sql_tracker_store(endpoints: Path, workdir: Path) -> None:
    """The tracker store `make serve` uses (endpoints.yml): SQL, here a SQLite file of the run's own."""
    config = yaml.safe_load(endpoints.read_text(encoding="utf-8"))
    config["tracker_store"] = {"type": "SQL", "dialect": "sqlite", "db": str(workdir / "tracker.db")}
    endpoints.write_text(yaml.safe_dump(config), encoding="utf-8")


def one_run(variant: CodeVariant, code: Path, model: Path, workdir: Path, users: int, seconds: float,
            tracker_store: str = "memory") -> dict:
    use_code_snapshot(code)
    with _environment(variant.env):
        db_url = seed_db(workdir)
        token = mint_token(db_url)
        conversations = load.script(_orders())
        with action_server(workdir, db_url) as actions:
            endpoints = write_endpoints(workdir, actions.port, redis_db=None)
            if tracker_store == "sql":
                _with_sql_tracker_store(endpoints, workdir)
            with rasa_server(workdir, model, db_url, endpoints) as rasa:
                url = _url(rasa.port)
                asyncio.run(load.sequential(url, conversations, token, 1, f"{variant.name}-warm"))
                before = cpu_seconds(rasa.proc.pid), cpu_seconds(actions.proc.pid)
                tput = asyncio.run(load.throughput(url, conversations, token, users, seconds, f"{variant.name}-tp"))
                after = cpu_seconds(rasa.proc.pid), cpu_seconds(actions.proc.pid)
                messages = max(int(tput["messages"]), 1)
                failures = action_failures(workdir, rasa.port)
    return {"msgs_per_s": tput["msgs_per_s"], "rasa_cpu_ms": (after[0] - before[0]) * 1000 / messages,
            "actions_cpu_ms": (after[1] - before[1]) * 1000 / messages, "errors": tput["errors"],
            "deviations": tput["deviation_count"], "action_failures": failures, "p50_ms": tput["p50_ms"],
            "p95_ms": tput["p95_ms"]}


def summary(runs: dict[str, list[dict]]) -> list[str]:
    names = list(runs)
    medians = {name: {key: statistics.median(run[key] for run in runs[name]) for key in
                      ("msgs_per_s", "rasa_cpu_ms", "actions_cpu_ms", "p50_ms", "p95_ms")} for name in names}
    base = medians[names[0]]
    lines = [f"{'variant':<12} {'msg/s':>24} {'Rasa CPU ms/msg':>28} {'p95 ms':>8} {'errors':>6} {'failed':>6}"]
    for name in names:
        m = medians[name]
        each = " / ".join(f"{run['msgs_per_s']:.1f}" for run in runs[name])
        cpu = " / ".join(f"{run['rasa_cpu_ms']:.2f}" for run in runs[name])
        lines.append(f"{name:<12} {each:>16} ({m['msgs_per_s'] / base['msgs_per_s']:.2f}x) "
                     f"{cpu:>20} ({m['rasa_cpu_ms'] / base['rasa_cpu_ms']:.2f}x) {m['p95_ms']:>8.0f} "
                     f"{sum(run['errors'] for run in runs[name]):>6} "
                     f"{sum(run['action_failures'] for run in runs[name]):>6}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--variant", type=parse_variant, action="append", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--tracker-store", choices=["memory", "sql"], default="memory",
                        help="sql: the SQL store of endpoints.yml (a SQLite file per run), as make serve runs")
    parser.add_argument("--out", type=Path, default=None, help="folder for logs and runs.json (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.out or Path(tempfile.mkdtemp(prefix="xiaoer-ab-"))
    codes: dict[str, Path] = {}
    for variant in args.variant:  # the checkout is copied now: edits during the run cannot reach it
        if variant.code.resolve() == ROOT.resolve():
            codes[variant.name] = snapshot_code(workdir / f"code-{variant.name}")
        else:
            codes[variant.name] = workdir / f"code-{variant.name}"
            shutil.rmtree(codes[variant.name], ignore_errors=True)
            for name in CODE_DIRS:
                shutil.copytree(variant.code / name, codes[variant.name] / name,
                                ignore=shutil.ignore_patterns("__pycache__"))
    runs: dict[str, list[dict]] = {variant.name: [] for variant in args.variant}
    for repeat in range(args.repeats):
        for variant in args.variant:
            run_dir = workdir / f"{variant.name}-r{repeat}"
            run_dir.mkdir(parents=True, exist_ok=True)
            result = one_run(variant, codes[variant.name], args.model, run_dir, args.users, args.seconds,
                             args.tracker_store)
            runs[variant.name].append(result)
            print(f"[ab] r{repeat} {variant.name}: {result['msgs_per_s']:.1f} msg/s, "
                  f"Rasa {result['rasa_cpu_ms']:.2f} ms/msg, errors {result['errors']}, "
                  f"failed actions {result['action_failures']}", flush=True)
            write_json(workdir / "runs.json", runs)
    print("\n".join(summary(runs)))
    print(f"[ab] logs and runs.json in {workdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
