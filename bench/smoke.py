"""`make bench-smoke`: the whole harness on a few messages, so it cannot rot (part of `make test`).

Models: reuses bench/out/models/*.tar.gz, else models/current.tar.gz for ours, else trains
tiny-epoch models; the baseline is trained only if that fits in the time limit, otherwise the
smoke runs for ours alone and says so. Never writes docs/benchmarks.md.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from bench import quality, report, speed
from bench.common import BASELINE, OUR_TRAINED_MODEL, OURS, OUT_DIR, OWN_SETS, Variant, write_json
from bench.train import train

SMOKE_DIR = OUT_DIR / "smoke"
PLAN = speed.SpeedPlan(repeats=1, passes=1, users=4, seconds=3.0, workers=0)
TINY_EPOCHS = 1


def find_model(variant: Variant, timeout: float | None) -> tuple[Path | None, str]:
    """An existing model, or a tiny-epoch one trained now; (None, why) if neither."""
    candidates = [variant.model, SMOKE_DIR / "models" / f"{variant.name}.tar.gz"]
    if variant is OURS:
        candidates.insert(1, OUR_TRAINED_MODEL)
    for path in candidates:
        if path.exists():
            return path, f"reused {path.name} from {path.parent}"
    if timeout is not None and timeout <= 0:
        return None, "skipped: no model, and training it is off (--baseline-train-timeout 0)"
    model = SMOKE_DIR / "models" / f"{variant.name}.tar.gz"
    try:
        seconds = train(variant, model, epochs=TINY_EPOCHS, timeout=timeout)["seconds"]
    except subprocess.TimeoutExpired:
        return None, f"skipped: training a {TINY_EPOCHS}-epoch model took longer than {timeout:.0f} s"
    return model, f"trained with epochs={TINY_EPOCHS} in {float(seconds):.0f} s"


def check(results: dict[str, dict[str, Any]]) -> list[str]:
    """What makes the smoke fail: no answers, transport errors, empty metrics."""
    problems = []
    for name, result in results.items():
        seq = result["speed"]["runs"][0]["sequential"]
        if not seq["messages"] or seq["errors"] or result["speed"]["tput_errors"]:
            problems.append(f"{name}: REST errors or no messages ({seq})")
        if not result["quality"].get("holdout", {}).get("n"):
            problems.append(f"{name}: no held-out predictions")
    return problems


def run_smoke(baseline_timeout: float) -> int:
    models: dict[Variant, Path] = {}
    notes = []
    for variant, timeout in ((OURS, None), (BASELINE, baseline_timeout)):
        model, how = find_model(variant, timeout)
        notes.append(f"{variant.name}: {how}")
        if model is not None:
            models[variant] = model
    print("[smoke] " + "; ".join(notes), flush=True)
    results: dict[str, dict[str, Any]] = {v.name: {} for v in models}
    for variant, model in models.items():
        results[variant.name]["quality"] = quality.evaluate(model, OWN_SETS, limit=2)
    for name, summary in speed.run_speed(models, SMOKE_DIR / "speed", PLAN).items():
        results[name]["speed"] = summary
    write_json(SMOKE_DIR / "results.json", results)
    text = report.render(results, {"notes": "SMOKE RUN (figures meaningless). " + "; ".join(notes)})
    (SMOKE_DIR / "report.md").write_text(text, encoding="utf-8")
    print(text)
    problems = check(results)
    for problem in problems:
        print(f"[smoke] FAIL {problem}")
    return 1 if problems else 0
