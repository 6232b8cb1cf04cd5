"""With the action server down, the shopper gets a polite "system busy", never silence."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.tokens import mint_token
from tests.integration.conftest import MODEL, RASA, ROOT, Chat, env_for, free_port, stop, wait_for


@pytest.fixture(scope="module")
def rasa_without_actions(tmp_path_factory: pytest.TempPathFactory, shop_db_url: str) -> Iterator[str]:
    if not MODEL.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    folder = tmp_path_factory.mktemp("no-actions")
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{free_port()}/webhook"\n')
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
    shopper = Chat(rasa_without_actions, "down-1", mint_token(DEMO_CUSTOMER_ID))
    reply = shopper.texts(f"查一下订单 {DEMO_ORDERS['in_transit']}")
    assert "系统有点忙" in reply


def test_handoff_request_gets_a_polite_busy_reply(rasa_without_actions: str) -> None:
    shopper = Chat(rasa_without_actions, "down-2")
    assert "系统有点忙" in shopper.texts("转人工")


def test_small_talk_still_works(rasa_without_actions: str) -> None:
    assert "店小二" in Chat(rasa_without_actions, "down-3").texts("你好")




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
