"""Every measure the dashboard and the weekly report show, each defined once (docs/analytics.md).

Inputs are conversations rebuilt from Rasa's tracker store (:mod:`shop.analytics.conversations`)
and the shop's own rows for the same period (:class:`ShopFacts`: tickets, ratings, after-sales,
delivery problems, what each order holds). The functions are pure: tests build both by hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import mean

from shop.analytics.conversations import FALLBACK_INTENT, Conversation, UserMessage
from shop.analytics.sentiment import Sentiment, classify

NOT_UNDERSTOOD_INTENTS = frozenset({FALLBACK_INTENT, "out_of_scope"})
#: Below this NLU confidence a recognised message is listed for a trainer to check.
LOW_CONFIDENCE = 0.6
#: A conversation with a shopper message this recent is "current" on the live panel.
LIVE_WINDOW = timedelta(minutes=10)
#: A ticket belongs to a conversation of the same sender opened within its span (clock skew allowed).
TICKET_SLACK = timedelta(seconds=5)
LOGISTICS_INTENTS = frozenset({"query_order", "urge_shipment", "logistics_issue"})
LOGISTICS_TOPICS = frozenset({"product_inquiry/shipping_time", "product_inquiry/shipping_fee"})
SIZE_TOPICS = frozenset({"product_inquiry/size_advice"})
MATERIAL_WORDS = re.compile(r"材质|面料|材料|成分|料子|什么做的|什么料|棉|涤纶|真皮|不锈钢")
PROBLEM_AFTER_SALE_REASONS = frozenset({"quality", "damaged", "wrong_item"})
TOP = 10


# --- the shop's side -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketFact:
    conversation_id: str
    topic: str
    skill_group: str
    status: str
    created_at: datetime
    closed_at: datetime | None
    products: tuple[str, ...] = ()
    claimed_at: datetime | None = None


@dataclass(frozen=True)
class RatingFact:
    conversation_id: str
    rating: int
    comment: str | None
    rated_at: datetime


@dataclass(frozen=True)
class AfterSaleFact:
    type: str
    reason_kind: str
    reason_text: str
    created_at: datetime
    products: tuple[str, ...]


@dataclass(frozen=True)
class DeliveryProblemFact:
    problem: str
    created_at: datetime
    products: tuple[str, ...]


@dataclass
class ShopFacts:
    """The shop's rows of one period, and what analytics needs to name products."""

    tickets: list[TicketFact] = field(default_factory=list)
    ratings: list[RatingFact] = field(default_factory=list)
    after_sales: list[AfterSaleFact] = field(default_factory=list)
    delivery_problems: list[DeliveryProblemFact] = field(default_factory=list)
    #: order number -> titles of the products it holds
    order_products: dict[str, tuple[str, ...]] = field(default_factory=dict)
    product_titles: tuple[str, ...] = ()
    #: tickets not yet taken by an agent, now (for the live panel)
    waiting_tickets: int = 0


# --- small result types ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Durations:
    """Seconds: count, mean, median and 90th percentile (nearest rank)."""

    count: int
    mean: float | None
    p50: float | None
    p90: float | None

    @staticmethod
    def of(values: Iterable[float]) -> Durations:
        ordered = sorted(values)
        if not ordered:
            return Durations(0, None, None, None)
        return Durations(len(ordered), mean(ordered), percentile(ordered, 50), percentile(ordered, 90))


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


# --- traffic ---------------------------------------------------------------------------------------

def hour_of(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def conversations_per_hour(conversations: Iterable[Conversation]) -> Counter[datetime]:
    """Conversations by the hour of their first shopper message."""
    return Counter(hour_of(conversation.first_message_at) for conversation in conversations)


def shoppers_per_hour(conversations: Iterable[Conversation]) -> Counter[datetime]:
    """Distinct senders who wrote at least one message in each hour."""
    seen: dict[datetime, set[str]] = defaultdict(set)
    for conversation in conversations:
        for message in conversation.messages:
            seen[hour_of(message.time)].add(conversation.sender_id)
    return Counter({hour: len(senders) for hour, senders in seen.items()})


def conversations_per_day(conversations: Iterable[Conversation]) -> Counter[date]:
    return Counter(conversation.first_message_at.date() for conversation in conversations)


def intents_per_day(conversations: Iterable[Conversation]) -> dict[date, Counter[str]]:
    """Shopper messages by day and by intent (FAQ questions under product_inquiry)."""
    days: dict[date, Counter[str]] = defaultdict(Counter)
    for conversation in conversations:
        for message in conversation.messages:
            days[message.time.date()][message.intent] += 1
    return dict(days)


# --- resolution and hand-offs ------------------------------------------------------------------------

def tickets_of(conversation: Conversation, tickets: Iterable[TicketFact]) -> list[TicketFact]:
    """The shop's tickets opened in this conversation (same sender, within its span)."""
    return [
        ticket for ticket in tickets
        if ticket.conversation_id == conversation.sender_id
        and conversation.started_at - TICKET_SLACK <= ticket.created_at <= conversation.ended_at + TICKET_SLACK
    ]


def resolved_by_bot(conversation: Conversation, tickets: Iterable[TicketFact]) -> bool:
    """No hand-off, no ticket, and the shopper's last message was understood."""
    return (
        not conversation.handed_off
        and not tickets_of(conversation, tickets)
        and conversation.messages[-1].intent not in NOT_UNDERSTOOD_INTENTS
    )


def bot_only_resolution_rate(conversations: Sequence[Conversation], tickets: Sequence[TicketFact]) -> Ratio:
    return Ratio(sum(resolved_by_bot(conversation, tickets) for conversation in conversations), len(conversations))


def handoff_rate(conversations: Sequence[Conversation]) -> Ratio:
    """Conversations the bot paused for a person (Rasa's `pause` event, written by 转人工)."""
    return Ratio(sum(conversation.handed_off for conversation in conversations), len(conversations))


def handoff_reason(conversation: Conversation) -> str:
    """Why the bot handed over: the shopper asked, it did not understand, or a complaint."""
    assert conversation.paused_at is not None
    before = [message for message in conversation.messages if message.time <= conversation.paused_at]
    last = before[-1] if before else conversation.messages[0]
    if last.intent in NOT_UNDERSTOOD_INTENTS:
        return "not_understood"
    if any(message.intent == "complain" for message in before):
        return "complaint"
    if last.intent == "human_handoff":
        return "asked_for_human"
    return "other"


def handoff_reasons(conversations: Iterable[Conversation]) -> Counter[str]:
    return Counter(handoff_reason(conversation) for conversation in conversations if conversation.handed_off)


def handoff_skill_groups(conversations: Iterable[Conversation], tickets: Sequence[TicketFact]) -> Counter[str]:
    """Hand-offs by the skill group of their ticket (售后, 物流, 支付, 售前)."""
    groups: Counter[str] = Counter()
    for conversation in conversations:
        if conversation.handed_off:
            for ticket in tickets_of(conversation, tickets)[:1]:
                groups[ticket.skill_group] += 1
    return groups


def fallback_rate(conversations: Iterable[Conversation]) -> Ratio:
    """Shopper messages the NLU could not classify (nlu_fallback) among all shopper messages."""
    messages = [message for conversation in conversations for message in conversation.messages]
    return Ratio(sum(message.intent == FALLBACK_INTENT for message in messages), len(messages))


# --- times -----------------------------------------------------------------------------------------

def first_response_seconds(conversations: Iterable[Conversation]) -> Durations:
    """From a conversation's first shopper message to the assistant's first reply to it."""
    return Durations.of(
        conversation.messages[0].response_seconds for conversation in conversations
        if conversation.messages[0].response_seconds is not None
    )


def response_seconds(conversations: Iterable[Conversation]) -> Durations:
    """From every shopper message to the assistant's first reply (平均响应时长)."""
    return Durations.of(
        message.response_seconds for conversation in conversations for message in conversation.messages
        if message.response_seconds is not None and not _after_pause(conversation, message)
    )


def _after_pause(conversation: Conversation, message: UserMessage) -> bool:
    paused, resumed = conversation.paused_at, conversation.resumed_at
    return paused is not None and message.time > paused and (resumed is None or message.time < resumed)


def human_wait_seconds(tickets: Iterable[TicketFact]) -> tuple[Durations, int]:
    """From a ticket being opened to an agent claiming it at the desk (人工等待时长).

    Returns the waits of the claimed tickets and how many are still waiting for an agent.
    """
    tickets = list(tickets)
    waits = [(t.claimed_at - t.created_at).total_seconds() for t in tickets if t.claimed_at is not None]
    waiting = sum(1 for t in tickets if t.claimed_at is None and t.status == "open")
    return Durations.of(max(0.0, wait) for wait in waits), waiting


# --- satisfaction ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Satisfaction:
    count: int
    mean: float | None
    distribution: dict[int, int]
    comments: list[RatingFact]


def satisfaction(ratings: Sequence[RatingFact]) -> Satisfaction:
    """Ratings given in the period: mean, how many of each score, the comments (newest first)."""
    distribution = {score: 0 for score in range(1, 6)}
    for rating in ratings:
        distribution[rating.rating] += 1
    comments = sorted((r for r in ratings if r.comment), key=lambda rating: rating.rated_at, reverse=True)
    return Satisfaction(len(ratings), mean(r.rating for r in ratings) if ratings else None, distribution, comments)


# --- what shoppers ask -----------------------------------------------------------------------------

def normalise(text: str) -> str:
    """Groups repeats of one question: full-width to ASCII, lower case, no spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if not unicodedata.category(ch).startswith(("P", "Z", "S", "C")))


@dataclass(frozen=True)
class MessageGroup:
    text: str
    count: int
    conversations: int
    #: most likely intent for a trainer to label it with (the NLU's best guess that is not a fallback)
    suggested_intent: str | None
    confidence: float


def top_faq_topics(conversations: Iterable[Conversation], limit: int = TOP) -> list[tuple[str, int]]:
    """The FAQ topics (product_inquiry/<topic>) asked most, with how many times."""
    topics = Counter(
        message.topic for conversation in conversations for message in conversation.messages
        if message.topic.startswith("product_inquiry/")
    )
    return topics.most_common(limit)


def group_messages(pairs: Iterable[tuple[Conversation, UserMessage]], limit: int | None) -> list[MessageGroup]:
    groups: dict[str, list[tuple[Conversation, UserMessage]]] = defaultdict(list)
    for conversation, message in pairs:
        key = normalise(message.text)
        if key:
            groups[key].append((conversation, message))
    result = []
    for members in groups.values():
        first = Counter(message.text for _, message in members).most_common(1)[0][0]
        guesses = Counter(
            message.runner_up_intent if message.intent == FALLBACK_INTENT else message.intent for _, message in members
        )
        guess = guesses.most_common(1)[0][0]
        result.append(MessageGroup(
            first, len(members), len({conversation.sender_id for conversation, _ in members}), guess,
            mean(message.confidence for _, message in members),
        ))
    result.sort(key=lambda group: (-group.count, -group.conversations, group.text))
    return result[:limit] if limit is not None else result


def unrecognised_messages(conversations: Iterable[Conversation], limit: int | None = TOP) -> list[MessageGroup]:
    """Shopper messages the NLU fell back on, grouped by their normalised text, most frequent first."""
    return group_messages(
        ((conversation, message) for conversation in conversations for message in conversation.messages
         if message.intent == FALLBACK_INTENT), limit,
    )


def low_confidence_messages(
    conversations: Iterable[Conversation], threshold: float = LOW_CONFIDENCE, limit: int | None = TOP
) -> list[MessageGroup]:
    """Messages recognised with a confidence under `threshold` (worth a trainer's look), grouped."""
    return group_messages(
        ((conversation, message) for conversation in conversations for message in conversation.messages
         if message.intent != FALLBACK_INTENT and message.confidence < threshold and not message.text.startswith("/")),
        limit,
    )


def ask_topic(message: UserMessage) -> str | None:
    """logistics, size or material, when the message asks about one of them."""
    if message.intent in LOGISTICS_INTENTS or message.topic in LOGISTICS_TOPICS:
        return "logistics"
    names_size = message.intent in {"product_inquiry", "exchange_goods"} and "size" in message.entities
    if message.topic in SIZE_TOPICS or names_size:
        return "size"
    if message.topic == "product_inquiry/specs" and MATERIAL_WORDS.search(message.text):
        return "material"
    return None


def products_of(message: UserMessage, facts: ShopFacts) -> tuple[str, ...]:
    """The products a message is about: the product it names, else the products of its order."""
    named = message.entities.get("product")
    if named:
        matches = [title for title in facts.product_titles if named in title or title in named]
        return (matches[0],) if len(matches) == 1 else (named,)
    if message.order_no:
        return facts.order_products.get(message.order_no, ())
    return ()


def products_asked_by_topic(
    conversations: Iterable[Conversation], facts: ShopFacts
) -> dict[str, list[tuple[str, int]]]:
    """For logistics, size and material: the products asked about most, with how many messages."""
    counts: dict[str, Counter[str]] = {"logistics": Counter(), "size": Counter(), "material": Counter()}
    for conversation in conversations:
        for message in conversation.messages:
            topic = ask_topic(message)
            if topic:
                for product in products_of(message, facts):
                    counts[topic][product] += 1
    return {topic: counter.most_common(TOP) for topic, counter in counts.items()}


# --- problems with products --------------------------------------------------------------------------

def complaint_hotspots(facts: ShopFacts, no_product: str) -> list[tuple[str, str, int]]:
    """(product, reason, count): complaints, faulty goods returned or exchanged, delivery problems."""
    counts: Counter[tuple[str, str]] = Counter()
    for ticket in facts.tickets:
        if ticket.topic == "complain":
            for product in ticket.products or (no_product,):
                counts[(product, "complaint")] += 1
    for request in facts.after_sales:
        if request.reason_kind in PROBLEM_AFTER_SALE_REASONS:
            for product in request.products:
                counts[(product, request.reason_kind)] += 1
    for problem in facts.delivery_problems:
        for product in problem.products:
            counts[(product, problem.problem)] += 1
    return [(product, reason, count) for (product, reason), count in counts.most_common()]


def after_sale_reasons(facts: ShopFacts) -> list[tuple[str, str, str, int]]:
    """(product, return/exchange, reason as the shopper chose it, count), most frequent first."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for request in facts.after_sales:
        if request.type in ("return", "exchange"):
            reason = request.reason_text or request.reason_kind
            for product in request.products:
                counts[(product, request.type, reason)] += 1
    return [(product, kind, reason, count) for (product, kind, reason), count in counts.most_common()]


# --- sentiment -------------------------------------------------------------------------------------

def message_sentiments(conversations: Iterable[Conversation]) -> Counter[Sentiment]:
    """Shopper messages by sentiment (button payloads such as /inform{...} are not words and are skipped)."""
    return Counter(
        classify(message.text) for conversation in conversations for message in conversation.messages
        if not message.text.startswith("/")
    )


def first_angry_message(conversation: Conversation) -> UserMessage | None:
    return next((message for message in conversation.messages
                 if not message.text.startswith("/") and classify(message.text) == "angry"), None)


def is_angry(conversation: Conversation) -> bool:
    return first_angry_message(conversation) is not None


def angry_without_help(conversations: Iterable[Conversation], tickets: Sequence[TicketFact]) -> list[Conversation]:
    """Angry conversations that ended with no person involved (no hand-off, no ticket)."""
    return [
        conversation for conversation in conversations
        if is_angry(conversation) and not conversation.handed_off and not tickets_of(conversation, tickets)
    ]


# --- cost ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CostPerConversation:
    bot_cost: Decimal
    human_cost: Decimal
    conversations: int
    handed_off: int
    total: Decimal
    per_conversation: Decimal | None
    #: what the same conversations would cost if a person answered every one
    all_human_total: Decimal
    saving: Decimal


def cost_per_conversation(
    conversations: Sequence[Conversation], bot_cost: Decimal, human_cost: Decimal
) -> CostPerConversation:
    """Every conversation costs the bot's price; a handed-off one also a person's (costs set by the shop)."""
    handed = sum(conversation.handed_off for conversation in conversations)
    total = bot_cost * len(conversations) + human_cost * handed
    all_human = human_cost * len(conversations)
    per = (total / len(conversations)).quantize(Decimal("0.01")) if conversations else None
    return CostPerConversation(
        bot_cost, human_cost, len(conversations), handed, total, per, all_human, all_human - total
    )


# --- live ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LiveFigures:
    current_conversations: int
    waiting_tickets: int
    today_conversations: int
    today_resolution: Ratio
    today_satisfaction: float | None
    today_ratings: int


def live_figures(today: Sequence[Conversation], facts: ShopFacts, now: datetime) -> LiveFigures:
    """The live panel: conversations with a shopper message in the last minutes (not with a person),
    tickets waiting for a person, and today's resolution and satisfaction so far."""
    current = sum(
        1 for conversation in today
        if now - conversation.messages[-1].time <= LIVE_WINDOW and not _with_person(conversation)
    )
    ratings = satisfaction(facts.ratings)
    return LiveFigures(current, facts.waiting_tickets, len(today), bot_only_resolution_rate(today, facts.tickets),
                       ratings.mean, ratings.count)


def _with_person(conversation: Conversation) -> bool:
    return conversation.paused_at is not None and conversation.resumed_at is None
