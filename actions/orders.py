"""查订单: which order (buttons of recent orders for identified shoppers), then its status."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.backend import BackendUnavailable, shop_session
from actions.identity import token_customer
from actions.order_forms import (
    OrderFormValidation,
    describe_order,
    entity_value,
    flow_of,
    holds_product,
    load_order,
    offered_orders,
    product_as_named,
    product_of_the_problem,
    reset_flow_events,
)
from actions.return_parcels import parcel_orders, wants_parcel
from actions.satisfaction import offer_rating
from actions.wording import english, label, listed, money, place, product_name, translated, when
from shop.services.eligibility import only_unpaid_offered
from shop.services.views import ItemView, OrderDetail, OrderSummary, TrackingInfo

MAX_TIMELINE_EVENTS = 5


def describe_items(items: list[ItemView]) -> str:
    """"T恤 黑色/L ×1、袜子 白色/均码 ×2" (in English: English names and colours where the shop has them)."""
    parts = []
    for item in items:
        spec = "/".join(v for v in (translated("color", item.color), item.size) if v)
        parts.append(f"{product_name(item.title, item.title_en)}{' ' + spec if spec else ''} ×{item.quantity}")
    return listed(parts)


class ActionAskOrderId(Action):
    """Asks which order; an identified shopper gets their recent orders as buttons."""

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = token_customer(tracker)
        if customer_id is None:
            dispatcher.utter_message(response="utter_ask_order_id")
            return []
        try:
            with shop_session(dispatcher) as session:
                orders = self.offered(session, customer_id, tracker)
        except BackendUnavailable:
            return []
        if not orders:
            dispatcher.utter_message(response="utter_no_orders")
            dispatcher.utter_message(response="utter_ask_order_id")
            return []
        buttons = [
            {
                "title": f"{order.order_no} {describe_order(order, domain)}",
                "payload": f'/inform{{"order_id": "{order.order_no}"}}',
            }
            for order in orders
        ]
        product = tracker.get_slot("order_product")
        if product and all(holds_product(order, product) for order in orders):  # else none held it: all offered
            dispatcher.utter_message(response="utter_choose_order_with_product", buttons=buttons,
                                     count=len(orders), product=product_as_named(orders[0], product))
        elif only_unpaid_offered(flow_of(tracker.active_loop_name), [order.status for order in orders]):
            dispatcher.utter_message(response="utter_choose_order_unpaid_only", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_choose_order", buttons=buttons)
        return []

    def offered(self, session: Session, customer_id: int, tracker: Tracker) -> list[OrderSummary]:
        if tracker.active_loop_name in ("return_form", "exchange_form") and wants_parcel(tracker):
            return parcel_orders(session, customer_id)  # 寄回运单: the orders with a parcel to send back
        return offered_orders(session, customer_id, tracker.active_loop_name, tracker=tracker)


class ValidateOrderForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_order_form"


class ActionShowOrder(Action):
    """Status, items, the backend's progress hint and the tracking timeline; the after-sales choices
    too when the shopper named a problem with the goods."""

    def name(self) -> str:
        return "action_show_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("flow_blocked"):
            return reset_flow_events()
        order = load_order(tracker, dispatcher)
        if order is None:
            return reset_flow_events()
        show_order(order, dispatcher, domain)
        if tracker.get_slot("reason"):
            # "订单X少了个洗面奶" read as a lookup: the order, then what can be done about the problem,
            # with the reason kept for the flow the shopper picks (and no rating yet).
            dispatcher.utter_message(response="utter_reason_without_flow")
            return [event for event in reset_flow_events() if event.get("name") != "reason"]
        return reset_flow_events() + offer_rating(tracker, "lookup")


def masked_address(order: OrderDetail) -> str:
    address = order.address
    recipient = f" ({address.recipient_masked})" if english() else f"（{address.recipient_masked}）"
    return f"{place(address.province, address.city, address.district)}{address.street_masked}{recipient}"


def show_order(order: OrderDetail, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    dispatcher.utter_message(
        response="utter_order_summary",
        order_no=order.order_no,
        created_at=when(order.created_at),
        items=describe_items(order.items),
        paid_amount=money(order.paid_amount),
        phone=order.address.phone_masked,
        address=masked_address(order),
    )
    dispatcher.utter_message(response=f"utter_order_status_{order.status}")
    dispatcher.utter_message(
        response=f"utter_progress_{order.progress.code}", **_params(order.progress.params, domain)
    )
    if order.tracking is not None:
        show_tracking(order.tracking, dispatcher)


def show_tracking(tracking: TrackingInfo, dispatcher: CollectingDispatcher, stuck_hint: bool = True) -> None:
    if not tracking.events:
        dispatcher.utter_message(response="utter_tracking_none")
        return
    timeline = "\n".join(
        f"{when(event.time)} {event.place} {event.description}".strip()
        for event in tracking.events[:MAX_TIMELINE_EVENTS]
    )
    if english():  # the courier's updates come as the courier wrote them
        timeline = f"{label(None, 'note', 'courier_updates_in_chinese')}\n{timeline}"
    dispatcher.utter_message(response="utter_tracking", courier=translated("courier", tracking.courier),
                             tracking_no=tracking.tracking_no, timeline=timeline)
    if tracking.claim_eligible and stuck_hint:
        dispatcher.utter_message(response="utter_tracking_stuck", hours=int(tracking.hours_since_update or 0))


def _params(params: dict[str, Any], domain: DomainDict) -> dict[str, Any]:
    """Plain values for the response template: dates formatted, objects left out."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if hasattr(value, "strftime"):
            shown[key] = when(value)
        elif value is None or isinstance(value, (str, int, float, Decimal)):
            shown[key] = str(value) if isinstance(value, Decimal) else value
    for key in ("reason", "delay_reason"):
        if key in shown and not shown[key]:
            shown[key] = label(domain, "delay", "unknown")
    return shown


def names_a_reason(message: dict[str, Any]) -> bool:
    """The message names a problem with the goods or the parcel ("坏了", "漏水", "发错货"): a `reason`."""
    return entity_value(message, "reason") is not None


class ActionRouteInform(Action):
    """Information without a flow: a problem with the goods ("东西坏了", "发错货了") gets the after-sales
    choices, with the reason (and order number, if given) kept for the flow the shopper picks; an
    order number alone means "show me this order"; words a flow's question could not take, a hint."""

    def name(self) -> str:
        return "action_route_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if names_a_reason(tracker.latest_message):
            # Worded by the reason slot (conditions in domain/responses/small_talk.yml), set from this message.
            dispatcher.utter_message(response="utter_reason_without_flow")
            return product_of_the_problem(tracker)
        if entity_value(tracker.latest_message, "order_id") is not None:
            return [FollowupAction("order_form")]
        if tracker.active_loop.get("name") and tracker.get_slot("requested_slot"):
            # A flow's question got an answer it could not take ("穿着不合适" for the reason): the menu
            # of flows would lead away from it; the question is asked again after this.
            dispatcher.utter_message(response="utter_inform_not_an_answer")
            return []
        dispatcher.utter_message(response="utter_inform_without_context")
        return []


# "你是机器人吗", "是真人吗", "are you a bot": who is answering is a fair question, not an off-topic one.
ASKS_WHO_ANSWERS = re.compile(
    r"机器人|真人|人工智能|智能客服|自动回复|\bAI\b|\b(?:ro)?bot\b|real person", re.IGNORECASE
)


class ActionOutOfScope(Action):
    """Off-topic, unless the message names a problem with the goods: "东西坏了怎么办" is read as
    off-topic for its "怎么办", but the shopper needs the after-sales choices, as for "东西坏了". A
    shopper asking whether a person or a bot answers is told, with the way to a person."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if names_a_reason(tracker.latest_message):
            dispatcher.utter_message(response="utter_reason_without_flow")
            return product_of_the_problem(tracker)
        if ASKS_WHO_ANSWERS.search(str(tracker.latest_message.get("text") or "")):
            dispatcher.utter_message(response="utter_who_answers")
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []
