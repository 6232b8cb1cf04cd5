"""The events API and the notices' pull endpoint over HTTP, without Rasa (issue 33): a bad request gets a
clear 4xx and changes nothing; with Rasa unreachable a pulled notice stays unread for the next pull."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from shop.clock import system_clock
from shop.db import make_engine, session_scope
from shop.models import Notice, ShopEvent, ShopperConversation
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.services.events import sign
from shop.tokens import mint_token
from tests.integration.conftest import ROOT, env_for, free_port, seeded_db, stop, wait_for

SECRET = "http-events-secret"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("notices-http")
    db_url = seeded_db(folder)
    with session_scope(make_engine(db_url)) as session:
        session.add(Notice(key="http:1", customer_id=DEMO_CUSTOMER_ID, kind="invoice_issued",
                           facts={"order_no": DEMO_ORDERS["delivered_in_window"]}, status="unread",
                           created_at=system_clock()))
    port = free_port()
    log = folder / "web.log"
    env = {**env_for(db_url), "SHOP_EVENTS_SECRET": SECRET, "XIAOER_API_TOKEN": "test-token",
           "XIAOER_RASA_URL": f"http://127.0.0.1:{free_port()}"}  # nobody listens there
    process = subprocess.Popen([sys.executable, "-m", "web", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/desk/login", process, log)
        yield {"url": f"http://127.0.0.1:{port}", "db_url": db_url}
    finally:
        stop(process)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", **headers}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def rows(web: dict[str, Any], model: Any, *where: Any) -> int:
    with session_scope(make_engine(web["db_url"])) as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def pull(web: dict[str, Any], body: Any, token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return post(f"{web['url']}/api/notices/pull", raw, headers)


@pytest.mark.parametrize(("body", "token", "status"), [
    ({"session_id": "abc"}, None, 401),
    ({"session_id": "abc"}, "not-a-jwt", 401),
    ({"session_id": "<script>"}, "valid", 400),
    ({"session_id": "abc", "channel": "carrier-pigeon"}, "valid", 400),
    (b"[1, 2]", "valid", 400),
    (b"not json", "valid", 400),
    ({"session_id": "x" * 2000}, "valid", 400),
])
def test_a_bad_pull_is_refused_and_remembers_nothing(web: dict[str, Any], body: Any, token: str | None,
                                                     status: int) -> None:
    answer = pull(web, body, mint_token(DEMO_CUSTOMER_ID) if token == "valid" else token)
    assert answer[0] == status
    assert rows(web, ShopperConversation) == 0 and rows(web, Notice, Notice.status == "unread") == 1


def test_with_rasa_down_a_pulled_notice_stays_unread(web: dict[str, Any]) -> None:
    status, answer = pull(web, {"session_id": "widget-http-0123456789"}, mint_token(DEMO_CUSTOMER_ID))
    assert (status, answer) == (200, {"messages": []})
    assert rows(web, ShopperConversation, ShopperConversation.conversation_id == "widget-http-0123456789") == 1
    assert rows(web, Notice, Notice.status == "unread", Notice.conversation_id.is_(None)) == 1


def test_an_oversized_or_unsigned_event_is_refused(web: dict[str, Any]) -> None:
    big = json.dumps({"id": "big", "type": "tracking.updated", "order_no": DEMO_ORDERS["in_transit"],
                      "occurred_at": "2026-01-01T00:00:00+08:00", "data": {"description": "x" * 20000}}).encode()
    assert post(f"{web['url']}/api/events", big, {"X-Xiaoer-Signature": sign(SECRET, big)})[0] == 413
    small = b'{"id": "u"}'
    assert post(f"{web['url']}/api/events", small, {})[0] == 401
    status, answer = post(f"{web['url']}/api/events", small, {"X-Xiaoer-Signature": sign(SECRET, small)})
    assert (status, answer["error"], answer["field"]) == (400, "invalid_input", "type")
    assert rows(web, ShopEvent) == 0
