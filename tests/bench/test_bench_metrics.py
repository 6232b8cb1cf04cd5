"""The benchmark's own arithmetic (fast, no Rasa)."""

from bench.common import percentile
from bench.metrics import entity_f1, intent_metrics
from bench.report import _ratio


def test_intent_metrics_counts_fallback_as_wrong_and_ranks_confusions() -> None:
    gold = ["greet", "greet", "thank", "deny"]
    pred = ["greet", "nlu_fallback", "thank", "thank"]
    metrics = intent_metrics(gold, pred)
    assert metrics["accuracy"] == 0.5
    assert set(metrics["per_intent_f1"]) == {"greet", "thank", "deny"}
    assert metrics["per_intent_f1"]["deny"] == 0.0
    assert [tuple(c) for c in metrics["confusions"]] == [("greet", "nlu_fallback", 1), ("deny", "thank", 1)]
    assert metrics["fallback_rate"] == 0.25


def test_entity_f1_is_exact_and_micro() -> None:
    gold = [[("order_id", "123")], [("size", "L"), ("color", "红色")]]
    pred = [[("order_id", "123")], [("size", "M")]]
    result = entity_f1(gold, pred)
    assert (result["precision"], result["recall"]) == (0.5, 1 / 3)


def test_percentile_nearest_rank_and_ratio_direction() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile([], 50)) == (50.0, 99.0, None)
    assert _ratio(10.0, 40.0, higher=False) == "4.00×"  # 4x faster
    assert _ratio(0.9, 0.8, higher=True) == "1.12×"
