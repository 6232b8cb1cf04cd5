"""Aggregate NLU figures of one model, for trainers iterating on data/nlu:

    .venv/bin/python -m bench.nlu_check models/current.tar.gz

Prints accuracy, macro-F1, per-intent F1 and confusion pairs (intent names only) on the held-out
set, on the same with one pinyin typo per message (bench/typos.py) and the English sets; with
`--external`, on the real shoppers' file too (test only: never prints its messages, logs each read).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.common import OWN_SETS, QUALITY_SETS
from bench.quality import evaluate


def print_report(name: str, metrics: dict[str, object]) -> None:
    low, high = metrics["accuracy_ci95"]
    print(f"== {name}: n={metrics['n']} accuracy={metrics['accuracy']:.3f} (95 % interval {low:.3f}–{high:.3f}) "
          f"macro-F1={metrics['macro_f1']:.3f} fallback={metrics['fallback_rate']:.3f}")
    support = metrics["support"]
    for intent, f1 in sorted(metrics["per_intent_f1"].items(), key=lambda item: item[1]):
        print(f"   {intent:<18} F1 {f1:.3f}  (n={support[intent]})")
    confusions = ", ".join(f"{gold}→{pred} ({n})" for gold, pred, n in metrics["confusions"])
    print(f"   confusions: {confusions}")
    if "entity" in metrics:
        print(f"   entity F1 {metrics['entity']['f1']:.3f}")


def main(argv: list[str]) -> int:
    external = "--external" in argv
    paths = [arg for arg in argv if arg != "--external"]
    model = Path(paths[0]) if paths else Path("models/current.tar.gz")
    report = evaluate(model, QUALITY_SETS if external else OWN_SETS)
    for name, metrics in report.items():
        print_report(name, metrics)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
