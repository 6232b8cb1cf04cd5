"""NLU pipeline variants side by side, trained as the real pipeline in one process:

    .venv/bin/python -m bench.nlu_variants [--variants NAME ...] [--external]

Each variant is config.yml's pipeline with some changes (`VARIANTS` below). It is trained twice with
`rasa train nlu` (Rasa's own training, in this process): on all of data/nlu, scored on the held-out,
typo'd and English held-out sets; and on the shift split, the examples of the topic files written
first, scored on the colloquial rounds (the `realchat_*` files before data/nlu became one file per
intent), which imitate how real shoppers differ from our first lines. Variants are chosen on these figures.

`--external` also scores the full models on the real shoppers' file (test only: never printed, never
trained on). Each such read is appended to bench/out/external_reads.log, so a closing note can say how
many times the file was read. Sentence-encoder vectors are computed once per text per process (the
component's cache), so the variants after the first cost only their own training.
"""

from __future__ import annotations

import argparse
import copy
import fcntl
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from rasa.shared.nlu.constants import TEXT

from bench.common import (
    EXTERNAL,
    EXTERNAL_READS,
    HOLDOUT,
    HOLDOUT_ENGLISH,
    HOLDOUT_ENGLISH_OTHERS,
    HOLDOUT_TYPOS,
    OUT_DIR,
    ROOT,
    write_json,
)
from bench.quality import evaluate

NLU_DIR = ROOT / "data" / "nlu"
WORK_DIR = OUT_DIR / "nlu_variants"
ENCODER = "addons.sentence_encoder.SentenceEncoderFeaturizer"
WORD_VECTORS = "addons.word_vectors.WordVectorFeaturizer"
PINYIN = "addons.featurizers.PinyinCountVectorsFeaturizer"
INTENTS = "addons.linear_classifiers.LinearIntentClassifier"
CRF = "addons.crf.StoredCRFEntityExtractor"


def _without(pipeline: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [component for component in pipeline if component["name"] != name]


def _with_encoder(pipeline: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
    """The encoder inserted before the word vectors (or before the intent classifier), or its options changed."""
    pipeline = copy.deepcopy(pipeline)
    for component in pipeline:
        if component["name"] == ENCODER:
            component.update(options)
            return pipeline
    names = [component["name"] for component in pipeline]
    at = names.index(WORD_VECTORS) if WORD_VECTORS in names else names.index(INTENTS)
    pipeline.insert(at, {"name": ENCODER, "cache_size": 50_000, **options})
    return pipeline


def _with_intent_c(pipeline: list[dict[str, Any]], c: float) -> list[dict[str, Any]]:
    pipeline = copy.deepcopy(pipeline)
    for component in pipeline:
        if component["name"] in (INTENTS, "addons.linear_classifiers.LinearResponseSelector"):
            component["C"] = c
    return pipeline


def _no_encoder(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _without(pipeline, ENCODER)


WORD_COUNTS = "addons.featurizers.SentenceCountVectorsFeaturizer"


def _encoder_and_chars_only(pipeline: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
    """The probe's shape: character n-grams, regexes and the encoder; no word counts, pinyin or word vectors."""
    pipeline = _without(_without(_with_encoder(pipeline, **options), WORD_VECTORS), PINYIN)
    return [c for c in pipeline if not (c["name"] == WORD_COUNTS and c.get("analyzer", "word") == "word")]


VARIANTS = {
    "counts+wv (before)": _no_encoder,
    "enc x10 centred": lambda p: _with_encoder(p, scale=10, center=True),
    "enc x20 centred": lambda p: _with_encoder(p, scale=20, center=True),
    "enc x5 centred": lambda p: _with_encoder(p, scale=5, center=True),
    "enc x10 centred, no word vectors": lambda p: _without(_with_encoder(p, scale=10, center=True), WORD_VECTORS),
    "enc x10 centred, no pinyin": lambda p: _without(_with_encoder(p, scale=10, center=True), PINYIN),
    "enc x10 centred, C=10": lambda p: _with_intent_c(_with_encoder(p, scale=10, center=True), 10.0),
    "enc x10 centred, C=1": lambda p: _with_intent_c(_with_encoder(p, scale=10, center=True), 1.0),
    "enc x10 centred, passage": lambda p: _with_encoder(p, scale=10, center=True, prefix="passage"),
    "enc x10 centred, chars only": lambda p: _encoder_and_chars_only(p, scale=10, center=True),
    "enc x20 centred, chars only": lambda p: _encoder_and_chars_only(p, scale=20, center=True),
    "enc x5": lambda p: _with_encoder(p, scale=5),
    "enc x10": lambda p: _with_encoder(p, scale=10),
    "enc x20": lambda p: _with_encoder(p, scale=20),
    "enc x10, no word vectors": lambda p: _without(_with_encoder(p, scale=10), WORD_VECTORS),
    "enc x10, no pinyin": lambda p: _without(_with_encoder(p, scale=10), PINYIN),
    "enc x10, C=10": lambda p: _with_intent_c(_with_encoder(p, scale=10), 10.0),
    "enc x10, passage": lambda p: _with_encoder(p, scale=10, prefix="passage"),
    "as config.yml": lambda p: p,
}


def variant_config(name: str, directory: Path, no_crf: bool = False) -> Path:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    config["pipeline"] = VARIANTS[name](config["pipeline"])
    if no_crf:  # nothing after the CRF reads its entities for an intent: same intents, less training
        config["pipeline"] = _without(config["pipeline"], CRF)
    config["policies"] = []  # NLU only
    path = directory / "config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# data/nlu was split into one file per intent in e3a8b3c; the colloquial rounds are the examples that
# were in the `realchat_*` files of the commit before it.
ROUNDS_COMMIT = "cec5b90"


def colloquial_round_texts() -> set[str]:
    """Texts of the `realchat_*` files of data/nlu at ROUNDS_COMMIT (or now, if such files are back)."""
    from rasa.shared.nlu.training_data.loading import load_data

    current = sorted(NLU_DIR.glob("realchat_*.yml"))
    sources = {path.name: path.read_text(encoding="utf-8") for path in current}
    if not sources:
        names = subprocess.run(["git", "ls-tree", "--name-only", ROUNDS_COMMIT, "data/nlu/"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split()
        sources = {Path(name).name: subprocess.run(["git", "show", f"{ROUNDS_COMMIT}:{name}"], cwd=ROOT,
                                                   capture_output=True, text=True, check=True).stdout
                   for name in names if Path(name).name.startswith("realchat_")}
    texts: set[str] = set()
    with tempfile.TemporaryDirectory() as directory:
        for name, source in sources.items():
            (Path(directory) / name).write_text(source, encoding="utf-8")
        texts = {message.get(TEXT) for message in load_data(directory).intent_examples}
    return texts


def shift_split() -> tuple[Path, Path]:
    """Training data (the examples of the topic files written first, with every regex, lookup and
    synonym) and test data (the colloquial rounds), written under bench/out as Rasa YAML."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    train_dir, test_dir = WORK_DIR / "shift_train", WORK_DIR / "shift_test"
    rounds = colloquial_round_texts()
    data = load_data(str(NLU_DIR))
    split = {
        train_dir: [m for m in data.training_examples if m.get(TEXT) not in rounds],
        test_dir: [m for m in data.training_examples if m.get(TEXT) in rounds],
    }
    for directory, examples in split.items():
        directory.mkdir(parents=True, exist_ok=True)
        part = TrainingData(examples, data.entity_synonyms, data.regex_features, data.lookup_tables)
        text = part.nlu_as_yaml()
        target = directory / "nlu.yml"
        # written only when changed, so that another run training from it meanwhile is not disturbed
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        for stale in set(directory.glob("*.yml")) - {target}:
            stale.unlink()
    return train_dir, test_dir


TRAIN_LOCK = Path("/tmp/xiaoer-train.lock")  # the lock `make train` is run under on a shared host


def train(config: Path, data: Path, out: Path) -> tuple[Path, float]:
    """Train one NLU model, holding the shared training lock for this training only (wall time counted
    from when the lock is held)."""
    from rasa.model_training import train_nlu

    with TRAIN_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.perf_counter()
        model = train_nlu(str(config), str(data), str(out.parent), fixed_model_name=out.name.removesuffix(".tar.gz"),
                          domain=str(ROOT / "domain"))
    if model is None:
        raise RuntimeError(f"training {config} failed")
    return Path(model), time.perf_counter() - started


def run_variant(name: str, external: bool, no_crf: bool = False, shift_only: bool = False,
                train_only: bool = False) -> dict[str, Any]:
    directory = WORK_DIR / name.replace(" ", "_").replace(",", "").replace("(", "").replace(")", "")
    directory.mkdir(parents=True, exist_ok=True)
    config = variant_config(name, directory, no_crf)
    train_dir, test_dir = shift_split()
    result: dict[str, Any] = {}
    if not shift_only:
        full_model, result["train_seconds_full"] = train(config, NLU_DIR, directory / "full.tar.gz")
        sets = {"holdout": HOLDOUT, "typos": HOLDOUT_TYPOS, "english": HOLDOUT_ENGLISH,
                "english_others": HOLDOUT_ENGLISH_OTHERS}
        if external:
            sets["external"] = EXTERNAL
            print(f"[nlu_variants] reading the real shoppers' file for '{name}' (logged in {EXTERNAL_READS})",
                  flush=True)
        result.update(evaluate(full_model, sets))
    shift_model, result["train_seconds_shift"] = train(config, train_dir, directory / "shift.tar.gz")
    print(f"[nlu_variants] {name}: shift model {shift_model}", flush=True)
    if not train_only:
        result["shift"] = evaluate(shift_model, {"shift": test_dir})["shift"]
    return result


def summary_row(name: str, result: dict[str, Any]) -> str:
    def cell(part: str) -> str:
        if part not in result:
            return "–"
        metrics = result[part]
        low, high = metrics["accuracy_ci95"]
        text = f"{metrics['accuracy']:.3f} / {metrics['macro_f1']:.3f}"
        return text + (f" ({low:.3f}–{high:.3f})" if part == "external" else "")

    seconds = result.get("train_seconds_full", result.get("train_seconds_shift", 0.0))
    return (f"| {name} | {cell('holdout')} | {cell('typos')} | {cell('english')} | {cell('english_others')} | "
            f"{cell('shift')} | {cell('external')} | {seconds:.0f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nlu_variants", description=__doc__)
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--external", action="store_true", help="also score the real shoppers' file (counted)")
    parser.add_argument("--no-crf", action="store_true",
                        help="leave the CRF out: the same intents for less training (no entity figures)")
    parser.add_argument("--shift-only", action="store_true", help="only the shift split's model")
    parser.add_argument("--train-only", action="store_true", help="train, score nothing (e.g. for bench.cascade)")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "nlu",
                        help="NLU training data (e.g. a frozen copy of data/nlu, so that every variant sees the same)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "nlu_variants",
                        help="where models, configs and results.json go")
    args = parser.parse_args(argv)
    global NLU_DIR, WORK_DIR  # noqa: PLW0603 - one run, one data directory and one output directory
    NLU_DIR, WORK_DIR = args.data.resolve(), args.out.resolve()
    results_path = WORK_DIR / "results.json"
    print("| variant | held-out acc. / macro-F1 | typo'd | English | English by others | shift | real shoppers "
          "| training s |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.variants:
        result = run_variant(name, args.external, args.no_crf, args.shift_only, args.train_only)
        # read again before writing: another run may have added its variants meanwhile
        results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.exists() else {}
        results[name] = result
        write_json(results_path, results)
        print(summary_row(name, result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
