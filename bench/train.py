"""Train the configurations under test, timed, into bench/out/models/."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import yaml

from bench.common import OUT_DIR, RASA, ROOT, Variant


def config_with_epochs(variant: Variant, epochs: int, out_dir: Path) -> Path:
    """A copy of the variant's config with every `epochs` setting replaced (for smoke runs)."""
    config = yaml.safe_load(variant.config.read_text(encoding="utf-8"))
    for section in ("pipeline", "policies"):
        for component in config.get(section) or []:
            if "epochs" in component or component.get("name") in {"DIETClassifier", "TEDPolicy"}:
                component["epochs"] = epochs
    path = out_dir / f"config_{variant.name}_e{epochs}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def train_env() -> dict[str, str]:
    """No graph cache: every run trains from scratch, and other people's .rasa/cache is left alone."""
    env = dict(os.environ, RASA_MAX_CACHE_SIZE="0", RASA_CACHE_DIRECTORY=str(OUT_DIR / "cache"))
    env["PYTHONPATH"] = str(ROOT)
    return env


def train(
    variant: Variant, model: Path, *, epochs: int | None = None, timeout: float | None = None
) -> dict[str, float | str]:
    """Train `variant` into `model`; returns wall seconds. Raises on failure or timeout."""
    config = variant.config if epochs is None else config_with_epochs(variant, epochs, model.parent)
    model.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(RASA), "train", "--force", "--config", str(config), "--domain", "domain", "--data", "data",
        "--out", str(model.parent), "--fixed-model-name", model.name.removesuffix(".tar.gz"),
    ]
    log = model.parent / f"train_{variant.name}.log"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        subprocess.run(cmd, cwd=ROOT, env=train_env(), stdout=out, stderr=subprocess.STDOUT,
                       check=True, timeout=timeout)
    seconds = time.perf_counter() - started
    print(f"[train] {variant.name}: {seconds:.1f} s -> {model.relative_to(ROOT)}", flush=True)
    return {"seconds": seconds, "model": str(model), "epochs": epochs if epochs is not None else "config"}
