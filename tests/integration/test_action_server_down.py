"""With the action server down, the shopper gets a polite "system busy", never silence."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain

from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.tokens import mint_token
from tests.integration.conftest import (
    MODEL,
    NLG_ENDPOINT,
    RASA,
    ROOT,
    Chat,
    env_for,
    free_port,
    running_action_server,
    seeded_db,
    sender_id,
    stop,
    wait_for,
)


@pytest.fixture(scope="module")
def rasa_without_actions(tmp_path_factory: pytest.TempPathFactory, shop_db_url: str) -> Iterator[str]:
    if not MODEL.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    folder = tmp_path_factory.mktemp("no-actions")
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{free_port()}/webhook"\n' + NLG_ENDPOINT)
    port = free_port()
    log = folder / "rasa.log"
    process = subprocess.Popen(
        [str(RASA), "run", "-m", str(MODEL), "--enable-api", "--port", str(port), "--endpoints", str(endpoints)],
        cwd=ROOT, env=env_for(shop_db_url), stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/status", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def test_order_query_gets_a_polite_busy_reply(rasa_without_actions: str) -> None:
    shopper = Chat(rasa_without_actions, sender_id("down-1"), mint_token(DEMO_CUSTOMER_ID))
    reply = shopper.texts(f"查一下订单 {DEMO_ORDERS['in_transit']}")
    assert "系统有点忙" in reply


def test_handoff_request_gets_a_polite_busy_reply(rasa_without_actions: str) -> None:
    shopper = Chat(rasa_without_actions, sender_id("down-2"))
    assert "系统有点忙" in shopper.texts("转人工")


def test_small_talk_still_works(rasa_without_actions: str) -> None:
    assert "店小二" in Chat(rasa_without_actions, sender_id("down-3")).texts("你好")




PHONE_QUESTION = "手机号的后 4 位"


@pytest.mark.parametrize("request_text", [
    f"查一下订单 {DEMO_ORDERS['in_transit']}",
    f"订单{DEMO_ORDERS['delivered_in_window']}我要退货",
    "我的快递到哪了",
    "我要开发票",
])
def test_a_logged_in_shopper_is_never_asked_for_the_phone_because_an_action_failed(
    rasa_without_actions: str, request_text: str
) -> None:
    """Issue 28, point 9: with the validation action down, Rasa asked the domain's next question (the phone)."""
    shopper = Chat(rasa_without_actions, f"down-token-{abs(hash(request_text))}", mint_token(DEMO_CUSTOMER_ID))
    first = shopper.texts(request_text)
    assert PHONE_QUESTION not in first and first.count("系统有点忙") == 1
    again = shopper.texts("1234")  # nothing asked, so nothing of a form takes this as the phone
    assert PHONE_QUESTION not in again


def _show_order(webhook: str, domain: dict[str, Any], token: str) -> list[str]:
    """Ask the action server, as Rasa does, to show an order to the token's shopper; the responses' names."""
    metadata = {"customer_token": token}
    parse = {"text": "查一下订单", "intent": {"name": "query_order", "confidence": 1.0}, "entities": [],
             "metadata": metadata}
    call = {"next_action": "action_show_order", "sender_id": "db-recovery", "version": "3.6.2", "domain": domain,
            "tracker": {"sender_id": "db-recovery", "slots": {"order_id": DEMO_ORDERS["in_transit"]},
                        "latest_message": parse, "latest_action_name": "action_listen", "paused": False,
                        "followup_action": None, "active_loop": {}, "latest_event_time": 1.0,
                        "events": [{"event": "user", "text": "查一下订单", "parse_data": parse, "metadata": metadata,
                                    "timestamp": 1.0}]}}
    request = urllib.request.Request(webhook, json.dumps(call).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return [str(message.get("response")) for message in json.load(response)["responses"]]


def test_the_action_server_serves_again_once_its_database_is_back(tmp_path: Path, project_domain: Domain) -> None:
    """Issue 28, point 9: the file removed while the action server runs gives the busy reply (no empty
    database is created in its place); restored (as a copy, another file), the next call is served."""
    database = tmp_path / "shop.db"
    domain = project_domain.as_dict()
    token = mint_token(DEMO_CUSTOMER_ID)
    with running_action_server(seeded_db(tmp_path), tmp_path) as endpoints:
        webhook = re.search(r'url: "([^"]+)"', endpoints.read_text()).group(1)  # type: ignore[union-attr]
        served = _show_order(webhook, domain, token)
        assert "utter_system_busy" not in served and served
        database.rename(tmp_path / "aside.db")
        assert _show_order(webhook, domain, token) == ["utter_system_busy"]
        assert not database.exists()
        shutil.copy(tmp_path / "aside.db", database)
        assert _show_order(webhook, domain, token) == served
