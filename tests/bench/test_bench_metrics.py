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
