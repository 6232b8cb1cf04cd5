"""The dashboard in the web app: admins only, and in headless Chromium it draws every chart.

The web app runs as `python -m web` on a seeded shop with an admin and an agent, over a tracker store
holding the built week of tests/analytics/builders.py moved to end today, so the last 7 days hold it.
Screenshots go to var/test-output/analytics/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shop.analytics.dashboard import today_start
from shop.clock import system_clock
from shop.db import make_engine, session_scope
from shop.services.agents import add_agent
from tests.analytics.builders import MONDAY, known_week, tracker_db
from tests.analytics.test_report import chromium_or_skip
from tests.integration.conftest import ROOT, env_for, free_port, seeded_db, stop, wait_for

PASSWORD = "dashboard-pass-1"
SCREENSHOTS = ROOT / "var" / "test-output" / "analytics"
CHART_IDS = ("chart-days", "chart-hours", "chart-trend", "chart-intents", "chart-satisfaction", "chart-sentiment",
             "chart-handoff", "chart-faq")


def moved_week(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The built week shifted so its last conversation is yesterday (the last 7 days hold it all)."""
    shift = (today_start(system_clock()) - timedelta(days=1) - (MONDAY + timedelta(days=2))).total_seconds()
    moved = []
    for sender, type_name, data in rows:
        body = json.loads(data)
        body["timestamp"] += shift
        moved.append((sender, type_name, json.dumps(body, ensure_ascii=False)))
    return moved


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("dashboard")
    db_url = seeded_db(folder)
    with session_scope(make_engine(db_url)) as session:
        add_agent(session, username="boss", password=PASSWORD, display_name="店长", role="admin",
                  skill_groups=("售后",), clock=system_clock)
        add_agent(session, username="mei", password=PASSWORD, display_name="小美", role="agent",
                  skill_groups=("售后",), clock=system_clock)
    tracker_url = f"sqlite:///{folder / 'rasa_tracker.db'}"
    tracker_db(moved_week(known_week()), tracker_url).dispose()
    port = free_port()
    log = folder / "web.log"
    env = {**env_for(db_url), "XIAOER_TRACKER_DB_URL": tracker_url, "XIAOER_UPLOAD_DIR": str(folder / "uploads")}
    process = subprocess.Popen([sys.executable, "-m", "web", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/dashboard/login", process, log)
        yield f"http://localhost:{port}"
    finally:
        stop(process)


class Visitor:
    """A browser without redirects that keeps the dashboard cookie (urllib's jar drops Secure cookies on http)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.page = ""

    @property
    def cookie(self) -> str | None:
        session = {name: value for name, value in self.cookies.items() if not name.endswith("_login")}
        return "; ".join(f"{name}={value}" for name, value in session.items()) or None

    def status(self, url: str, data: dict[str, str] | None = None) -> int:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        cookies = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        request = urllib.request.Request(url, data=body, headers={"Cookie": cookies} if cookies else {})
        try:
            response = urllib.request.build_opener(NoRedirect).open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                if value and "max-age=0" not in header.lower():
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
            self.page = response.read().decode(errors="replace")
            return int(response.status)

    def sign_in(self, web_app: str, username: str, password: str, csrf: str | None = None) -> int:
        """The sign-in form as a browser sends it: the page's CSRF token with its login cookie."""
        self.status(f"{web_app}/dashboard/login")
        found = re.search(r'name="csrf" value="([^"]+)"', self.page)
        token = csrf if csrf is not None else (found.group(1) if found else "")
        return self.status(f"{web_app}/dashboard/login", {"username": username, "password": password, "csrf": token})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_an_anonymous_visitor_is_refused(web_app: str) -> None:
    anonymous = Visitor()
    assert anonymous.status(f"{web_app}/dashboard/") == 302  # to the sign-in page
    for path in ("/dashboard/api/live", "/dashboard/api/overview?days=7", "/dashboard/export/nlu.yml?days=7"):
        assert anonymous.status(web_app + path) == 401, path


def test_an_agent_is_refused(web_app: str) -> None:
    agent = Visitor()
    assert agent.sign_in(web_app, "mei", PASSWORD) == 403
    assert agent.cookie is None  # no session is kept for an agent
    assert agent.status(f"{web_app}/dashboard/") == 302
    assert agent.status(f"{web_app}/dashboard/api/overview?days=7") == 401


def test_a_wrong_password_and_bad_input(web_app: str) -> None:
    admin = Visitor()
    assert admin.sign_in(web_app, "boss", PASSWORD, csrf="forged") == 403  # login CSRF
    assert admin.sign_in(web_app, "boss", "wrong-one") == 401
    assert admin.sign_in(web_app, "boss", PASSWORD) == 302
    assert admin.status(f"{web_app}/dashboard/api/overview?days=7") == 200
    assert admin.status(f"{web_app}/dashboard/api/overview?days=9999") == 400
    assert admin.status(f"{web_app}/dashboard/export/nlu.yml?days=abc") == 400
    assert admin.status(f"{web_app}/dashboard/logout", {"csrf": "forged"}) == 403


def test_the_admin_sees_every_chart_and_exports_nlu(web_app: str) -> None:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{web_app}/dashboard/")
            page.fill("#username", "boss")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            page.wait_for_selector("body[data-loaded='7']", timeout=30_000)
            for chart in CHART_IDS:
                assert page.locator(f"#{chart} svg").count() >= 1, f"{chart} drew nothing"
            assert page.locator("#list-unrecognised tbody tr").first.inner_text().startswith("直播间链接在哪")
            assert page.inner_text("#live-today") == "0"  # the built week ended yesterday
            page.screenshot(path=str(SCREENSHOTS / "dashboard-7-days.png"), full_page=True)
            page.click("button[data-days='30']")
            page.wait_for_selector("body[data-loaded='30']", timeout=30_000)
            page.screenshot(path=str(SCREENSHOTS / "dashboard-30-days.png"), full_page=True)
            exported = page.request.get(f"{web_app}/dashboard/export/nlu.yml?days=7")
            assert exported.status == 200
            assert "直播间链接在哪" in exported.text() and "intent: product_inquiry" in exported.text()
        finally:
            browser.close()
    assert os.path.getsize(SCREENSHOTS / "dashboard-7-days.png") > 10_000


def test_no_tracker_store_yet_is_said_so(tmp_path: Path) -> None:
    from shop.analytics.sources import TrackerStoreNotConfigured, tracker_engine

    with pytest.raises(TrackerStoreNotConfigured):
        tracker_engine(f"sqlite:///{tmp_path / 'absent.db'}")
