"""The whole front in a real browser: a seeded shop, the action server, Rasa (HTTP API behind a token,
the socket.io channel), the web app, and headless Chromium from Debian's packages driven by Playwright.

Outside CI the tests skip when no chromium is installed; with CI=true they must run (.ci/run installs
chromium and chromium-driver). Screenshots of every step go to var/test-output/web/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shop.clock import system_clock
from shop.db import make_engine, session_scope
from shop.services.agents import add_agent
from tests.integration.conftest import (
    MODEL,
    RASA,
    ROOT,
    env_for,
    free_port,
    running_action_server,
    seeded_db,
    stop,
    wait_for,
)

SCREENSHOTS = ROOT / "var" / "test-output" / "web"
AGENT_PASSWORD = "desk-password-1"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    configured = os.environ.get("XIAOER_CHROMIUM")
    if configured:
        return configured
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser_executable() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no chromium found: .ci/run installs Debian's chromium and chromium-driver")
        pytest.skip("no chromium installed (apt-get install chromium chromium-driver); browser tests skipped")
    return path


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Shop DB with two agents, action server, Rasa with the API token, the web app; their URLs."""
    model = Path(os.environ.get("XIAOER_TEST_MODEL") or MODEL)  # e.g. a model trained elsewhere
    if not model.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    folder = tmp_path_factory.mktemp("web")
    db_url = seeded_db(folder)
    with session_scope(make_engine(db_url)) as session:
        add_agent(session, username="mei", password=AGENT_PASSWORD, display_name="小美", role="agent",
                  skill_groups=("售后", "物流"), clock=system_clock)
        add_agent(session, username="pay", password=AGENT_PASSWORD, display_name="小钱", role="agent",
                  skill_groups=("支付",), clock=system_clock)
    api_token = secrets.token_urlsafe(24)
    env = {**env_for(db_url), "XIAOER_API_TOKEN": api_token, "XIAOER_UPLOAD_DIR": str(folder / "uploads")}
    with running_action_server(db_url, folder) as endpoints:
        rasa_port, web_port = free_port(), free_port()
        rasa_log, web_log = folder / "rasa.log", folder / "web.log"
        rasa = subprocess.Popen(
            [str(RASA), "run", "-m", str(model), "--enable-api", "--auth-token", api_token, "--port", str(rasa_port),
             "--cors", "*", "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml")],
            cwd=ROOT, env=env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT,
        )
        rasa_url = f"http://127.0.0.1:{rasa_port}"
        web = subprocess.Popen(
            [sys.executable, "-m", "web", "--port", str(web_port)], cwd=ROOT,
            env={**env, "XIAOER_RASA_URL": rasa_url}, stdout=web_log.open("w"), stderr=subprocess.STDOUT,
        )
        try:
            wait_for(f"{rasa_url}/status?token={api_token}", rasa, rasa_log)
            wait_for(f"http://127.0.0.1:{web_port}/desk/login", web, web_log)
            # localhost, not 127.0.0.1: the desk's Secure cookie and the page are on the same host name.
            yield {"web": f"http://localhost:{web_port}", "rasa": rasa_url, "api_token": api_token,
                   "db_url": db_url, "web_log": str(web_log), "rasa_log": str(rasa_log)}
        finally:
            stop(web)
            stop(rasa)


@pytest.fixture(scope="session")
def browser(browser_executable: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=browser_executable,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield launched
        finally:
            launched.close()


class Shots:
    """Numbered screenshots of a test's steps under var/test-output/web/<test>/ (and of every page it
    showed, when it fails)."""

    def __init__(self, name: str) -> None:
        self.folder = SCREENSHOTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.pages: list[Any] = []

    def take(self, page: Any, step: str) -> Path:
        if page not in self.pages:
            self.pages.append(page)
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path))
        return path

    def take_failure(self) -> None:
        for number, page in enumerate(self.pages, 1):
            try:
                page.screenshot(path=str(self.folder / f"failed-page{number}.png"))
            except Exception:  # noqa: BLE001 - the page may be closed already; the test's own error matters
                continue


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    shots = getattr(item, "funcargs", {}).get("shots")
    if report.when == "call" and report.failed and isinstance(shots, Shots):
        shots.take_failure()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


@pytest.fixture
def open_page(browser: Any, shots: Shots) -> Iterator[Callable[..., Any]]:
    """A page in a browser context of its own (another person); closed after the test's report."""
    contexts: list[Any] = []

    def open_(**context_options: Any) -> Any:
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        shots.pages.append(page)
        return page

    yield open_
    for context in contexts:
        context.close()
