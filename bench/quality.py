"""NLU quality of each model on the held-out set and on real shoppers' messages (test only).

The external file is only read here, at benchmark time; nothing from it is written anywhere
except aggregate figures and intent-name confusion pairs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from bench.common import EXTERNAL, ROOT, record_external_read
from bench.metrics import Entity, entity_f1, intent_metrics

TRAINING_NLU = ROOT / "data" / "nlu"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[Entity, ...]


def training_synonyms() -> dict[str, str]:
    """The training data's entity synonyms (what EntitySynonymMapper maps surface text to)."""
    from rasa.shared.nlu.training_data.loading import load_data

    return {key.lower(): value for key, value in load_data(str(TRAINING_NLU)).entity_synonyms.items()}


def load_examples(path: Path, limit: int | None = None, synonyms: dict[str, str] | None = None) -> list[Example]:
    """Intent-labelled messages of a Rasa NLU YAML file, in file order (`limit` per intent).

    Gold entity values go through the training synonyms, as predicted values do: `[掉色](reason)`
    is gold ("reason", "quality") when the training data maps 掉色 to quality.
    """
    from rasa.shared.nlu.training_data.loading import load_data

    synonyms = synonyms or {}
    data = load_data(str(path))
    examples: list[Example] = []
    taken: dict[str, int] = {}
    for message in data.intent_examples:
        intent = message.get("intent")
        if limit is not None and taken.get(intent, 0) >= limit:
            continue
        taken[intent] = taken.get(intent, 0) + 1
        entities = tuple(sorted({(e["entity"], synonyms.get(str(e["value"]).lower(), str(e["value"])))
                                 for e in message.get("entities") or []}))
        examples.append(Example(message.get("text"), intent, entities))
    return examples


async def _predict(model: Path, texts: list[str]) -> list[tuple[str, tuple[Entity, ...]]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    results = []
    for text in texts:
        parsed = await agent.parse_message(text)
        intent = (parsed.get("intent") or {}).get("name") or "None"
        # a value found by two extractors (regex and DIET) is one extraction; the message's language
        # (addons/language.py) is a fact about the message, not a value the shopper gave
        entities = tuple(sorted({(e["entity"], str(e["value"])) for e in parsed.get("entities") or []
                                 if e["entity"] != "language"}))
        results.append((intent, entities))
    return results


def quiet_rasa() -> None:
    """No debug logs: they would print the (test-only) external messages."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)


def evaluate(model: Path, datasets: dict[str, Path], limit: int | None = None) -> dict[str, dict[str, object]]:
    """Metrics of one model on each dataset; entity F1 only where the data has annotations."""
    quiet_rasa()
    synonyms = training_synonyms()
    loaded = {name: load_examples(path, limit, synonyms) for name, path in datasets.items() if path.exists()}
    if EXTERNAL in datasets.values() and EXTERNAL.exists():
        record_external_read(f"bench.quality on {model}" + (f" (first {limit} lines)" if limit else ""))
    texts = [ex.text for examples in loaded.values() for ex in examples]
    predictions = iter(asyncio.run(_predict(model, texts)))
    report: dict[str, dict[str, object]] = {}
    for name, examples in loaded.items():
        preds = [next(predictions) for _ in examples]
        metrics = intent_metrics([ex.intent for ex in examples], [p[0] for p in preds])
        if any(ex.entities for ex in examples):
            metrics["entity"] = entity_f1([ex.entities for ex in examples], [p[1] for p in preds])
        report[name] = metrics
    return report
