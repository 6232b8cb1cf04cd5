"""Shop events in, proactive notices out, end to end (issue 33): a seeded shop, the action server, Rasa
(HTTP API behind its token, socket.io), the web app (events API, the widget's pull) and `python -m shop watch
--once` as an operator runs it.

A signed event pushed over HTTP ships an order whose parcel then has no update for SHOP_STUCK_AFTER_HOURS;
`watch --once` sends the notice live to the socket.io client logged in as that shopper; 好的 files the
claim once; a second pass sends nothing; a forged signature and a replayed event change nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import socketio
from sqlalchemy import func, select

from shop.clock import system_clock
from shop.db import make_engine, session_scope
from shop.models import Claim, Notice, Order, ShopEvent, TrackingEvent
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.services.events import sign
from shop.tokens import mint_token
from tests.integration.conftest import (
    MODEL,
    RASA,
    ROOT,
    api,
    env_for,
    free_port,
    running_action_server,
    seeded_db,
    stop,
    wait_for,
)

EVENTS_SECRET = "test-events-secret"
STUCK_AFTER_HOURS = 24
ORDER = DEMO_ORDERS["packing_today"]  # paid 30 hours ago, not shipped yet
WAIT_S = 60


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    model = Path(os.environ.get("XIAOER_TEST_MODEL") or MODEL)
    if not model.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    folder = tmp_path_factory.mktemp("notices")
    db_url = seeded_db(folder)
    env = {**env_for(db_url), "SHOP_EVENTS_SECRET": EVENTS_SECRET, "SHOP_STUCK_AFTER_HOURS": str(STUCK_AFTER_HOURS),
           "SHOP_QUIET_HOURS": ""}  # whatever the hour the suite runs at
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOP_STUCK_AFTER_HOURS", str(STUCK_AFTER_HOURS))  # the action server's too (env_for)
        yield from _servers(model, db_url, env, folder)


def _servers(model: Path, db_url: str, env: dict[str, str], folder: Path) -> Iterator[dict[str, Any]]:
    with running_action_server(db_url, folder) as endpoints:
        rasa_port, web_port = free_port(), free_port()
        rasa_log, web_log = folder / "rasa.log", folder / "web.log"
        rasa = subprocess.Popen(
            [str(RASA), "run", "-m", str(model), "--enable-api", f"--auth-token={env['XIAOER_API_TOKEN']}",
             "--interface", "127.0.0.1", "--port", str(rasa_port), "--endpoints", str(endpoints),
             "--credentials", str(ROOT / "credentials.yml")],
            cwd=ROOT, env=env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT,
        )
        rasa_url = f"http://127.0.0.1:{rasa_port}"
        env["XIAOER_RASA_URL"] = rasa_url
        web = subprocess.Popen([sys.executable, "-m", "web", "--port", str(web_port)], cwd=ROOT, env=env,
                               stdout=web_log.open("w"), stderr=subprocess.STDOUT)
        try:
            wait_for(api(rasa_url, "/status"), rasa, rasa_log)
            wait_for(f"http://127.0.0.1:{web_port}/desk/login", web, web_log)
            yield {"rasa": rasa_url, "web": f"http://127.0.0.1:{web_port}", "env": env, "db_url": db_url,
                   "folder": folder}
        finally:
            stop(web)
            stop(rasa)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", **headers}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def push(stack: dict[str, Any], event: dict[str, Any], signature: str | None = None) -> tuple[int, dict[str, Any]]:
    body = json.dumps(event, ensure_ascii=False).encode()
    return post(f"{stack['web']}/api/events", body, {"X-Xiaoer-Signature": signature or sign(EVENTS_SECRET, body)})


def watch_once(stack: dict[str, Any]) -> str:
    done = subprocess.run([sys.executable, "-m", "shop", "watch", "--once"], cwd=ROOT, env=stack["env"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def count(stack: dict[str, Any], model: Any, *where: Any) -> int:
    with session_scope(make_engine(stack["db_url"])) as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def shipped_event(hours_ago: int) -> dict[str, Any]:
    at = system_clock() - timedelta(hours=hours_ago)
    return {"id": f"ship-{ORDER}", "type": "order.shipped", "order_no": ORDER,
            "occurred_at": at.isoformat(timespec="seconds") + "+08:00",
            "data": {"courier": "顺丰速运", "tracking_no": "SF1400000001", "place": "杭州市",
                     "description": "快件已揽收"}}


class Widget:
    """A shopper's widget: socket.io session as the widget opens it, then its pull of notices."""

    def __init__(self, stack: dict[str, Any], token: str) -> None:
        self.stack, self.token, self.session_id = stack, token, uuid.uuid4().hex
        self.client = socketio.AsyncClient()
        self.received: list[dict[str, Any]] = []
        self.client.on("bot_uttered", self.received.append)

    async def open(self) -> list[dict[str, Any]]:
        confirmed = asyncio.Event()
        self.client.on("session_confirm", lambda _data: confirmed.set())
        await self.client.connect(self.stack["rasa"], transports=["websocket"])
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(confirmed.wait(), WAIT_S)
        body = json.dumps({"session_id": self.session_id, "channel": "socketio"}).encode()
        status, answer = await asyncio.to_thread(
            post, f"{self.stack['web']}/api/notices/pull", body, {"Authorization": f"Bearer {self.token}"})
        assert status == 200, answer
        return answer["messages"]

    async def say(self, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id,
                                                "metadata": {"customer_token": self.token}})

    async def wait_for_text(self, *words: str) -> str:
        for _ in range(WAIT_S * 10):
            found = [m.get("text", "") for m in self.received if all(w in m.get("text", "") for w in words)]
            if found:
                return found[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no message with {words}; got {[m.get('text') for m in self.received]}")


def test_a_pushed_event_makes_a_parcel_stuck_and_the_shopper_gets_the_notice_live(stack: dict[str, Any]) -> None:
    assert watch_once(stack).startswith("notices: ")  # the demo's due notices, kept unread: nobody is online
    unread_before = count(stack, Notice, Notice.status == "unread", Notice.customer_id == DEMO_CUSTOMER_ID)
    assert unread_before > 0

    replies: list[str] = []

    async def scenario() -> None:
        widget = Widget(stack, mint_token(DEMO_CUSTOMER_ID))
        try:
            pulled = await widget.open()
            # the demo's unread notices come worded by the assistant when the widget opens
            assert len(pulled) >= unread_before and any("主动提醒" in m.get("text", "") for m in pulled)
            status, answer = await asyncio.to_thread(push, stack, shipped_event(STUCK_AFTER_HOURS + 5))
            assert (status, answer["applied"]) == (200, True)
            report = await asyncio.to_thread(watch_once, stack)
            assert report.startswith("notices: 1 new, 1 sent live, "), report  # other shoppers' stay unread
            notice = await widget.wait_for_text(ORDER, "先行赔付")
            assert f"已 {STUCK_AFTER_HOURS + 5} 小时没有物流更新" in notice
            await widget.say("好的")
            replies.append(await _claim_reply(widget))
        finally:
            await widget.client.disconnect()

    with ThreadPoolExecutor(1) as thread:  # a loop of its own, even beside Playwright's (tests/web)
        thread.submit(asyncio.run, scenario()).result()
    order_claims = (Claim.order_id == Order.id, Order.order_no == ORDER, Claim.kind == "claim")
    assert count(stack, Claim, *order_claims) == 1
    with session_scope(make_engine(stack["db_url"])) as session:
        claim_no = session.execute(select(Claim.claim_no).join(Order, Claim.order_id == Order.id)
                                   .where(*order_claims)).scalar_one()
    assert claim_no in replies[0]
    assert watch_once(stack).startswith("notices: 0 new, 0 sent live, ")  # a second pass sends nothing
    assert count(stack, Claim, *order_claims) == 1


async def _claim_reply(widget: Widget) -> str:
    for _ in range(WAIT_S * 10):
        replies = [m.get("text", "") for m in widget.received if "CL" in m.get("text", "") and "¥" in m.get("text", "")]
        if replies:
            return replies[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no claim reply; got {[m.get('text') for m in widget.received]}")


def test_a_forged_signature_changes_nothing(stack: dict[str, Any]) -> None:
    event = {"id": "forged-1", "type": "order.delivered", "order_no": DEMO_ORDERS["in_transit"],
             "occurred_at": system_clock().isoformat(timespec="seconds") + "+08:00", "data": {}}
    body = json.dumps(event).encode()
    before = count(stack, ShopEvent)
    for signature in ("", "sha256=" + "0" * 64, sign("another secret", body), sign(EVENTS_SECRET, body + b" ")):
        status, answer = post(f"{stack['web']}/api/events", body, {"X-Xiaoer-Signature": signature})
        assert (status, answer["error"]) == (401, "bad_signature")
    assert count(stack, ShopEvent) == before
    with session_scope(make_engine(stack["db_url"])) as session:
        assert session.execute(select(Order.status).where(Order.order_no == DEMO_ORDERS["in_transit"])).scalar_one() \
            == "shipped"


def test_a_replayed_event_changes_nothing_and_a_bad_one_says_why(stack: dict[str, Any]) -> None:
    event = {"id": "scan-replay-1", "type": "tracking.updated", "order_no": DEMO_ORDERS["in_transit"],
             "occurred_at": system_clock().isoformat(timespec="seconds") + "+08:00",
             "data": {"place": "南京转运中心", "description": "快件已到达"}}
    assert push(stack, event) == (200, {"id": "scan-replay-1", "type": "tracking.updated", "applied": True})
    scans = count(stack, TrackingEvent)
    assert push(stack, event)[1]["applied"] is False
    assert count(stack, TrackingEvent) == scans
    status, answer = push(stack, {**event, "data": {"description": "改过的"}})
    assert (status, answer["error"]) == (409, "conflict")
    status, answer = push(stack, {**event, "id": "bad-1", "type": "order.teleported"})
    assert (status, answer["error"], answer["field"]) == (400, "invalid_input", "type")
    status, answer = push(stack, {**event, "id": "bad-2", "order_no": "8800009999999999"})
    assert (status, answer["error"]) == (404, "not_found")
    assert count(stack, TrackingEvent) == scans
