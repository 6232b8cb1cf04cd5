"""A fast sweep of how the sentence encoder's vector is combined with the cheap features:

    .venv/bin/python -m bench.encoder_sweep CHEAP_FULL.tar.gz CHEAP_SHIFT.tar.gz [--data DIR]

Training a pipeline variant with Rasa takes minutes on a shared host; most of that is featurising
and, with the encoder, embedding. This tool featurises once: it runs the featurizers of two trained
models without the encoder (`bench.nlu_variants` "counts+wv (before)": one on all of data/nlu, one on
the shift split's training part) over the training and test texts, embeds every text once (the
encoder's on-disk vector store), and then fits only the intent model (the pipeline's own
`SoftmaxModel`: same solver, class weights and iterations) for each combination: which feature
blocks, the encoder's scale, centring, C. Scored as the intent's argmax, before any fallback; the
combinations it ranks first are then trained as real pipelines by `bench.nlu_variants`. Our sets only:
it never reads the real shoppers' file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

from bench.common import HOLDOUT, HOLDOUT_ENGLISH, HOLDOUT_ENGLISH_OTHERS, HOLDOUT_TYPOS, OUT_DIR, ROOT, write_json
from bench.metrics import intent_metrics

Blocks = dict[str, scipy.sparse.csr_matrix]


def _labelled(path: Path) -> tuple[list[str], list[str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = [m for m in data.intent_examples if m.get("intent") and m.get("text")]
    return [m.get("text") for m in examples], [m.get("intent") for m in examples]


def featurize(model: Path, texts: list[str]) -> Blocks:
    """Each featurizer's sentence features of the texts, as the trained model's graph computes them."""
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE

    agent = Agent.load(str(model))
    schema = agent.processor.model_metadata.predict_schema
    last = [name for name, node in schema.nodes.items() if node.uses.__name__ == "WordVectorFeaturizer"]
    rows: dict[str, list[Any]] = {}
    for start in range(0, len(texts), 500):
        chunk = [UserMessage(text) for text in texts[start:start + 500]]
        messages = agent.processor.graph_runner.run(inputs={PLACEHOLDER_MESSAGE: chunk}, targets=last)[last[0]]
        for message in messages:
            seen: dict[str, int] = {}
            for feature in message.features:
                if feature.attribute != "text" or feature.type != "sentence":
                    continue
                base = feature.origin if isinstance(feature.origin, str) else "+".join(feature.origin)
                seen[base] = seen.get(base, 0) + 1
                key = f"{base}#{seen[base]}"
                value = feature.features
                rows.setdefault(key, []).append(value if scipy.sparse.issparse(value)
                                                else scipy.sparse.csr_matrix(np.asarray(value).reshape(1, -1)))
    return {key: scipy.sparse.vstack(parts, format="csr") for key, parts in rows.items()}


def cached_blocks(cache: Path | None, label: str, model: Path, texts: list[str]) -> Blocks:
    """`featurize`, read from `cache` when the same model and texts were featurised before."""
    if cache is None:
        return featurize(model, texts)
    directory = cache / label
    index = directory / "index.json"
    key = {"model": str(model.resolve()), "mtime": model.stat().st_mtime, "texts": len(texts),
           "first": texts[:3], "last": texts[-3:]}
    if index.exists() and json.loads(index.read_text(encoding="utf-8"))["key"] == key:
        names = json.loads(index.read_text(encoding="utf-8"))["blocks"]
        return {name: scipy.sparse.load_npz(directory / f"{i}.npz") for i, name in enumerate(names)}
    blocks = featurize(model, texts)
    directory.mkdir(parents=True, exist_ok=True)
    for i, matrix in enumerate(blocks.values()):
        scipy.sparse.save_npz(directory / f"{i}.npz", matrix)
    index.write_text(json.dumps({"key": key, "blocks": list(blocks)}), encoding="utf-8")
    return blocks


def embed(texts: list[str], prefix: str) -> np.ndarray:
    from addons.sentence_encoder import SentenceEncoder

    encoder = SentenceEncoder.shared("original", prefix, 1, 0)
    return encoder.embed_batch(texts, threads=2, store=encoder.store("var/encoder_vectors"))


def block_names(blocks: Blocks) -> dict[str, str]:
    """Short names: regex, words, chars, pinyin, wv."""
    names = {}
    for key in blocks:
        if "Regex" in key:
            names[key] = "regex"
        elif "Pinyin" in key:
            names[key] = "pinyin"
        elif "WordVector" in key:
            names[key] = "wv"
        else:
            names[key] = "words" if "words" not in names.values() else "chars"
    return names


def combine(blocks: Blocks, names: dict[str, str], keep: set[str], encoder: np.ndarray | None,
            scale: float, mean: np.ndarray | None) -> scipy.sparse.csr_matrix:
    parts = [blocks[key] for key in blocks if names[key] in keep]
    if encoder is not None:
        vectors = encoder - mean if mean is not None else encoder
        if mean is not None:
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)
        parts.append(scipy.sparse.csr_matrix(vectors * scale))
    return scipy.sparse.hstack(parts, format="csr")


def main(argv: list[str] | None = None) -> int:
    from addons.linear_model import SoftmaxModel
    from bench.nlu_variants import shift_split
    from bench.quality import quiet_rasa

    parser = argparse.ArgumentParser(prog="python -m bench.encoder_sweep", description=__doc__)
    parser.add_argument("full_model", type=Path)
    parser.add_argument("shift_model", type=Path)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "encoder_sweep.json")
    parser.add_argument("--combos", nargs="+", default=["all:0", "all:10c", "all:20c", "all:10", "chars+regex:20c"],
                        help="BLOCKS:SCALE[c][:C[:p]]: blocks all / no wv / no pinyin / no wv, no pinyin / "
                             "chars+regex; scale 0 for no encoder, c for centred; C (3); p for `passage: `")
    parser.add_argument("--curve", nargs="*", default=[],
                        help="combinations to replay as the cascade's encoder model, the first combination being cheap")
    parser.add_argument("--cache", type=Path, help="keep the featurised blocks here, to rerun without featurising")
    parser.add_argument("--passage", action="store_true", help="also the `passage: ` prefix (embeds everything again)")
    args = parser.parse_args(argv)
    quiet_rasa()
    import bench.nlu_variants as variants

    variants.NLU_DIR = args.data.resolve()
    shift_train, shift_test = shift_split()
    sets = {"holdout": HOLDOUT, "typos": HOLDOUT_TYPOS, "english": HOLDOUT_ENGLISH,
            "english_others": HOLDOUT_ENGLISH_OTHERS}
    jobs: list[tuple[str, Path, Path, dict[str, Path]]] = [
        ("full", args.full_model, args.data, sets), ("shift", args.shift_model, shift_train, {"shift": shift_test})]
    prepared = []
    for label, model, train_dir, tests in jobs:
        train_texts, train_labels = _labelled(train_dir)
        test_data = {name: _labelled(path) for name, path in tests.items()}
        all_texts = train_texts + [t for texts, _ in test_data.values() for t in texts]
        blocks = cached_blocks(args.cache, label, model, all_texts)
        prefixes = ("query", "passage") if args.passage else ("query",)
        vectors = {prefix: embed(all_texts, prefix) for prefix in prefixes}
        prepared.append((label, train_texts, train_labels, test_data, blocks, vectors))
        print(f"[sweep] {label}: {len(train_texts)} training texts, blocks "
              f"{ {k: v.shape[1] for k, v in blocks.items()} }", flush=True)

    everything = {"regex", "words", "chars", "pinyin", "wv"}
    keeps = {"all": everything, "no wv": everything - {"wv"}, "no pinyin": everything - {"pinyin"},
             "no wv, no pinyin": everything - {"wv", "pinyin"}, "chars+regex": {"chars", "regex"}}
    combos: list[tuple[str, set[str], str | None, float, bool, float]] = []
    for spec in args.combos:  # "all:0" (no encoder), "all:20c:3" (scale 20, centred, C=3), "no wv:10:1"
        keep_name, scale_text, *rest = spec.split(":")
        centre = scale_text.endswith("c")
        scale = float(scale_text.rstrip("c"))
        c = float(rest[0]) if rest else 3.0
        prefix = ("passage" if len(rest) > 1 and rest[1] == "p" else "query") if scale else None
        combos.append((spec, keeps[keep_name], prefix, scale, centre, c))

    results: dict[str, dict[str, Any]] = {}
    answers: dict[str, dict[str, tuple[list[str], list[float]]]] = {}
    golds: dict[str, list[str]] = {}
    header = ["holdout", "typos", "english", "english_others", "shift"]
    print("| combination | " + " | ".join(header) + " |")
    for name, keep, prefix, scale, centre, c in combos:
        row: dict[str, Any] = {}
        for _label, train_texts, train_labels, test_data, blocks, vectors in prepared:
            names = block_names(blocks)
            n_train = len(train_texts)
            encoder = vectors[prefix] if prefix else None
            distinct = {t: i for i, t in enumerate(train_texts)}
            mean = encoder[list(distinct.values())].mean(axis=0) if encoder is not None and centre else None
            matrix = combine(blocks, names, keep, encoder, scale, mean)
            model = SoftmaxModel.fit(matrix[:n_train], train_labels, max_iter=300, C=c, random_state=42, tol=1e-4)
            at = n_train
            for set_name, (texts, gold) in test_data.items():
                probabilities = model.predict_proba(matrix[at:at + len(texts)])
                at += len(texts)
                predicted = [model.labels[i] for i in probabilities.argmax(axis=1)]
                answers.setdefault(name, {})[set_name] = (predicted, probabilities.max(axis=1).tolist())
                golds[set_name] = gold
                metrics = intent_metrics(gold, predicted)
                row[set_name] = {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"]}
        results[name] = row
        cells = [f"{row[s]['accuracy']:.3f}/{row[s]['macro_f1']:.3f}" if s in row else "–" for s in header]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        write_json(args.out, results)
    for name in args.curve:
        print_curve(answers[args.combos[0]], answers[name], golds, f"{args.combos[0]} / {name}")
    return 0


THRESHOLDS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01)


def print_curve(cheap: dict[str, tuple[list[str], list[float]]], full: dict[str, tuple[list[str], list[float]]],
                golds: dict[str, list[str]], title: str) -> None:
    """The cascade: the cheap answer where its confidence reaches t, the full model's otherwise; per
    set, the share sent to the encoder and the accuracy."""
    print(f"== cascade {title}: share to the encoder / accuracy")
    print("| t | " + " | ".join(golds) + " |")
    for t in THRESHOLDS:
        cells = []
        for set_name, gold in golds.items():
            (cheap_pred, cheap_conf), (full_pred, _) = cheap[set_name], full[set_name]
            routed = [conf < t for conf in cheap_conf]
            chosen = [f if r else c for c, f, r in zip(cheap_pred, full_pred, routed, strict=True)]
            accuracy = sum(p == g for p, g in zip(chosen, gold, strict=True)) / len(gold)
            cells.append(f"{sum(routed) / len(gold):.0%} / {accuracy:.3f}")
        print(f"| {t:g} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
