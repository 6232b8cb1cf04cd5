"""Each measure on a small built conversation set whose answers are known (tests/analytics/builders.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from shop.analytics import measures as m
from shop.analytics.conversations import build_conversations, load_conversations
from shop.analytics.summary import findings, iso_week, summarise
from tests.analytics.builders import MONDAY, Recorder, known_week, tracker_db

WEEK = (MONDAY, MONDAY + timedelta(days=7))


@pytest.fixture
def conversations() -> list:
    return load_conversations(tracker_db(known_week()), *WEEK)


@pytest.fixture
def facts() -> m.ShopFacts:
    at = MONDAY + timedelta(days=1, hours=20, minutes=10, seconds=12)
    return m.ShopFacts(
        tickets=[
            m.TicketFact("c", "urge_shipment", "物流", "closed", at, at + timedelta(minutes=9), ("保温杯",),
                         claimed_at=at + timedelta(minutes=4)),
            m.TicketFact("d", "nlu_fallback", "售后", "open", at + timedelta(minutes=19, seconds=55), None),
            m.TicketFact("x", "complain", "售后", "closed", at, at + timedelta(minutes=3), ("保温杯",),
                         claimed_at=at + timedelta(minutes=2)),
        ],
        ratings=[
            m.RatingFact("a", 5, "很好", MONDAY + timedelta(hours=10, minutes=6)),
            m.RatingFact("e", 4, None, MONDAY + timedelta(days=2, hours=9, minutes=1)),
            m.RatingFact("c", 2, "太慢", MONDAY + timedelta(days=1, hours=21)),
        ],
        after_sales=[
            m.AfterSaleFact("return", "quality", "质量问题", MONDAY, ("智能手环",)),
            m.AfterSaleFact("return", "quality", "质量问题", MONDAY, ("智能手环",)),
            m.AfterSaleFact("exchange", "no_reason", "尺码不合适", MONDAY, ("修身牛仔裤",)),
            m.AfterSaleFact("refund_only", "duplicate_charge", "", MONDAY, ("智能手环",)),
        ],
        delivery_problems=[m.DeliveryProblemFact("damaged", MONDAY, ("保温杯",))],
        order_products={"8801": ("智能手环",), "8802": ("保温杯",)},
        product_titles=("智能手环", "保温杯", "修身牛仔裤"),
        waiting_tickets=1,
    )


def test_conversations_of_the_week_only(conversations: list) -> None:
    assert [c.sender_id for c in conversations] == ["a", "b", "c", "d", "e"]
    assert [len(c.messages) for c in conversations] == [2, 2, 2, 2, 1]


def test_conversations_and_shoppers_per_hour(conversations: list) -> None:
    expected = {MONDAY + timedelta(hours=10): 2, MONDAY + timedelta(days=1, hours=20): 2,
                MONDAY + timedelta(days=2, hours=9): 1}
    assert m.conversations_per_hour(conversations) == expected
    assert m.shoppers_per_hour(conversations) == expected


def test_resolution_handoff_and_fallback(conversations: list, facts: m.ShopFacts) -> None:
    assert m.bot_only_resolution_rate(conversations, facts.tickets) == m.Ratio(2, 5)  # a and e
    assert m.handoff_rate(conversations) == m.Ratio(2, 5)
    assert m.handoff_reasons(conversations) == {"asked_for_human": 1, "not_understood": 1}
    assert m.handoff_skill_groups(conversations, facts.tickets) == {"物流": 1, "售后": 1}
    assert m.fallback_rate(conversations) == m.Ratio(3, 9)


def test_a_complaint_before_the_handoff_is_its_reason() -> None:
    rows: list = []
    Recorder(rows, "p", MONDAY).user("太差了", "complain").bot(1).user("好的", "affirm").bot(1).pause()
    (conversation,) = build_conversations(rows)
    assert m.handoff_reason(conversation) == "complaint"


def test_response_and_wait_times(conversations: list, facts: m.ShopFacts) -> None:
    first = m.first_response_seconds(conversations)
    assert (first.count, first.mean, first.p50, first.p90) == (5, pytest.approx(1.6), 1.0, 3.0)
    every = m.response_seconds(conversations)
    assert (every.count, every.mean) == (9, pytest.approx(13 / 9))
    waits, still_waiting = m.human_wait_seconds(facts.tickets)
    assert (waits.count, waits.mean, still_waiting) == (2, 180.0, 1)  # claimed after 240 s and 120 s; d waits


def test_satisfaction(facts: m.ShopFacts) -> None:
    result = m.satisfaction(facts.ratings)
    assert result.count == 3 and result.mean == pytest.approx(11 / 3)
    assert result.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert [r.comment for r in result.comments] == ["太慢", "很好"]  # newest first


def test_intents_over_time(conversations: list) -> None:
    days = m.intents_per_day(conversations)
    assert days[MONDAY.date()] == {"product_inquiry": 1, "thank": 1, "query_order": 1, "nlu_fallback": 1}
    assert days[(MONDAY + timedelta(days=1)).date()] == {"urge_shipment": 1, "human_handoff": 1, "nlu_fallback": 2}


def test_repeated_questions_and_trainer_lists(conversations: list) -> None:
    assert m.top_faq_topics(conversations) == [("product_inquiry/shipping_fee", 1), ("product_inquiry/size_advice", 1)]
    (group,) = m.unrecognised_messages(conversations)
    assert (group.count, group.conversations, group.suggested_intent) == (3, 2, "product_inquiry")
    assert m.normalise(group.text) == "直播间链接在哪"
    (low,) = m.low_confidence_messages(conversations)
    assert (low.text, low.suggested_intent, low.confidence) == ("我170穿多大码", "product_inquiry", 0.45)


def test_products_asked_per_topic(conversations: list, facts: m.ShopFacts) -> None:
    asked = m.products_asked_by_topic(conversations, facts)
    assert asked == {"logistics": [("智能手环", 1), ("保温杯", 1)], "size": [("修身牛仔裤", 1)], "material": []}


def test_complaint_hotspots_and_after_sale_reasons(facts: m.ShopFacts) -> None:
    assert m.complaint_hotspots(facts, "-") == [("智能手环", "quality", 2), ("保温杯", "complaint", 1),
                                                ("保温杯", "damaged", 1)]
    assert m.after_sale_reasons(facts) == [("智能手环", "return", "质量问题", 2),
                                           ("修身牛仔裤", "exchange", "尺码不合适", 1)]


def test_sentiment_and_angry_without_help(conversations: list, facts: m.ShopFacts) -> None:
    assert m.message_sentiments(conversations) == {"angry": 1, "satisfied": 1, "neutral": 7}
    assert m.angry_without_help(conversations, facts.tickets) == []  # the angry shopper got a person
    rows: list = []
    Recorder(rows, "q", MONDAY).user("什么破服务，气死我了", "complain").bot(1)
    assert [c.sender_id for c in m.angry_without_help(build_conversations(rows), [])] == ["q"]


def test_cost_per_conversation(conversations: list) -> None:
    cost = m.cost_per_conversation(conversations, Decimal("0.30"), Decimal("5.00"))
    assert (cost.total, cost.per_conversation, cost.all_human_total, cost.saving) == (
        Decimal("11.50"), Decimal("2.30"), Decimal("25.00"), Decimal("13.50"))


def test_live_figures(conversations: list, facts: m.ShopFacts) -> None:
    tuesday = [c for c in conversations if c.first_message_at.date() == (MONDAY + timedelta(days=1)).date()]
    figures = m.live_figures(tuesday, facts, MONDAY + timedelta(days=1, hours=20, minutes=33))
    # c is past the window, d is with a person (paused): neither is a current bot conversation
    assert (figures.current_conversations, figures.waiting_tickets, figures.today_conversations) == (0, 1, 2)
    assert figures.today_resolution == m.Ratio(0, 2)


def test_findings_name_the_largest_counts(conversations: list, facts: m.ShopFacts) -> None:
    week = summarise(conversations, facts, *WEEK)
    assert findings(week, None) == [
        "「直播间链接在哪」本周出现 3 次，店小二没听懂，建议加入训练数据",
        "「智能手环」本周因「质量问题」退换 2 次，请检查商品质量或详情页描述",
        "「智能手环」本周有 2 次「质量问题」，请排查这款商品",
    ]


def test_a_finding_about_a_product_names_one(conversations: list, facts: m.ShopFacts) -> None:
    unnamed = [m.TicketFact("x", "complain", "售后", "closed", MONDAY, MONDAY) for _ in range(5)]
    week = summarise(conversations, m.ShopFacts(tickets=unnamed), *WEEK)
    assert week.hotspots == [("（未关联商品）", "complaint", 5)]
    assert not any("未关联商品" in finding for finding in findings(week, None))


def test_iso_week() -> None:
    assert iso_week("2026-W49") == WEEK
    for bad in ("2026-49", "2026-W54", "W49", "2026-W49; drop"):
        with pytest.raises(ValueError):
            iso_week(bad)
