"""Intent and entity metrics, computed with scikit-learn (pure functions, no Rasa)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

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
    }


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
