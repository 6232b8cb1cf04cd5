"""One period's measures in one object: read the sources, compute every measure, name the findings."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from shop.analytics import measures as m
from shop.analytics.conversations import Conversation, load_conversations
from shop.models import (
    AfterSaleItem,
    AfterSaleRequest,
    DeliveryIssue,
    DeliveryIssueItem,
    Order,
    OrderItem,
    Product,
    SatisfactionRating,
    Sku,
    Ticket,
)

WORDING_FILE = Path(__file__).with_name("wording.yml")
DEFAULT_BOT_COST = Decimal("0.30")
DEFAULT_HUMAN_COST = Decimal("5.00")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@cache
def wording() -> dict[str, Any]:
    return yaml.safe_load(WORDING_FILE.read_text(encoding="utf-8"))


def costs() -> tuple[Decimal, Decimal]:
    """(bot, person) cost of one conversation in yuan: $SHOP_COST_BOT_CONVERSATION, $SHOP_COST_HUMAN_CONVERSATION."""
    return (_money("SHOP_COST_BOT_CONVERSATION", DEFAULT_BOT_COST),
            _money("SHOP_COST_HUMAN_CONVERSATION", DEFAULT_HUMAN_COST))


def _money(variable: str, default: Decimal) -> Decimal:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{variable} must be an amount in yuan, such as 0.30: {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{variable} must be a non-negative amount in yuan: {raw!r}")
    return value


def iso_week(value: str) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of an ISO week written 2026-W49."""
    found = WEEK.match(value.strip())
    if not found:
        raise ValueError(f"a week is written like 2026-W49, not {value!r}")
    try:
        monday = date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
    except ValueError as error:
        raise ValueError(f"no such week: {value!r}") from error
    start = datetime.combine(monday, datetime.min.time())
    return start, start + timedelta(days=7)


def week_name(start: datetime) -> str:
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


# --- the shop's rows -------------------------------------------------------------------------------

def _titles(items: list[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item.order_item.sku.product.title for item in items))


def load_shop_facts(session: Session, start: datetime, end: datetime) -> m.ShopFacts:
    """Tickets, ratings, after-sales and delivery problems created in [start, end), and the catalogue."""
    tickets = session.execute(
        select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end)
    ).scalars().all()
    orders_of_tickets = {ticket.order_id for ticket in tickets if ticket.order_id}
    ticket_products = _order_titles(session, orders_of_tickets)
    ratings = session.execute(
        select(SatisfactionRating).where(SatisfactionRating.updated_at >= start, SatisfactionRating.updated_at < end)
    ).scalars().all()
    requests = session.execute(
        select(AfterSaleRequest).where(AfterSaleRequest.created_at >= start, AfterSaleRequest.created_at < end)
        .options(selectinload(AfterSaleRequest.items).selectinload(AfterSaleItem.order_item))
    ).scalars().all()
    issues = session.execute(
        select(DeliveryIssue).where(DeliveryIssue.created_at >= start, DeliveryIssue.created_at < end)
        .options(selectinload(DeliveryIssue.items).selectinload(DeliveryIssueItem.order_item))
    ).scalars().all()
    issue_orders = _order_titles(session, {issue.order_id for issue in issues})
    rows = session.execute(
        select(Order.order_no, Product.title).join(OrderItem, OrderItem.order_id == Order.id)
        .join(Sku, Sku.id == OrderItem.sku_id).join(Product, Product.id == Sku.product_id)
        .order_by(OrderItem.id)
    ).all()
    order_products: dict[str, tuple[str, ...]] = {}
    for order_no, title in rows:
        order_products[order_no] = tuple(dict.fromkeys((*order_products.get(order_no, ()), title)))
    waiting = session.execute(select(Ticket.id).where(Ticket.status == "open")).all()
    return m.ShopFacts(
        tickets=[m.TicketFact(t.conversation_id, t.topic, t.skill_group, t.status, t.created_at, t.closed_at,
                              ticket_products.get(t.order_id, ()), t.claimed_at) for t in tickets],
        ratings=[m.RatingFact(r.conversation_id, r.rating, r.comment, r.updated_at) for r in ratings],
        after_sales=[m.AfterSaleFact(r.type, r.reason_kind, r.reason_text or "", r.created_at, _titles(r.items))
                     for r in requests],
        delivery_problems=[
            m.DeliveryProblemFact(i.problem, i.created_at, _titles(i.items) or issue_orders.get(i.order_id, ()))
            for i in issues
        ],
        order_products=order_products,
        product_titles=tuple(session.execute(select(Product.title).order_by(Product.id)).scalars()),
        waiting_tickets=len(waiting),
    )


def _order_titles(session: Session, order_ids: set[int]) -> dict[int, tuple[str, ...]]:
    if not order_ids:
        return {}
    rows = session.execute(
        select(OrderItem.order_id, Product.title).join(Sku, Sku.id == OrderItem.sku_id)
        .join(Product, Product.id == Sku.product_id).where(OrderItem.order_id.in_(order_ids)).order_by(OrderItem.id)
    ).all()
    titles: dict[int, tuple[str, ...]] = {}
    for order_id, title in rows:
        titles[order_id] = tuple(dict.fromkeys((*titles.get(order_id, ()), title)))
    return titles


# --- one period ------------------------------------------------------------------------------------

@dataclass
class PeriodSummary:
    start: datetime
    end: datetime
    conversations: list[Conversation]
    facts: m.ShopFacts
    per_hour: dict[datetime, int]
    shoppers_per_hour: dict[datetime, int]
    per_day: dict[date, int]
    shoppers: int
    resolution: m.Ratio
    handoff: m.Ratio
    handoff_reasons: dict[str, int]
    handoff_groups: dict[str, int]
    fallback: m.Ratio
    first_response: m.Durations
    response: m.Durations
    human_wait: m.Durations
    still_waiting: int
    satisfaction: m.Satisfaction
    intents_per_day: dict[date, dict[str, int]]
    faq_top: list[tuple[str, int]]
    unrecognised: list[m.MessageGroup]
    low_confidence: list[m.MessageGroup]
    hotspots: list[tuple[str, str, int]]
    after_sale_reasons: list[tuple[str, str, str, int]]
    asked_by_topic: dict[str, list[tuple[str, int]]]
    sentiments: dict[str, int]
    angry_unhelped: list[Conversation]
    cost: m.CostPerConversation

    @property
    def days(self) -> list[date]:
        day, days = self.start.date(), []
        while datetime.combine(day, datetime.min.time()) < self.end:
            days.append(day)
            day += timedelta(days=1)
        return days


def summarise(conversations: list[Conversation], facts: m.ShopFacts, start: datetime, end: datetime) -> PeriodSummary:
    """Every measure of one period from its conversations and the shop's rows."""
    bot_cost, human_cost = costs()
    wait, still_waiting = m.human_wait_seconds(facts.tickets)
    return PeriodSummary(
        start=start, end=end, conversations=conversations, facts=facts,
        per_hour=dict(m.conversations_per_hour(conversations)),
        shoppers_per_hour=dict(m.shoppers_per_hour(conversations)),
        per_day=dict(m.conversations_per_day(conversations)),
        shoppers=len({conversation.sender_id for conversation in conversations}),
        resolution=m.bot_only_resolution_rate(conversations, facts.tickets),
        handoff=m.handoff_rate(conversations),
        handoff_reasons=dict(m.handoff_reasons(conversations).most_common()),
        handoff_groups=dict(m.handoff_skill_groups(conversations, facts.tickets).most_common()),
        fallback=m.fallback_rate(conversations),
        first_response=m.first_response_seconds(conversations),
        response=m.response_seconds(conversations),
        human_wait=wait, still_waiting=still_waiting,
        satisfaction=m.satisfaction(facts.ratings),
        intents_per_day={day: dict(counts) for day, counts in m.intents_per_day(conversations).items()},
        faq_top=m.top_faq_topics(conversations),
        unrecognised=m.unrecognised_messages(conversations),
        low_confidence=m.low_confidence_messages(conversations),
        hotspots=m.complaint_hotspots(facts, wording()["no_product"]),
        after_sale_reasons=m.after_sale_reasons(facts),
        asked_by_topic=m.products_asked_by_topic(conversations, facts),
        sentiments=dict(m.message_sentiments(conversations)),
        angry_unhelped=m.angry_without_help(conversations, facts.tickets),
        cost=m.cost_per_conversation(conversations, bot_cost, human_cost),
    )


def load_period(tracker: Engine, shop: Engine, start: datetime, end: datetime) -> PeriodSummary:
    conversations = load_conversations(tracker, start, end)
    with Session(shop, future=True) as session:
        facts = load_shop_facts(session, start, end)
    return summarise(conversations, facts, start, end)


# --- findings --------------------------------------------------------------------------------------

def findings(week: PeriodSummary, before: PeriodSummary | None, limit: int = 3) -> list[str]:
    """The week's most telling facts in plain Chinese, the largest counts first."""
    words = wording()
    candidates: list[tuple[int, str]] = []
    for topic in ("logistics", "size", "material"):
        for product, count in week.asked_by_topic.get(topic, [])[:1]:
            candidates.append((count, words["findings"][topic].format(product=product, count=count)))
    for product, _kind, reason, count in week.after_sale_reasons[:1]:
        text = words["findings"]["after_sale_reason"].format(product=product, reason=reason, count=count)
        candidates.append((count, text))
    named_hotspots = [spot for spot in week.hotspots if spot[0] != words["no_product"]]
    for product, reason, count in named_hotspots[:1]:  # "check this product" needs a product
        label = words["problem_reasons"].get(reason, reason)
        candidates.append((count, words["findings"]["complaint"].format(product=product, reason=label, count=count)))
    for group in week.unrecognised[:1]:
        candidates.append((group.count, words["findings"]["unrecognised"].format(text=group.text, count=group.count)))
    if week.angry_unhelped:
        count = len(week.angry_unhelped)
        candidates.append((count, words["findings"]["angry_unhelped"].format(count=count)))
    if before is not None and week.handoff.value is not None and before.handoff.value is not None \
            and week.handoff.value > before.handoff.value + 0.05:
        text = words["findings"]["handoff_up"].format(
            before=f"{before.handoff.value:.0%}", after=f"{week.handoff.value:.0%}"
        )
        candidates.append((week.handoff.part, text))
    candidates = [candidate for candidate in candidates if candidate[0] >= 2]
    candidates.sort(key=lambda candidate: -candidate[0])
    return [text for _, text in candidates[:limit]]
