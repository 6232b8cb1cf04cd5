"""Proactive notices in the conversation (issue 33): action_notice words the notice being delivered into this
conversation (and nothing else), 好的 after a stuck parcel's notice files the claim once, and a shopper stops
and resumes notices."""

from __future__ import annotations

from typing import Any

import pytest
from actions_testkit import (
    SENDER_ID,
    count_rows,
    db_session,
    make_tracker,
    message,
    names,
    run_action,
    slot_sets,
    token_for,
    user_event,
)

from actions.notices import ActionNotice, ActionNoticeClaim, ActionNoticeParcelStuck, ActionNoticePreference
from shop.clock import system_clock
from shop.db import session_scope
from shop.models import Claim, Notice, NoticePreference, Order
from shop.seed import DEMO_ORDERS
from shop.services.notices import claim_for_delivery

pytestmark = pytest.mark.usefixtures("shop_db")

STUCK = DEMO_ORDERS["stuck"]
FACTS: dict[str, dict[str, Any]] = {
    "parcel_stuck": {"order_no": STUCK, "hours": 80, "courier": "圆通速递", "place": "深圳市", "amount": "699.00"},
    "ship_late": {"order_no": DEMO_ORDERS["ship_overdue"], "ship_by": "2026-12-06T02:00:00"},
    "shipment_exception": {"order_no": STUCK, "exception": "lost", "place": "武汉"},
    "after_sale_update": {"order_no": DEMO_ORDERS["return_in_progress"], "request_no": "AS1", "type": "return",
                          "status": "received", "amount": "459.00"},
    "refund_paid": {"order_no": DEMO_ORDERS["return_in_progress"], "request_no": "AS1", "type": "return",
                    "status": "refunded", "amount": "459.00"},
    "invoice_issued": {"order_no": DEMO_ORDERS["delivered_in_window"]},
}


def notice(kind: str, facts: dict[str, Any], conversation_id: str | None = SENDER_ID) -> int:
    """A recorded notice of customer 1, taken for delivery into `conversation_id` (None: still unread)."""
    with session_scope(db_session().get_bind()) as session:
        row = Notice(key=f"test:{kind}:{facts}", customer_id=1, kind=kind, facts=facts, status="unread",
                     created_at=system_clock())
        session.add(row)
        session.flush()
        if conversation_id:
            assert claim_for_delivery(session, row.id, conversation_id)
        return row.id


def external(kind: str, notice_id: Any) -> list[dict[str, Any]]:
    """The user event Rasa records for trigger_intent: no text of the shopper's, no token."""
    return [user_event(f"EXTERNAL: EXTERNAL_{kind}", f"EXTERNAL_{kind}",
                       entities=[{"entity": "notice_id", "value": str(notice_id)}])]


@pytest.mark.parametrize("kind", sorted(FACTS))
def test_each_kind_is_worded_by_its_response_with_every_placeholder(kind: str, domain: dict[str, Any]) -> None:
    notice_id = notice(kind, FACTS[kind])
    dispatcher, events = run_action(ActionNotice(), make_tracker(events=external(kind, notice_id)), domain)
    assert len(dispatcher.messages) == 1 and names(dispatcher)[0].startswith("utter_notice_")
    assert slot_sets(events) == {"order_id": FACTS[kind]["order_no"]}


def test_the_stuck_parcel_notice_says_its_facts(domain: dict[str, Any]) -> None:
    notice_id = notice("parcel_stuck", FACTS["parcel_stuck"])
    tracker = make_tracker(events=external("parcel_stuck", notice_id))
    dispatcher, _ = run_action(ActionNoticeParcelStuck(), tracker, domain)
    said = message(dispatcher, "utter_notice_parcel_stuck")
    assert (said["order_no"], said["hours"], said["amount"]) == (STUCK, 80, "699.00")


def test_a_late_shipment_says_the_promised_time_as_shoppers_read_it(domain: dict[str, Any]) -> None:
    notice_id = notice("ship_late", FACTS["ship_late"])
    dispatcher, _ = run_action(ActionNotice(), make_tracker(events=external("ship_late", notice_id)), domain)
    assert message(dispatcher, "utter_notice_ship_late")["ship_by"] == "12-06 02:00"


@pytest.mark.parametrize("where", ["another conversation", "not being delivered", "no such notice", "not a number"])
def test_a_notice_typed_or_meant_for_another_conversation_says_nothing(where: str, domain: dict[str, Any]) -> None:
    notice_id: Any = {
        "another conversation": lambda: notice("parcel_stuck", FACTS["parcel_stuck"], "someone-else"),
        "not being delivered": lambda: notice("parcel_stuck", FACTS["parcel_stuck"], None),
        "no such notice": lambda: 999999,
        "not a number": lambda: "1 OR 1=1",
    }[where]()
    dispatcher, events = run_action(ActionNotice(), make_tracker(events=external("parcel_stuck", notice_id)), domain)
    assert dispatcher.messages == [] and events == []


def after_notice(answer: str, token: str | None) -> Any:
    events = [*external("parcel_stuck", 1), user_event(answer, "affirm", token=token)]
    return make_tracker({"order_id": STUCK}, events=events)


def claims(kind: str = "claim") -> int:
    return count_rows(Claim, Claim.order_id == Order.id, Order.order_no == STUCK, Claim.kind == kind)


def test_yes_after_the_notice_files_the_claim_once(domain: dict[str, Any]) -> None:
    token = token_for(1)
    dispatcher, _ = run_action(ActionNoticeClaim(), after_notice("好的", token), domain)
    assert names(dispatcher) == ["utter_claim_filed"] and claims() == 1
    assert claims("courier_check") == 1  # "快递核查仍在继续", as the reply says
    again, _ = run_action(ActionNoticeClaim(), after_notice("好的", token), domain)
    assert names(again) == ["utter_claim_exists"] and claims() == 1 and claims("courier_check") == 1


def test_yes_without_the_shoppers_token_files_nothing(domain: dict[str, Any]) -> None:
    dispatcher, _ = run_action(ActionNoticeClaim(), after_notice("好的", None), domain)
    assert names(dispatcher) == ["utter_notice_sign_in"] and claims() == 0 and claims("courier_check") == 0


def test_yes_from_another_shopper_files_nothing(domain: dict[str, Any]) -> None:
    dispatcher, _ = run_action(ActionNoticeClaim(), after_notice("好的", token_for(2)), domain)
    assert names(dispatcher) == ["utter_order_not_found"] and claims() == 0


def test_stop_and_resume_notices(domain: dict[str, Any]) -> None:
    def say(text: str, intent: str, token: str | None) -> list[str]:
        tracker = make_tracker(events=[user_event(text, intent, token=token)])
        return names(run_action(ActionNoticePreference(), tracker, domain)[0])

    assert say("别再提醒我了", "stop_notices", None) == ["utter_notice_sign_in"]
    assert say("别再提醒我了", "stop_notices", token_for(1)) == ["utter_notices_stopped"]
    with db_session() as session:
        assert session.get(NoticePreference, 1).muted
    assert say("恢复提醒", "resume_notices", token_for(1)) == ["utter_notices_resumed"]
    with db_session() as session:
        assert not session.get(NoticePreference, 1).muted
