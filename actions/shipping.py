"""催发货: the backend compares now with the promised ship-by time and records the reminder."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, shop_session
from actions.identity import current_customer
from actions.order_forms import OrderFormValidation, load_order, reset_flow_events
from actions.orders import show_tracking
from actions.wording import label, when
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.shipping import urge_shipment


class ValidateUrgeForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_urge_form"


class ActionUrgeShipment(Action):
    def name(self) -> str:
        return "action_urge_shipment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = current_customer(tracker)
        order_no = tracker.get_slot("order_id")
        if tracker.get_slot("flow_blocked") or customer_id is None or not order_no:
            return reset_flow_events()
        try:
            with shop_session(dispatcher) as session:
                result = urge_shipment(session, customer_id, order_no, clock=system_clock)
        except DomainError:
            dispatcher.utter_message(response="utter_order_not_found")
            return reset_flow_events()
        except BackendUnavailable:
            return reset_flow_events()
        params = {
            "order_no": order_no,
            "ship_by": when(result.ship_by) if result.ship_by else "",
            "eta": when(result.eta) if result.eta else "",
            "delay_reason": result.delay_reason or label(domain, "delay", "unknown"),
        }
        dispatcher.utter_message(response=f"utter_urge_{result.code}", **params)
        if result.ticket_no:
            dispatcher.utter_message(
                response="utter_urge_escalated", count=result.reminder_count, ticket_no=result.ticket_no
            )
        if result.code == "already_shipped":
            order = load_order(tracker, dispatcher)
            if order is not None and order.tracking is not None:
                show_tracking(order.tracking, dispatcher)
        return reset_flow_events()
