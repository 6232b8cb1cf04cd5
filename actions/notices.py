"""Proactive notices (issue 33): thin adapters between Rasa and shop.services.notices.

* ``action_notice`` (``action_notice_parcel_stuck`` for a stuck parcel) words the notice an EXTERNAL_ intent
  names (entity ``notice_id``), read from the shop's record and only when it is being delivered into this
  very conversation (a notice id typed by a shopper reads nothing);
* ``action_notice_claim``: 好的 after a stuck parcel's notice files the 先行赔付 claim, once
  (shop.services.tracking), for the order of the notice and the shopper of the message's own token;
* ``action_notice_preference``: "别再提醒我了" / "恢复提醒".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, say_refusal, shop_session
from actions.identity import current_customer
from actions.order_forms import entity_value
from actions.wording import money, translated, when
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.notices import NoticeView, notice_in_conversation, set_muted
from shop.services.tracking import file_delivery_claim


def notice_response(notice: NoticeView) -> tuple[str, dict[str, Any]]:
    """The domain response that words ``notice`` and the values it is filled with."""
    facts = dict(notice.facts)
    if notice.kind == "shipment_exception":
        response = f"utter_notice_shipment_exception_{facts.get('exception')}"
    elif notice.kind == "after_sale_update":
        response = f"utter_notice_after_sale_{facts.get('status')}"
    else:
        response = f"utter_notice_{notice.kind}"
    if facts.get("ship_by"):
        facts["ship_by"] = when(datetime.fromisoformat(str(facts["ship_by"])))
    if facts.get("courier"):  # its English name to a shopper writing in English
        facts["courier"] = translated("courier", str(facts["courier"]))
    if facts.get("amount"):
        try:
            facts["amount"] = money(Decimal(str(facts["amount"])))
        except InvalidOperation:
            facts.pop("amount")
    return response, facts


class ActionNotice(Action):
    def name(self) -> str:
        return "action_notice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        notice_id = entity_value(tracker.latest_message or {}, "notice_id")
        if notice_id is None:
            return []
        try:
            with shop_session(dispatcher) as session:
                notice = notice_in_conversation(session, notice_id, tracker.sender_id)
        except BackendUnavailable:
            return []
        if notice is None:
            return []
        response, values = notice_response(notice)
        dispatcher.utter_message(response=response, **values)
        order_no = notice.facts.get("order_no")
        return [SlotSet("order_id", order_no)] if order_no else []


class ActionNoticeParcelStuck(ActionNotice):
    """A stuck parcel's notice, which offers the 先行赔付 claim: the answer to it is read as yes or no
    (addons/answers.py) and 好的 files the claim (rules/notices.yml)."""

    def name(self) -> str:
        return "action_notice_parcel_stuck"


class ActionNoticeClaim(Action):
    def name(self) -> str:
        return "action_notice_claim"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = current_customer(tracker)
        order_no = tracker.get_slot("order_id")
        if customer_id is None or not order_no:
            dispatcher.utter_message(response="utter_notice_sign_in")
            return []
        try:
            with shop_session(dispatcher) as session:
                # the courier check the chat's stuck-parcel flow opens too (the claim's reply says it goes on)
                file_delivery_claim(session, customer_id, order_no, kind="courier_check", clock=system_clock)
                claim = file_delivery_claim(session, customer_id, order_no, kind="claim", clock=system_clock)
        except DomainError as error:
            say_refusal(error, dispatcher, {"not_eligible": "utter_claim_not_eligible"}, order_no=order_no)
            return []
        except BackendUnavailable:
            return []
        dispatcher.utter_message(response="utter_claim_filed" if claim.created else "utter_claim_exists",
                                 order_no=order_no, claim_no=claim.claim_no, amount=money(claim.amount or 0))
        return []


class ActionNoticePreference(Action):
    def name(self) -> str:
        return "action_notice_preference"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = current_customer(tracker)
        if customer_id is None:
            dispatcher.utter_message(response="utter_notice_sign_in")
            return []
        muted = (tracker.latest_message.get("intent") or {}).get("name") == "stop_notices"
        try:
            with shop_session(dispatcher) as session:
                set_muted(session, customer_id, muted, clock=system_clock)
        except BackendUnavailable:
            return []
        dispatcher.utter_message(response="utter_notices_stopped" if muted else "utter_notices_resumed")
        return []
