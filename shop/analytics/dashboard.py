"""What the dashboard shows: the live panel, the last 7 or 30 days, the trainer's lists and their export."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import yaml
from sqlalchemy.engine import Engine

from shop.analytics import charts
from shop.analytics import measures as m
from shop.analytics.conversations import Conversation, load_conversations
from shop.analytics.report import shown_text
from shop.analytics.summary import PeriodSummary, load_period, wording

PERIODS = (7, 30)
EXPORT_LIMIT = 500  # "导入近半年TOP500咨询记录": the most frequent groups first


def today_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def live(tracker: Engine, shop: Engine, now: datetime) -> dict[str, Any]:
    """The live panel as JSON: current conversations, waiting tickets, today's resolution and satisfaction."""
    today = load_period(tracker, shop, today_start(now), now + timedelta(seconds=1))
    figures = m.live_figures(today.conversations, today.facts, now)
    return {
        "at": now.strftime("%H:%M:%S"),
        "current_conversations": figures.current_conversations,
        "waiting_tickets": figures.waiting_tickets,
        "today_conversations": figures.today_conversations,
        "today_resolution": figures.today_resolution.value,
        "today_satisfaction": figures.today_satisfaction,
        "today_ratings": figures.today_ratings,
        "today_response_seconds": today.response.mean,
    }


def period(tracker: Engine, shop: Engine, now: datetime, days: int) -> PeriodSummary:
    """The last `days` days up to now (today included)."""
    if days not in PERIODS:
        raise ValueError(f"days must be one of {PERIODS}")
    return load_period(tracker, shop, today_start(now) - timedelta(days=days - 1), now + timedelta(seconds=1))


def overview(summary: PeriodSummary) -> dict[str, Any]:
    """Charts, headline figures and the trainer's lists of one period, as JSON."""
    words = wording()
    option_charts = charts.period_charts(summary)
    option_charts["chart-trend"] = charts.daily_rates(*daily_trend(summary))
    return {
        "from": summary.start.strftime("%Y-%m-%d"), "to": (summary.end - timedelta(seconds=1)).strftime("%Y-%m-%d"),
        "charts": option_charts,
        "figures": {
            "conversations": len(summary.conversations), "shoppers": summary.shoppers,
            "resolution": summary.resolution.value, "handoff": summary.handoff.value,
            "fallback": summary.fallback.value, "first_response": summary.first_response.mean,
            "response": summary.response.mean, "human_wait": summary.human_wait.mean,
            "still_waiting": summary.still_waiting, "satisfaction": summary.satisfaction.mean,
            "ratings": summary.satisfaction.count, "angry_messages": summary.sentiments.get("angry", 0),
            "angry_unhelped": len(summary.angry_unhelped),
            "cost_per_conversation": _money(summary.cost.per_conversation),
            "cost_saving": _money(summary.cost.saving),
        },
        "unrecognised": [_group(group, words) for group in summary.unrecognised],
        "low_confidence": [_group(group, words) for group in summary.low_confidence],
        "hotspots": [{"product": p, "reason": words["problem_reasons"].get(r, r), "count": c}
                     for p, r, c in summary.hotspots[:10]],
        "after_sale_reasons": [{"product": p, "type": words["after_sale_types"].get(k, k),
                                "reason": words["problem_reasons"].get(r, r), "count": c}
                               for p, k, r, c in summary.after_sale_reasons[:10]],
        "asked": {words["ask_topics"][topic]: [{"product": p, "count": c} for p, c in items[:5]]
                  for topic, items in summary.asked_by_topic.items()},
        "comments": [
            {"rating": r.rating, "comment": shown_text(r.comment or ""), "at": r.rated_at.strftime("%m-%d %H:%M")}
            for r in summary.satisfaction.comments[:10]
        ],
        "angry_unhelped": [_angry(conversation) for conversation in summary.angry_unhelped[:10]],
    }


def daily_trend(summary: PeriodSummary) -> tuple[list[date], list[float | None], list[float | None]]:
    """Per day: bot-only resolution rate and mean satisfaction."""
    days = summary.days
    resolution, satisfaction = [], []
    for day in days:
        conversations = [c for c in summary.conversations if c.first_message_at.date() == day]
        resolution.append(m.bot_only_resolution_rate(conversations, summary.facts.tickets).value)
        ratings = [r for r in summary.facts.ratings if r.rated_at.date() == day]
        satisfaction.append(m.satisfaction(ratings).mean)
    return days, resolution, satisfaction


def _angry(conversation: Conversation) -> dict[str, str]:
    message = m.first_angry_message(conversation) or conversation.messages[0]
    return {"conversation": conversation.sender_id, "at": message.time.strftime("%m-%d %H:%M"),
            "text": shown_text(message.text)}


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def _group(group: m.MessageGroup, words: dict[str, Any]) -> dict[str, Any]:
    data = asdict(group)
    data["text"] = shown_text(group.text)
    data["suggested_label"] = words["intents"].get(group.suggested_intent or "", group.suggested_intent or "—")
    data["confidence"] = round(group.confidence, 2)
    return data


def nlu_export(tracker: Engine, start: datetime, end: datetime, limit: int = EXPORT_LIMIT) -> str:
    """Unrecognised and low-confidence messages of [start, end) as Rasa NLU YAML for labelling.

    Each group's most common wording is filed under the NLU's best guess (to be checked by a person:
    move it to the right intent or delete it), with how often it was said in its metadata.
    """
    conversations = load_conversations(tracker, start, end)
    groups = [("unrecognised", group) for group in m.unrecognised_messages(conversations, limit=None)]
    groups += [("low_confidence", group) for group in m.low_confidence_messages(conversations, limit=None)]
    groups.sort(key=lambda item: -item[1].count)
    by_intent: dict[str, list[dict[str, Any]]] = {}
    for source, group in groups[:limit]:
        intent = group.suggested_intent or "out_of_scope"
        by_intent.setdefault(intent, []).append(
            {"text": shown_text(group.text, limit=500), "metadata": {"source": source, "count": group.count,
                                                                     "conversations": group.conversations}}
        )
    document = {"version": "3.1", "nlu": [{"intent": intent, "examples": examples}
                                          for intent, examples in sorted(by_intent.items())]}
    last_day = end - timedelta(seconds=1)
    header = (f"# Shoppers' messages {start:%Y-%m-%d} to {last_day:%Y-%m-%d} that the assistant did not understand\n"
              "# or was unsure of, filed under its best guess. Check each one (move it to the right intent or\n"
              "# delete it) before adding it to data/nlu/.\n")
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
