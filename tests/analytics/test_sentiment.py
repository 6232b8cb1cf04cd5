"""The sentiment lexicon on hand-labelled shoppers' messages (docs/analytics.md has the figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shop.analytics.sentiment import classify

HERE = Path(__file__).resolve().parent


def labelled(name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            rows.append((label, text))
    return rows


def precision_recall(rows: list[tuple[str, str]], label: str) -> tuple[float, float]:
    predicted = [(gold, classify(text)) for gold, text in rows]
    hits = sum(gold == guess == label for gold, guess in predicted)
    said = sum(guess == label for _, guess in predicted)
    return hits / max(said, 1), hits / sum(gold == label for gold, _ in predicted)


def test_the_samples_are_balanced_and_separate() -> None:
    dev, holdout = labelled("sentiment_dev.tsv"), labelled("sentiment_holdout.tsv")
    assert {label for label, _ in dev + holdout} == {"angry", "neutral", "satisfied"}
    assert [sum(label == kind for label, _ in holdout) for kind in ("angry", "neutral", "satisfied")] == [15, 15, 15]
    assert not {text for _, text in dev} & {text for _, text in holdout}


def test_held_out_figures_do_not_get_worse() -> None:
    rows = labelled("sentiment_holdout.tsv")
    accuracy = sum(classify(text) == label for label, text in rows) / len(rows)
    assert accuracy >= 0.71
    angry_precision, angry_recall = precision_recall(rows, "angry")
    satisfied_precision, satisfied_recall = precision_recall(rows, "satisfied")
    assert angry_precision >= 0.9 and angry_recall >= 0.26
    assert satisfied_precision >= 0.9 and satisfied_recall >= 0.86


@pytest.mark.parametrize(("text", "expected"), [
    ("不满意，非常不满意", "angry"),
    ("说好的48小时发货呢？？", "angry"),
    ("谢谢，很满意", "satisfied"),
    ("我的订单到哪了", "neutral"),
    ("", "neutral"),
])
def test_cases(text: str, expected: str) -> None:
    assert classify(text) == expected
