"""A proactive notice arrives live in the shopper's open widget (issue 33), in headless Chromium: the demo
shopper opens the chat on the demo shop; `python -m shop watch --once` then finds the demo's stuck parcel
and the notice appears in the widget without the shopper asking; its button files the claim; a second pass
sends nothing new."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from shop.seed import DEMO_ORDERS
from tests.integration.conftest import ROOT
from tests.web.conftest import Shots
from tests.web.test_widget_and_desk import bot_texts, open_widget, wait_for_bot_text

STUCK = DEMO_ORDERS["stuck"]


def watch_once(web_stack: dict[str, str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SHOP_DB_URL": web_stack["db_url"], "SHOP_QUIET_HOURS": "",
           "XIAOER_RASA_URL": web_stack["rasa"], "XIAOER_API_TOKEN": web_stack["api_token"]}
    env.pop("SHOP_STUCK_AFTER_HOURS", None)
    done = subprocess.run([sys.executable, "-m", "shop", "watch", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_notice_arrives_live_in_the_open_widget(open_page: Any, web_stack: dict[str, str], shots: Shots) -> None:
    page = open_page()
    open_widget(page, web_stack["web"])
    page.wait_for_function("() => document.querySelector('.xiaoer-status').textContent === ''")
    page.wait_for_timeout(1500)  # the widget's pull after the session is confirmed: the shop knows it is open
    shots.take(page, "widget-open")
    before = len(bot_texts(page))
    report = watch_once(web_stack)
    assert report.startswith("notices: ") and " 0 sent live" not in report, report
    notice = wait_for_bot_text(page, STUCK)
    assert "主动提醒" in notice.inner_text() and "先行赔付" in notice.inner_text()
    shots.take(page, "notice-arrived")
    assert len(bot_texts(page)) > before
    assert STUCK in bot_texts(page)[-1]  # the notice that asks comes last: its answer follows it
    page.get_by_role("button", name="好的，申请先行赔付").click()
    filed = wait_for_bot_text(page, "CL").inner_text()
    assert "先行赔付" in filed and "¥699.00" in filed
    shots.take(page, "claim-filed")
    assert watch_once(web_stack).startswith("notices: 0 new, 0 sent live")
