"""The cascade's curve: accuracy against the encoder's share of messages, and CPU per message.

    .venv/bin/python -m bench.cascade CHEAP_MODEL ENCODER_MODEL [--shift-cheap M --shift-encoder M] [--external]

A cascade lets the cheap model (counts and word vectors) answer alone when its top intent's confidence
reaches a threshold t, and asks the model with the sentence encoder only for the other messages.
Both models are parsed on every message of each set; the curve replays the cascade for each t:
accuracy of the combined answers and the share of messages that needed the encoder. CPU per message
is measured in this process, in one sitting and interleaved: the cheap model's whole NLU parse, and
the encoder alone on texts it has not seen (no cache), over the held-out texts.

`--external` also scores the real shoppers' file (counted in bench/out/external_reads.log).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    EXTERNAL,
    FALLBACK_INTENT,
    HOLDOUT,
    HOLDOUT_ENGLISH,
    HOLDOUT_ENGLISH_OTHERS,
    HOLDOUT_TYPOS,
    record_external_read,
)
from bench.metrics import intent_metrics, paired_accuracy_difference
from bench.nlu_variants import shift_split
from bench.quality import load_examples, quiet_rasa, training_synonyms

THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)


async def _parse_all(model: Path, texts: list[str]) -> list[tuple[str, float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    parsed = []
    for text in texts:
        intent = (await agent.parse_message(text)).get("intent") or {}
        parsed.append((intent.get("name") or "None", float(intent.get("confidence") or 0.0)))
    return parsed


def curve(gold: list[str], cheap: list[tuple[str, float]], full: list[tuple[str, float]]) -> list[dict[str, float]]:
    rows = []
    for threshold in THRESHOLDS:
        asked = [confidence < threshold for _, confidence in cheap]
        answers = [f[0] if ask else c[0] for c, f, ask in zip(cheap, full, asked, strict=True)]
        right = [a == g and a != FALLBACK_INTENT for a, g in zip(answers, gold, strict=True)]
        rows.append({"threshold": threshold, "encoder_share": float(np.mean(asked)), "accuracy": float(np.mean(right))})
    return rows


def cpu_per_message(cheap_model: Path, texts: list[str], rounds: int = 3) -> dict[str, float]:
    """Median over `rounds` of: CPU ms of the cheap model's NLU parse a message, and of the encoder alone
    a message on texts it has not seen; interleaved so that the host's drift touches both alike."""
    from rasa.core.agent import Agent

    from addons.sentence_encoder import SentenceEncoder

    agent = Agent.load(str(cheap_model))
    encoder = SentenceEncoder("original", "query", 1, 0)  # its own, uncached: every text is embedded

    async def parse_every_text() -> None:
        for text in texts:
            await agent.parse_message(text)

    parse_ms, encode_ms = [], []
    for _ in range(rounds):
        started = time.process_time()
        asyncio.run(parse_every_text())
        parse_ms.append((time.process_time() - started) / len(texts) * 1000)
        started = time.process_time()
        for text in texts:
            encoder.embed(text)
        encode_ms.append((time.process_time() - started) / len(texts) * 1000)
    return {"cheap_parse_ms": float(np.median(parse_ms)), "encoder_ms": float(np.median(encode_ms)),
            "rounds": rounds, "texts": len(texts)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cascade", description=__doc__)
    parser.add_argument("cheap", type=Path)
    parser.add_argument("encoder", type=Path)
    parser.add_argument("--shift-cheap", type=Path)
    parser.add_argument("--shift-encoder", type=Path)
    parser.add_argument("--external", action="store_true")
    parser.add_argument("--no-cpu", action="store_true")
    args = parser.parse_args(argv)
    quiet_rasa()
    synonyms = training_synonyms()
    sets: dict[str, Any] = {"holdout": HOLDOUT, "typos": HOLDOUT_TYPOS, "english": HOLDOUT_ENGLISH,
                            "english_others": HOLDOUT_ENGLISH_OTHERS}
    if args.external:
        sets["external"] = EXTERNAL
        print(f"[cascade] reading the real shoppers' file (read {record_external_read('cascade')} in the log)")
    pairs = [(name, path, args.cheap, args.encoder) for name, path in sets.items()]
    if args.shift_cheap and args.shift_encoder:
        pairs.append(("shift", shift_split()[1], args.shift_cheap, args.shift_encoder))
    share_by_set = {}
    for name, path, cheap_model, full_model in pairs:
        examples = load_examples(path, synonyms=synonyms)
        texts, gold = [e.text for e in examples], [e.intent for e in examples]
        cheap = asyncio.run(_parse_all(cheap_model, texts))
        full = asyncio.run(_parse_all(full_model, texts))
        rows = curve(gold, cheap, full)
        share_by_set[name] = rows
        print(f"== {name} (n={len(texts)})")
        scores = {}
        for label, parsed in (("cheap", cheap), ("encoder", full)):
            metrics = scores[label] = intent_metrics(gold, [intent for intent, _ in parsed])
            low, high = metrics["accuracy_ci95"]
            print(f"   {label:<8} accuracy {metrics['accuracy']:.3f} (95 % interval {low:.3f}–{high:.3f}) "
                  f"macro-F1 {metrics['macro_f1']:.3f} fallback {metrics['fallback_rate']:.3f}")
        difference = paired_accuracy_difference(scores["encoder"]["correct"], scores["cheap"]["correct"])
        print("   encoder − cheap on the same messages: " + ", ".join(f"{k} {v:.4g}" for k, v in difference.items()))
        for row in rows:
            print(f"   t={row['threshold']:.2f}  encoder on {row['encoder_share']:.3f} of messages  "
                  f"accuracy {row['accuracy']:.3f}")
    if not args.no_cpu:
        texts = [e.text for e in load_examples(HOLDOUT, synonyms=synonyms)]
        cost = cpu_per_message(args.cheap, texts)
        print(f"== CPU a message (in-process, {cost['texts']} held-out texts, median of {cost['rounds']}): "
              f"cheap NLU parse {cost['cheap_parse_ms']:.2f} ms, encoder alone (uncached) {cost['encoder_ms']:.2f} ms")
        for name, rows in share_by_set.items():
            cpu = [cost["cheap_parse_ms"] + r["encoder_share"] * cost["encoder_ms"] for r in rows]
            points = ", ".join(f"t={r['threshold']:.2f}: {ms:.1f} ms → {r['accuracy']:.3f}"
                               for r, ms in zip(rows, cpu, strict=True))
            print(f"   {name}: {points}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
