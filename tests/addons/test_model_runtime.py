"""With the trained model: the plain-loop graph runner parses exactly as Rasa's dask runner does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.engine.runner.dask import DaskGraphRunner

from addons.runtime import graph_loop, past_states, rule_lookup

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"
MESSAGES = ["你好", "帮我查一下订单 8800000100000001", "这件衣服有XL码吗", "我要退货，尺码不合适", "转人工", "/affirm",
            "可以开发票吗", "快递三天没动了", "我的手机号是13800001234", "asdfgh"]


@pytest.fixture(scope="module")
def agent():  # noqa: ANN201 - rasa's Agent
    if not MODEL.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    from rasa.core.agent import Agent

    return Agent.load(str(MODEL))


def _parse_all(agent) -> list[dict]:  # noqa: ANN001
    async def parse() -> list[dict]:
        return [await agent.parse_message(text) for text in MESSAGES]

    return asyncio.run(parse())


def test_loop_runner_parses_like_dask(agent, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    ours = _parse_all(agent)
    assert DaskGraphRunner.run is graph_loop.run_in_order  # loading the model installed it (gc_freeze is gone)
    monkeypatch.setattr(DaskGraphRunner, "run", graph_loop._original_run)
    theirs = _parse_all(agent)
    assert ours == theirs
    assert {p["intent"]["name"] for p in ours} >= {"greet", "query_order", "product_inquiry", "human_handoff"}


def test_stored_crf_finds_the_entities_a_retrained_crf_finds(agent, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from rasa.core.agent import Agent
    from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor

    from addons.crf import StoredCRFEntityExtractor

    components = [node._component for node in agent.processor.graph_runner._instantiated_nodes.values()]
    assert any(isinstance(c, StoredCRFEntityExtractor) for c in components), "config.yml uses the stored CRF"
    monkeypatch.setattr(StoredCRFEntityExtractor, "load", classmethod(CRFEntityExtractor.load.__func__))
    retrained = Agent.load(str(MODEL))  # Rasa's way: the CRF is trained again from the stored data
    assert [p["entities"] for p in _parse_all(agent)] == [p["entities"] for p in _parse_all(retrained)]


def _conversation() -> list:
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered

    def said(text: str, intent: str) -> UserUttered:
        return UserUttered(text, {"name": intent, "confidence": 1.0})

    return [
        ActionExecuted("action_listen"), said("你好", "greet"), ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"), said("我要退货", "return_goods"), ActionExecuted("return_form"),
        ActiveLoop("return_form"), SlotSet("requested_slot", "order_id"), ActionExecuted("action_listen"),
        said("谢谢", "thank"), ActionExecuted("action_listen"), said("算了", "deny"),
    ]


def test_rule_lookup_cache_finds_the_rules_rasa_finds(agent) -> None:  # noqa: ANN001
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.trackers import DialogueStateTracker

    policy = next(node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(node._component, RulePolicy))
    assert policy._xiaoer_loaded, "XiaoerRuntime must be installed before the RulePolicy loads"
    events, domain = _conversation(), agent.domain
    for end in range(1, len(events) + 1):
        tracker = DialogueStateTracker.from_events("t", events[:end], domain.slots)
        states = policy._prediction_states(tracker, domain, rule_only_data=policy._get_rule_only_data())
        for lookup in policy.lookup.values():
            if isinstance(lookup, dict):
                assert (rule_lookup.possible_keys_first_step_cached(policy, lookup, states)
                        == rule_lookup._original_possible_keys(policy, lookup, states))


def test_rule_predictions_with_remembered_past_states_are_rasas(agent, monkeypatch) -> None:  # noqa: ANN001
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.trackers import DialogueStateTracker

    policy = next(node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(node._component, RulePolicy))
    events, domain = _conversation(), agent.domain

    def predictions() -> list[tuple]:
        found = []
        for end in range(1, len(events) + 1):
            tracker = DialogueStateTracker.from_events("t", events[:end], domain.slots)
            for _ in range(2):  # the second time from the remembered states
                prediction = policy.predict_action_probabilities(tracker, domain)
                found.append((tuple(prediction.probabilities), prediction.events, prediction.hide_rule_turn))
        return found

    remembered = predictions()
    monkeypatch.setattr(DialogueStateTracker, "past_states", past_states._original_past_states)
    assert remembered == predictions()


def test_sentence_features_are_the_columns_rasa_builds(agent) -> None:  # noqa: ANN001
    from rasa.core.channels.channel import UserMessage
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    from addons.cascade import CascadeIntentClassifier
    from addons.linear_classifiers import LinearIntentClassifier
    from addons.linear_model import sentence_features

    runner = agent.processor.graph_runner
    classifier = next(name for name, node in runner._instantiated_nodes.items()  # whichever config.yml has
                      if isinstance(node._component, (LinearIntentClassifier, CascadeIntentClassifier)))
    inputs = {"__message__": [UserMessage(text) for text in MESSAGES]}
    messages = runner.run(inputs=inputs, targets=[classifier])[classifier]
    ours = sentence_features(messages)
    rasas = LogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]  # no self used
    assert ours.shape == rasas.shape and ours.nnz > 0
    assert abs(ours - rasas).max() == 0


def test_loading_the_model_leaves_no_crf_file_behind(agent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Every start used to leave a 200 KB xiaoer_crf_*.crfsuite in /tmp; the loaded CRF still tags."""
    import tempfile

    from rasa.core.agent import Agent

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    loaded = Agent.load(str(MODEL))
    assert list(tmp_path.glob("xiaoer_crf_*")) == []
    entities = asyncio.run(loaded.parse_message("我要退货，尺码不合适"))["entities"]
    assert entities == asyncio.run(agent.parse_message("我要退货，尺码不合适"))["entities"]
