"""With the trained model: the plain-loop graph runner parses exactly as Rasa's dask runner does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.engine.runner.dask import DaskGraphRunner

from addons import runtime

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
    assert DaskGraphRunner.run is runtime._run_in_order  # loading the model installed it
    ours = _parse_all(agent)
    monkeypatch.setattr(DaskGraphRunner, "run", runtime._original_graph_run)
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
