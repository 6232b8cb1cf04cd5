"""The demo shoppers of `make demo-traffic`: when they come, and how they answer the assistant."""

from __future__ import annotations

import importlib.util
import random
import sys
from collections import Counter
from datetime import datetime, timedelta
from types import ModuleType

import pytest

from tests.integration.conftest import ROOT


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_traffic", ROOT / "scripts" / "demo_traffic.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_a_week_of_start_times(demo: ModuleType) -> None:
    start = datetime(2026, 11, 30)
    times = demo.conversation_times(random.Random(1), start, start + timedelta(days=7), per_day=40)
    assert times == sorted(times) and all(start <= t < start + timedelta(days=7) for t in times)
    by_day = Counter(t.weekday() for t in times)
    assert by_day[6] > by_day[2]  # Sunday busier than Wednesday
    by_hour = Counter(t.hour for t in times)
    assert by_hour[20] > by_hour[7] and by_hour[3] == 0  # evenings busy, none at 3 am


def shopper(demo: ModuleType, name: str, ratings: tuple[int, ...] = (2,)) -> object:
    scenario = demo.Scenario(name, 1, ["{faq}"], prefer=["确认"], ratings=ratings)
    return demo.Shopper(None, "s", None, scenario, random.Random(3), {"order": "8800000100000007", "faq": "包邮吗"},
                        "1234")


def test_answers_follow_the_assistant(demo: ModuleType) -> None:
    person = shopper(demo, "return")
    rating = [{"text": "这次服务您满意吗？", "buttons": [{"title": "5 分", "payload": '/inform{"rating": "5"}'}]}]
    assert person.answer(rating, []) == "2分"
    ask_comment = [{"text": "还有什么想对我们说的吗？", "buttons": [{"title": "跳过", "payload": "/deny"}]}]
    comment = person.answer(ask_comment, [])
    assert comment in (*demo.LOW_COMMENTS, "跳过")  # a 2-point rating gets a complaint, never praise
    assert person.answer([{"text": "请告诉我下单手机号的后 4 位。"}], []) == "尾号1234"
    assert person.answer([{"text": "请提供您的订单号"}], []) in ("8800000100000007", None, "谢谢", "好的谢谢")
    confirm = [{"text": "确认提交吗？", "buttons": [{"title": "再想想", "payload": "/deny"},
                                                {"title": "确认", "payload": "/affirm"}]}]
    assert person.answer(confirm, []) == "/affirm"
    sizes = {topic: answers for topic, _, answers in demo.OPEN_ANSWERS_BY_TOPIC}["size"]
    assert person.answer([{"text": "想换成什么尺码或颜色呢？"}], []) in sizes


def test_a_finished_shopper_stops(demo: ModuleType) -> None:
    person = shopper(demo, "faq")
    answers = [person.answer([{"text": "亲，满 ¥99 就包邮啦"}], []) for _ in range(3)]
    assert answers[1:] == [None, None]  # at most one closing word, then silence
