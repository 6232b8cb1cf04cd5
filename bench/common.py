"""Paths, the two configurations under test and small shared helpers."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
OUT_DIR = BENCH_DIR / "out"
MODELS_DIR = OUT_DIR / "models"
VENV_BIN = ROOT / ".venv" / "bin"
RASA = VENV_BIN / "rasa"
PYTHON = VENV_BIN / "python"
HOLDOUT = ROOT / "tests" / "nlu_holdout.yml"
EXTERNAL = ROOT.parent / "shared" / "eval" / "external_nlu.yml"
DOC = ROOT / "docs" / "benchmarks.md"
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Variant:
    """One configuration under test."""

    name: str
    config: Path

    @property
    def model(self) -> Path:
        return MODELS_DIR / f"{self.name}.tar.gz"


OURS = Variant("ours", ROOT / "config.yml")
BASELINE = Variant("baseline", BENCH_DIR / "baseline_config.yml")
VARIANTS: dict[str, Variant] = {v.name: v for v in (OURS, BASELINE)}


def select_variants(names: Sequence[str]) -> list[Variant]:
    return [VARIANTS[name] for name in names]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (pct in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

#: The model `make train` builds from config.yml (the smoke may reuse it as "ours").
OUR_TRAINED_MODEL = ROOT / "models" / "current.tar.gz"
