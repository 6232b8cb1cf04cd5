"""The weekly report: `python -m shop report --week 2026-W49 --out DIR` writes report.html and report.pdf.

The HTML holds the week's measures against the week before, its charts (ECharts, vendored beside
the page as echarts.min.js) and three findings in plain Chinese; headless Chromium prints it to PDF
with the page's own fonts (Noto CJK from Debian's fonts-noto-cjk).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine

from shop.analytics import charts
from shop.analytics.measures import first_angry_message
from shop.analytics.summary import PeriodSummary, findings, iso_week, load_period, week_name, wording

HERE = Path(__file__).resolve().parent
ECHARTS = HERE / "static" / "echarts" / "echarts.min.js"
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
PDF_TIMEOUT_S = 120
SHOWN_TEXT = 60
PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


class ReportError(RuntimeError):
    """The report could not be written (no PDF printer, printing failed)."""


def shown_text(text: str, limit: int = SHOWN_TEXT) -> str:
    """A shopper's words as an admin page shows them: phone numbers masked, long texts cut."""
    masked = PHONE.sub(r"\1****\2", text or "")
    return masked if len(masked) <= limit else masked[: limit - 1] + "…"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    pdf: Path | None


def report_context(week: PeriodSummary, before: PeriodSummary) -> dict[str, Any]:
    words = wording()
    return {
        "week": week, "before": before, "name": week_name(week.start),
        "last_day": week.end - timedelta(days=1), "before_last_day": before.end - timedelta(days=1), "words": words,
        "findings": findings(week, before), "charts": charts.period_charts(week, before),
        "kpis": kpis(week, before), "shown": shown_text, "first_angry": first_angry_message,
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} 秒" if value < 120 else f"{value / 60:.1f} 分钟"


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _change(now: float | None, then: float | None, kind: str, *, better_up: bool = True) -> dict[str, str]:
    if now is None or then is None:
        return {"text": "—", "tone": ""}
    delta = now - then
    if abs(delta) < 1e-9:
        return {"text": "持平", "tone": ""}
    sign = "+" if delta > 0 else "-"
    if kind == "percent":
        text = f"{delta * 100:+.1f} 个百分点"
    elif kind == "seconds":
        text = sign + _seconds(abs(delta))
    else:
        text = f"{delta:+.2f}".rstrip("0").rstrip(".")
    return {"text": text, "tone": "good" if (delta > 0) == better_up else "bad"}


def kpis(week: PeriodSummary, before: PeriodSummary) -> list[dict[str, Any]]:
    """The headline table: each measure this week, the week before, and the change."""
    rows: list[tuple[str, float | None, float | None, str, bool]] = [
        ("会话数", len(week.conversations), len(before.conversations), "int", True),
        ("顾客数", week.shoppers, before.shoppers, "int", True),
        ("机器人独立解决率", week.resolution.value, before.resolution.value, "percent", True),
        ("转人工率", week.handoff.value, before.handoff.value, "percent", False),
        ("未识别率（消息）", week.fallback.value, before.fallback.value, "percent", False),
        ("首次响应时长（平均）", week.first_response.mean, before.first_response.mean, "seconds", False),
        ("平均响应时长", week.response.mean, before.response.mean, "seconds", False),
        ("人工等待时长（平均）", week.human_wait.mean, before.human_wait.mean, "seconds", False),
        ("满意度均分（1–5）", week.satisfaction.mean, before.satisfaction.mean, "score", True),
        ("每会话成本（元）", _float(week.cost.per_conversation), _float(before.cost.per_conversation), "money", False),
    ]
    shown = {"int": lambda v: "—" if v is None else f"{int(v)}", "percent": _percent, "seconds": _seconds,
             "score": _number, "money": _number}
    return [
        {"label": label, "now": shown[kind](now), "then": shown[kind](then),
         "change": _change(now, then, kind, better_up=better_up)}
        for label, now, then, kind, better_up in rows
    ]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def render_html(week: PeriodSummary, before: PeriodSummary) -> str:
    return TEMPLATES.get_template("report.html").render(**report_context(week, before))


def chromium() -> str | None:
    configured = os.environ.get("XIAOER_CHROMIUM", "").strip()
    if configured:
        return configured
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def print_pdf(html: Path, pdf: Path) -> None:
    """Headless Chromium prints the page (its scripts run first: the charts are drawn) to A4 PDF."""
    browser = chromium()
    if browser is None:
        raise ReportError("no Chromium to print the PDF: apt-get install chromium (or set XIAOER_CHROMIUM)")
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000",
               f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as error:
        raise ReportError(f"Chromium did not finish printing within {PDF_TIMEOUT_S} s") from error
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        raise ReportError(f"Chromium could not print {html}: {done.stderr.strip()[-500:]}")


def write_report(week: str, out: Path, tracker: Engine, shop: Engine, *, pdf: bool = True) -> ReportFiles:
    """The week's report into `out` (created): report.html, echarts.min.js beside it, report.pdf."""
    start, end = iso_week(week)
    this_week = load_period(tracker, shop, start, end)
    week_before = load_period(tracker, shop, start - timedelta(days=7), start)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ECHARTS, out / ECHARTS.name)
    html = out / "report.html"
    html.write_text(render_html(this_week, week_before), encoding="utf-8")
    if not pdf:
        return ReportFiles(html, None)
    print_pdf(html, out / "report.pdf")
    return ReportFiles(html, out / "report.pdf")
