"""ECharts options for the measures: the same charts in the dashboard and the weekly report.

Each function returns a plain dict (JSON) that `echarts.init(el).setOption(option)` draws; labels
come from wording.yml. Animation is off so a printed page (the report's PDF) shows the final chart.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shop.analytics.summary import PeriodSummary, wording

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
PALETTE = ["#ff6a00", "#1677ff", "#52c41a", "#faad14", "#eb2f96", "#13c2c2", "#722ed1", "#8c8c8c", "#a0d911"]
TOP_INTENTS = 7
FONT = "Noto Sans CJK SC, Noto Sans SC, sans-serif"
BASE: dict[str, Any] = {"animation": False, "color": PALETTE, "textStyle": {"fontFamily": FONT}}


def _base(**option: Any) -> dict[str, Any]:
    return {**BASE, "tooltip": {"trigger": "axis"}, **option}


def day_label(day: date) -> str:
    return f"{day:%m-%d} {WEEKDAYS[day.weekday()]}"


def conversations_by_day(period: PeriodSummary, before: PeriodSummary | None = None) -> dict[str, Any]:
    """Conversations per day; with `before`, the previous period's same weekday beside it."""
    days = period.days
    series = [{"name": "本期", "type": "bar", "data": [period.per_day.get(day, 0) for day in days],
               "label": {"show": True, "position": "top"}}]
    if before is not None:
        series.insert(0, {"name": "上期", "type": "bar", "itemStyle": {"color": "#bfbfbf"},
                          "data": [before.per_day.get(day, 0) for day in before.days]})
    return _base(legend={}, grid={"left": 40, "right": 20, "top": 30, "bottom": 30},
                 xAxis={"type": "category", "data": [day_label(day) for day in days]},
                 yAxis={"type": "value", "minInterval": 1}, series=series)


def traffic_by_hour(period: PeriodSummary) -> dict[str, Any]:
    """Conversations and distinct shoppers per hour across the period."""
    hours, moment = [], period.start
    while moment < period.end:
        hours.append(moment)
        moment += timedelta(hours=1)
    labels = [f"{hour:%m-%d %H}时" for hour in hours]
    return _base(
        legend={}, grid={"left": 40, "right": 20, "top": 30, "bottom": 40},
        xAxis={"type": "category", "data": labels, "axisLabel": {"interval": 24 * -(-len(hours) // (24 * 8)) - 1}},
        yAxis={"type": "value", "minInterval": 1},
        series=[
            {"name": "会话数", "type": "line", "step": "middle", "symbol": "none", "areaStyle": {"opacity": 0.15},
             "data": [period.per_hour.get(hour, 0) for hour in hours]},
            {"name": "顾客数", "type": "line", "step": "middle", "symbol": "none",
             "data": [period.shoppers_per_hour.get(hour, 0) for hour in hours]},
        ],
    )


def intents_over_time(period: PeriodSummary) -> dict[str, Any]:
    """Shopper messages per day by intent, the most frequent intents stacked, the rest as 其他."""
    names = wording()["intents"]
    totals: dict[str, int] = {}
    for counts in period.intents_per_day.values():
        for intent, count in counts.items():
            totals[intent] = totals.get(intent, 0) + count
    top = [intent for intent, _ in sorted(totals.items(), key=lambda item: -item[1])[:TOP_INTENTS]]
    days = period.days
    series = [{"name": names.get(intent, intent), "type": "bar", "stack": "intents",
               "data": [period.intents_per_day.get(day, {}).get(intent, 0) for day in days]} for intent in top]
    if len(totals) > len(top):
        series.append({"name": "其他", "type": "bar", "stack": "intents", "data": [
            sum(count for intent, count in period.intents_per_day.get(day, {}).items() if intent not in top)
            for day in days]})
    return _base(legend={"type": "scroll"}, grid={"left": 40, "right": 20, "top": 40, "bottom": 30},
                 xAxis={"type": "category", "data": [day_label(day) for day in days]},
                 yAxis={"type": "value", "minInterval": 1}, series=series)


def satisfaction_distribution(period: PeriodSummary) -> dict[str, Any]:
    distribution = period.satisfaction.distribution
    return _base(grid={"left": 40, "right": 20, "top": 20, "bottom": 30},
                 xAxis={"type": "category", "data": [f"{score} 分" for score in range(1, 6)]},
                 yAxis={"type": "value", "minInterval": 1},
                 series=[{"name": "评价数", "type": "bar", "label": {"show": True, "position": "top"},
                          "data": [distribution[score] for score in range(1, 6)],
                          "itemStyle": {"color": "#faad14"}}])


def _pie(name: str, items: list[tuple[str, int]]) -> dict[str, Any]:
    return {**BASE, "tooltip": {"trigger": "item"}, "legend": {"bottom": 0},
            "series": [{"name": name, "type": "pie", "radius": ["30%", "55%"], "center": ["50%", "45%"],
                        "label": {"formatter": "{b}\n{c}（{d}%）", "overflow": "none"},
                        "labelLine": {"length": 8, "length2": 6},
                        "data": [{"name": label, "value": value} for label, value in items if value]}]}


def handoff_reasons(period: PeriodSummary) -> dict[str, Any]:
    names = wording()["handoff_reasons"]
    return _pie("转人工原因", [(names.get(reason, reason), count) for reason, count in period.handoff_reasons.items()])


def sentiments(period: PeriodSummary) -> dict[str, Any]:
    names = wording()["sentiments"]
    kinds = ("angry", "neutral", "satisfied")
    option = _pie("顾客情绪", [(names[kind], period.sentiments.get(kind, 0)) for kind in kinds])
    option["color"] = ["#f5222d", "#bfbfbf", "#52c41a"]
    return option


def faq_top(period: PeriodSummary) -> dict[str, Any]:
    names = wording()["faq_topics"]
    items = list(reversed(period.faq_top))
    return _base(grid={"left": 90, "right": 30, "top": 10, "bottom": 20},
                 xAxis={"type": "value", "minInterval": 1},
                 yAxis={"type": "category", "data": [names.get(topic, topic) for topic, _ in items]},
                 series=[{"name": "次数", "type": "bar", "label": {"show": True, "position": "right"},
                          "data": [count for _, count in items]}])


def daily_rates(days: list[date], resolution: list[float | None], satisfaction: list[float | None]) -> dict[str, Any]:
    """The dashboard's 30-day trend: bot-only resolution (%) and mean satisfaction per day."""
    return _base(legend={}, grid={"left": 45, "right": 45, "top": 30, "bottom": 30},
                 xAxis={"type": "category", "data": [f"{day:%m-%d}" for day in days]},
                 yAxis=[{"type": "value", "name": "解决率 %", "min": 0, "max": 100},
                        {"type": "value", "name": "满意度", "min": 0, "max": 5}],
                 series=[{"name": "机器人独立解决率", "type": "line", "connectNulls": True,
                          "data": [None if v is None else round(v * 100, 1) for v in resolution]},
                         {"name": "满意度均分", "type": "line", "yAxisIndex": 1, "connectNulls": True,
                          "data": [None if v is None else round(v, 2) for v in satisfaction]}])


def period_charts(period: PeriodSummary, before: PeriodSummary | None = None) -> dict[str, dict[str, Any]]:
    """Every chart of one period, by the element id that shows it."""
    return {
        "chart-days": conversations_by_day(period, before),
        "chart-hours": traffic_by_hour(period),
        "chart-intents": intents_over_time(period),
        "chart-satisfaction": satisfaction_distribution(period),
        "chart-handoff": handoff_reasons(period),
        "chart-sentiment": sentiments(period),
        "chart-faq": faq_top(period),
    }
