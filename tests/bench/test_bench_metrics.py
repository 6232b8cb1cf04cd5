"""The benchmark's own arithmetic (fast, no Rasa)."""

from bench.common import percentile
from bench.metrics import entity_f1, intent_metrics, paired_accuracy_difference, wilson_interval
from bench.report import _ratio, uncertainty_rows


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


def test_servers_run_the_code_snapshot_not_the_checkout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """rasa and `python -m` put their working directory first on sys.path: the snapshot must be it."""
    import sys

    from bench import servers

    snapshot = servers.snapshot_code(tmp_path / "code")
    assert {p.name for p in snapshot.iterdir()} >= {"actions", "shop", "addons"}
    servers.use_code_snapshot(snapshot)
    try:
        env = servers.base_env("sqlite://")
        log = tmp_path / "where.log"
        probe = "import addons, actions; print(addons.__file__); print(actions.__file__)"
        servers._spawn([sys.executable, "-c", f"import sys; sys.path.insert(1, ''); {probe}"], env, log).wait(60)
        printed = log.read_text().split()
        assert printed and all(line.startswith(str(snapshot)) for line in printed)
    finally:
        servers._code_path.clear()


def test_accuracy_intervals_and_the_paired_comparison() -> None:
    low, high = wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)  # textbook value for 8 of 10
    low, high = wilson_interval(476, 597)
    assert 0.76 < low < 0.77 and 0.82 < high < 0.83  # ±3 points for a file of 597 messages
    ours, base = [1] * 60 + [0] * 40, [1] * 50 + [0] * 50  # ours right on 10 more messages, never worse
    d = paired_accuracy_difference(ours, base)
    assert round(d["difference"], 2) == 0.10 and d["only_ours"] == 10 and d["only_baseline"] == 0
    assert d["low"] > 0 and d["mcnemar_p"] < 0.01
    even = paired_accuracy_difference([1, 0] * 50, [0, 1] * 50)  # same accuracy, different messages
    assert even["difference"] == 0 and even["low"] < 0 < even["high"] and even["mcnemar_p"] == 1.0
    metrics = {name: {"quality": {"external": intent_metrics(["a", "b", "a", "b"], pred)}}
               for name, pred in (("ours", ["a", "b", "a", "a"]), ("baseline", ["a", "a", "a", "a"]))}
    rows = uncertainty_rows(metrics)
    assert len(rows) == 2 and "+0.250" in rows[1] and "only ours right: 1, only baseline: 0" in rows[1]


def test_speed_without_a_trained_model_stops_at_once(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from bench import cli, common, speed

    monkeypatch.setattr(common, "MODELS_DIR", tmp_path)  # no model there
    monkeypatch.setattr(speed, "run_speed", lambda *args: pytest.fail("servers started without a model"))
    with pytest.raises(SystemExit, match="no model at .*ours.tar.gz"):
        cli.main(["speed", "--variants", "ours", "--no-doc"])
