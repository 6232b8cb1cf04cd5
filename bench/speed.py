"""Start-up, sequential latency, throughput and peak memory over REST, with actions and the DB in play."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import load
from bench.common import Variant, median, write_json
from bench.servers import (
    action_server,
    cpu_seconds,
    mint_token,
    peak_rss_mb,
    rasa_server,
    seed_db,
    snapshot_code,
    use_code_snapshot,
    write_endpoints,
)

REDIS_DB = 15
ACTION_FAILURE = "Encountered an exception while running action"


def action_failures(workdir: Path, port: int) -> int:
    """Custom-action calls that failed (the bot went on without the action's events), from the Rasa log."""
    log = workdir / f"rasa_{port}.log"
    return log.read_text(encoding="utf-8", errors="replace").count(ACTION_FAILURE) if log.exists() else 0


@dataclass(frozen=True)
class SpeedPlan:
    repeats: int = 3
    passes: int = 5  # sequential replays of the script per repeat
    users: int = 50
    seconds: float = 30.0
    workers: int = 2  # multi-worker throughput run with Redis stores; 0 or 1 skips it


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}/webhooks/rest/webhook"


def _orders() -> dict[str, str]:
    from shop.seed import DEMO_ORDERS

    return dict(DEMO_ORDERS)


def single_process_run(variant: Variant, model: Path, workdir: Path, plan: SpeedPlan, tag: str) -> dict[str, object]:
    """One repeat: fresh DB, action server, `rasa run`; start-up, sequential script, throughput, memory."""
    db_url = seed_db(workdir)
    token = mint_token(db_url)
    conversations = load.script(_orders())
    with action_server(workdir, db_url) as actions:
        endpoints = write_endpoints(workdir, actions.port, redis_db=None)
        with rasa_server(workdir, model, db_url, endpoints) as rasa:
            url = _url(rasa.port)
            first = asyncio.run(load.sequential(url, conversations[:1], token, 1, f"{tag}-first"))
            first_reply_s = rasa.startup_s + (first.latencies_ms[0] / 1000 if first.latencies_ms else 0.0)
            cpu_before = cpu_seconds(rasa.proc.pid), cpu_seconds(actions.proc.pid)
            seq = asyncio.run(load.sequential(url, conversations, token, plan.passes, f"{tag}-seq"))
            cpu_ms = _cpu_ms_per_message(cpu_before, (cpu_seconds(rasa.proc.pid), cpu_seconds(actions.proc.pid)),
                                         len(seq.latencies_ms))
            cpu_before = cpu_seconds(rasa.proc.pid), cpu_seconds(actions.proc.pid)
            tput = asyncio.run(load.throughput(url, conversations, token, plan.users, plan.seconds, f"{tag}-tp"))
            tput_cpu_ms = _cpu_ms_per_message(cpu_before, (cpu_seconds(rasa.proc.pid), cpu_seconds(actions.proc.pid)),
                                              int(tput["messages"]))  # type: ignore[call-overload]
            rasa_mb, actions_mb = peak_rss_mb(rasa.proc.pid), peak_rss_mb(actions.proc.pid)
    return {
        "startup_status_s": rasa.startup_s, "startup_first_reply_s": first_reply_s,
        "actions_startup_s": actions.startup_s, "sequential": seq.summary(), "throughput": tput,
        "rasa_peak_mb": rasa_mb, "actions_peak_mb": actions_mb, "transcript": seq.transcript,
        "seq_rasa_cpu_ms": cpu_ms[0], "seq_actions_cpu_ms": cpu_ms[1],
        # under load: what one message costs each server when the cores are shared (bounds throughput)
        "tput_rasa_cpu_ms": tput_cpu_ms[0], "tput_actions_cpu_ms": tput_cpu_ms[1],
        "action_failures": action_failures(workdir, rasa.port),
    }


def _cpu_ms_per_message(before: tuple[float, float], after: tuple[float, float], messages: int) -> tuple[float, float]:
    """CPU milliseconds per message of the Rasa server and of the action server (sequential phase)."""
    if not messages:
        return 0.0, 0.0
    return tuple((a - b) * 1000 / messages for a, b in zip(after, before, strict=True))  # type: ignore[return-value]


def multi_worker_run(variant: Variant, model: Path, workdir: Path, plan: SpeedPlan, tag: str) -> dict[str, object]:
    """Throughput with SANIC_WORKERS and the Redis tracker and lock stores."""
    db_url = seed_db(workdir)
    token = mint_token(db_url)
    conversations = load.script(_orders())
    with action_server(workdir, db_url) as actions:
        endpoints = write_endpoints(workdir, actions.port, redis_db=REDIS_DB)
        with rasa_server(workdir, model, db_url, endpoints, workers=plan.workers) as rasa:
            url = _url(rasa.port)
            asyncio.run(load.sequential(url, conversations[:1], token, 1, f"{tag}-warm"))
            tput = asyncio.run(load.throughput(url, conversations, token, plan.users, plan.seconds, f"{tag}-tp"))
            rasa_mb = peak_rss_mb(rasa.proc.pid)
    return {"workers": plan.workers, "startup_status_s": rasa.startup_s, "throughput": tput, "rasa_peak_mb": rasa_mb,
            "action_failures": action_failures(workdir, rasa.port)}


def _guarded(run: Callable[..., dict[str, object]], *args: Any) -> dict[str, object]:
    """A failed run (e.g. the action server does not start) is recorded, not fatal; medians skip it."""
    try:
        return run(*args)
    except (OSError, RuntimeError, TimeoutError) as exc:
        print(f"[speed] run failed: {exc}", flush=True)
        return {"failed": str(exc)}


def run_speed(variants: dict[Variant, Path], workdir: Path, plan: SpeedPlan) -> dict[str, dict[str, object]]:
    """Repeats interleaved across variants (so background load hits both alike); medians per variant."""
    use_code_snapshot(snapshot_code(workdir / "code"))
    runs: dict[str, list[dict[str, object]]] = {v.name: [] for v in variants}
    multi: dict[str, list[dict[str, object]]] = {v.name: [] for v in variants}
    for rep in range(plan.repeats):
        for variant, model in variants.items():
            tag = f"{variant.name}-r{rep}"
            run_dir = workdir / tag
            run_dir.mkdir(parents=True, exist_ok=True)
            print(f"[speed] {tag}: single process", flush=True)
            runs[variant.name].append(_guarded(single_process_run, variant, model, run_dir, plan, tag))
            if plan.workers > 1:
                print(f"[speed] {tag}: {plan.workers} workers + Redis", flush=True)
                multi[variant.name].append(_guarded(multi_worker_run, variant, model, run_dir, plan, f"{tag}-mw"))
            write_json(workdir / "runs.json", {"single": runs, "multi": multi})  # survives a later crash
    return {name: summarise(runs[name], multi[name]) for name in runs}


def _med(runs: list[dict[str, object]], *path: str) -> float | None:
    """Median over runs of the number at `path`; error counts are summed instead (one error is one too many)."""
    values = []
    for run in runs:
        value: object = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, (int, float)):
            values.append(float(value))
    if path[-1] in ("errors", "action_failures"):
        return float(sum(values)) if values else None
    return median(values)


SUMMARY_KEYS: dict[str, tuple[str, ...]] = {
    "startup_status_s": ("startup_status_s",),
    "startup_first_reply_s": ("startup_first_reply_s",),
    "seq_p50_ms": ("sequential", "p50_ms"),
    "seq_p95_ms": ("sequential", "p95_ms"),
    "seq_p99_ms": ("sequential", "p99_ms"),
    "seq_errors": ("sequential", "errors"),
    "seq_deviations": ("sequential", "deviation_count"),
    "tput_msgs_per_s": ("throughput", "msgs_per_s"),
    "tput_errors": ("throughput", "errors"),
    "tput_empty": ("throughput", "empty_replies"),
    "tput_p99_ms": ("throughput", "p99_ms"),
    "rasa_peak_mb": ("rasa_peak_mb",),
    "actions_peak_mb": ("actions_peak_mb",),
    "seq_rasa_cpu_ms": ("seq_rasa_cpu_ms",),
    "seq_actions_cpu_ms": ("seq_actions_cpu_ms",),
    "tput_rasa_cpu_ms": ("tput_rasa_cpu_ms",),
    "tput_actions_cpu_ms": ("tput_actions_cpu_ms",),
    "action_failures": ("action_failures",),
}
MULTI_KEYS: dict[str, tuple[str, ...]] = {
    "mw_tput_msgs_per_s": ("throughput", "msgs_per_s"),
    "mw_tput_errors": ("throughput", "errors"),
    "mw_tput_p99_ms": ("throughput", "p99_ms"),
    "mw_rasa_peak_mb": ("rasa_peak_mb",),
    "mw_action_failures": ("action_failures",),
}


def summarise(all_runs: list[dict[str, object]], all_multi: list[dict[str, object]]) -> dict[str, object]:
    runs = [run for run in all_runs if "failed" not in run]
    multi = [run for run in all_multi if "failed" not in run]
    summary: dict[str, object] = {key: _med(runs, *path) for key, path in SUMMARY_KEYS.items()}
    summary.update({key: _med(multi, *path) for key, path in MULTI_KEYS.items()} if multi else {})
    summary["repeats"] = len(runs)
    summary["failed_runs"] = [run["failed"] for run in all_runs if "failed" in run]
    summary["runs"] = [{k: v for k, v in run.items() if k != "transcript"} for run in runs]
    summary["multi_runs"] = all_multi
    summary["transcript"] = runs[0]["transcript"] if runs else []
    return summary
