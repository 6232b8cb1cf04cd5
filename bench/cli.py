"""`python -m bench {all,smoke,train,quality,speed,report}`; results go to bench/out/."""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import quality, report, speed
from bench.common import (
    DOC,
    OUT_DIR,
    QUALITY_SETS,
    ROOT,
    VARIANTS,
    no_encoder_config,
    read_json,
    select_variants,
    write_json,
)
from bench.train import train

RESULTS = OUT_DIR / "results.json"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (("all", "train both, quality, speed, report -> docs/benchmarks.md (slow)"),
                        ("train", "train both configurations, timed"), ("quality", "NLU quality"),
                        ("speed", "start-up, latency, throughput, memory"), ("report", "print/write the report")):
        cmd = sub.add_parser(name, help=help_)
        cmd.add_argument("--variants", nargs="+", choices=sorted(VARIANTS),
                         # config.yml has the encoder (decision 31): its cheap half alone is measured beside it
                         default=["ours", "ours_no_encoder", "baseline"])
        _speed_args(cmd)
        cmd.add_argument("--no-doc", action="store_true", help=f"do not write {DOC.relative_to(ROOT)}")
        cmd.add_argument("--model", action="append", default=[], metavar="NAME=PATH",
                         help="use this model file for a variant (e.g. a stock bot trained with 1 epoch: its "
                              "speed is its architecture's; its quality is then not comparable)")
        cmd.add_argument("--reuse-models", action="store_true",
                         help="train only variants without a model in bench/out/models (keeps earlier train times)")
    smoke = sub.add_parser("smoke", help="a few messages, tiny repeats; reuses models (see bench/smoke.py)")
    smoke.add_argument("--baseline-train-timeout", type=float, default=60.0)
    return parser


def _speed_args(cmd: argparse.ArgumentParser) -> None:
    plan = speed.SpeedPlan()
    cmd.add_argument("--repeats", type=int, default=plan.repeats)
    cmd.add_argument("--passes", type=int, default=plan.passes)
    cmd.add_argument("--users", type=int, default=plan.users)
    cmd.add_argument("--seconds", type=float, default=plan.seconds)
    cmd.add_argument("--workers", type=int, default=plan.workers, help="multi-worker run (≤1 skips it)")


def plan_from(args: argparse.Namespace) -> speed.SpeedPlan:
    return speed.SpeedPlan(args.repeats, args.passes, args.users, args.seconds, args.workers)


def load_results() -> dict[str, dict[str, Any]]:
    return read_json(RESULTS) or {}


def save_part(results: dict[str, dict[str, Any]], name: str, part: str, value: Any) -> None:
    results.setdefault(name, {})[part] = value
    write_json(RESULTS, results)


def do_train(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    if "ours_no_encoder" in args.variants:
        no_encoder_config()
    for variant in select_variants(args.variants):
        if args.reuse_models and variant.model.exists():
            print(f"[train] {variant.name}: reusing {variant.model.relative_to(ROOT)}", flush=True)
            continue
        save_part(results, variant.name, "train", train(variant, variant.model))


def do_quality(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    for variant in select_variants(args.variants):
        print(f"[quality] {variant.name}", flush=True)
        save_part(results, variant.name, "quality", quality.evaluate(variant.model, QUALITY_SETS))


def do_speed(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    overrides = dict(item.split("=", 1) for item in args.model)
    models = {v: Path(overrides.get(v.name, v.model)) for v in select_variants(args.variants)}
    missing = [str(model) for model in models.values() if not model.exists()]
    if missing:  # `rasa run` would start without a model and never answer /status
        raise SystemExit(f"no model at {', '.join(missing)}: run `python -m bench train` first")
    for name, summary in speed.run_speed(models, OUT_DIR / "speed", plan_from(args)).items():
        save_part(results, name, "speed", summary)


def do_report(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    meta = {"machine": report.machine(), "notes": run_notes(args)}
    text = report.render(results, meta)
    print(text)
    (OUT_DIR / "report.md").write_text(text, encoding="utf-8")
    if not args.no_doc:
        report.write_doc(DOC, text)
        print(f"[report] wrote {DOC.relative_to(ROOT)}")


def run_notes(args: argparse.Namespace) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return (f"Commit {commit.stdout.strip() or '?'} (plus uncommitted changes, if any). Speed: medians of "
            f"{args.repeats} runs; sequential = {args.passes} passes of the script per run; throughput = "
            f"{args.users} concurrent conversations for {args.seconds:.0f} s; load generator on the same machine.")


STEPS = {"train": [do_train], "quality": [do_quality], "speed": [do_speed], "report": [do_report],
         "all": [do_train, do_quality, do_speed, do_report]}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "smoke":
        from bench.smoke import run_smoke

        return run_smoke(args.baseline_train_timeout)
    results = load_results()
    for step in STEPS[args.command]:
        step(args, results)
    if args.command not in ("report", "all"):
        print(f"[bench] results in {Path(RESULTS).relative_to(ROOT)}")
    return 0
