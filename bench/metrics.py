"""Intent and entity metrics, computed with scikit-learn (pure functions, no Rasa)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from scipy.stats import binomtest
from sklearn.metrics import accuracy_score, f1_score

Entity = tuple[str, str]


def intent_metrics(gold: Sequence[str], pred: Sequence[str], top_confusions: int = 8) -> dict[str, object]:
    """Accuracy, macro-F1 over the intents present in `gold`, per-intent F1, top confusion pairs.

    A prediction outside the gold labels (e.g. nlu_fallback) simply counts as wrong.
    """
    labels = sorted(set(gold))
    per_intent = f1_score(gold, pred, labels=labels, average=None, zero_division=0)
    confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    return {
        "n": len(gold),
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)),
        "per_intent_f1": {label: float(score) for label, score in zip(labels, per_intent, strict=True)},
        "support": dict(Counter(gold)),
        "confusions": [[g, p, n] for (g, p), n in confusions.most_common(top_confusions)],
        "fallback_rate": sum(p == "nlu_fallback" for p in pred) / len(pred) if pred else 0.0,
        "accuracy_ci95": list(wilson_interval(sum(g == p for g, p in zip(gold, pred, strict=True)), len(gold))),
        # per message, in file order: lets the report compare two models on the same messages
        "correct": [int(g == p) for g, p in zip(gold, pred, strict=True)],
    }


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval of a proportion (Wilson score): how far a file of n messages pins accuracy down."""
    if n == 0:
        return 0.0, 1.0
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def paired_accuracy_difference(ours: Sequence[int], base: Sequence[int], z: float = 1.96) -> dict[str, float]:
    """Accuracy of ours minus the baseline's on the same messages: the difference, its 95 % interval
    (normal approximation over per-message differences) and McNemar's exact p-value (the messages
    only one of the two got right decide it)."""
    n = len(ours)
    diffs = [a - b for a, b in zip(ours, base, strict=True)]
    mean = sum(diffs) / n
    spread = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else 0.0
    half = z * spread / math.sqrt(n) if n else 0.0
    only_ours, only_base = diffs.count(1), diffs.count(-1)
    discordant = only_ours + only_base
    p_value = binomtest(only_ours, discordant, 0.5).pvalue if discordant else 1.0
    return {"difference": mean, "low": mean - half, "high": mean + half, "only_ours": only_ours,
            "only_baseline": only_base, "mcnemar_p": float(p_value)}


def entity_f1(gold: Sequence[Sequence[Entity]], pred: Sequence[Sequence[Entity]]) -> dict[str, float]:
    """Micro precision/recall/F1 of exact (entity, value) matches, counted per message as multisets."""
    tp = fp = fn = 0
    for gold_entities, pred_entities in zip(gold, pred, strict=True):
        g, p = Counter(gold_entities), Counter(pred_entities)
        hits = sum((g & p).values())
        tp += hits
        fp += sum(p.values()) - hits
        fn += sum(g.values()) - hits
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "gold": tp + fn, "predicted": tp + fp}
