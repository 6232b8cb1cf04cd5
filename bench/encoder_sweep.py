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
import itertools
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
    parser.add_argument("--quick", action="store_true", help="fewer combinations")
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
        blocks = featurize(model, all_texts)
        vectors = {prefix: embed(all_texts, prefix) for prefix in ("query", "passage")}
        prepared.append((label, train_texts, train_labels, test_data, blocks, vectors))
        print(f"[sweep] {label}: {len(train_texts)} training texts, blocks "
              f"{ {k: v.shape[1] for k, v in blocks.items()} }", flush=True)

    everything = {"regex", "words", "chars", "pinyin", "wv"}
    combos: list[tuple[str, set[str], str | None, float, bool, float]] = [
        ("no encoder", everything, None, 0, False, 3.0)]
    scales = (5, 10, 20) if args.quick else (5, 10, 20, 30)
    for scale, centre, c in itertools.product(scales, (False, True), (1.0, 3.0, 10.0)):
        combos.append((f"all + enc x{scale}{' centred' if centre else ''}, C={c:g}", everything, "query", scale,
                       centre, c))
    for keep_name, keep in (("no wv", everything - {"wv"}), ("no pinyin", everything - {"pinyin"}),
                            ("no wv, no pinyin", everything - {"wv", "pinyin"}), ("chars+regex", {"chars", "regex"})):
        for scale in (10, 20):
            combos.append((f"{keep_name} + enc x{scale} centred, C=3", keep, "query", scale, True, 3.0))
    combos.append(("all + enc x10 centred passage, C=3", everything, "passage", 10, True, 3.0))
    combos.append(("all + enc x20 centred passage, C=3", everything, "passage", 20, True, 3.0))

    results: dict[str, dict[str, Any]] = {}
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
                metrics = intent_metrics(gold, predicted)
                row[set_name] = {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"]}
        results[name] = row
        cells = [f"{row[s]['accuracy']:.3f}/{row[s]['macro_f1']:.3f}" if s in row else "–" for s in header]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        write_json(args.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
