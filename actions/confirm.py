"""The last question of every write: a summary from the backend's quote, then 确认/算了."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import exchanges, returns
from actions.address import confirm_address
from actions.cancel import confirm_cancel
from actions.invoices import confirm_invoice
from actions.logistics import confirm_logistics
from actions.payments import confirm_duplicate_refund
from actions.return_parcels import confirm_return_parcel, wants_parcel
from actions.wording import label, money, product_name

# Forms whose summary lives next to their flow: form -> (tracker, dispatcher, domain) -> None.
CONFIRMATIONS = {
    "cancel_form": confirm_cancel,
    "address_form": confirm_address,
    "payment_form": confirm_duplicate_refund,
    "invoice_form": confirm_invoice,
    "logistics_form": confirm_logistics,
}


class ActionAskConfirmed(Action):
    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        form = tracker.active_loop_name
        if form in ("return_form", "exchange_form") and wants_parcel(tracker):
            confirm_return_parcel(tracker, dispatcher, domain)
        elif form == "return_form":
            self._confirm_return(dispatcher, tracker, domain)
        elif form == "exchange_form":
            self._confirm_exchange(dispatcher, tracker, domain)
        elif form in CONFIRMATIONS:
            CONFIRMATIONS[form](tracker, dispatcher, domain)
        return []

    @staticmethod
    def _confirm_return(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        quote = returns.quote(tracker, dispatcher)
        if quote is None:
            return
        compensation = ""
        if quote.shipping_fee_compensation:
            compensation = label(domain, "compensation", "shipping_fee").replace(
                "{amount}", money(quote.shipping_fee_compensation)
            )
        dispatcher.utter_message(
            response="utter_confirm_return",
            order_no=tracker.get_slot("order_id"),
            item=product_name(quote.item.title, quote.item.title_en),
            reason=label(domain, "reason", tracker.get_slot("reason") or "no_reason"),
            refund_amount=money(quote.refund_amount),
            compensation=compensation,
        )

    @staticmethod
    def _confirm_exchange(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        quote = exchanges.quote(tracker, dispatcher)
        if quote is None:
            return
        dispatcher.utter_message(
            response="utter_confirm_exchange",
            order_no=tracker.get_slot("order_id"),
            item=product_name(quote.item.title, quote.item.title_en),
            target=exchanges.describe_target(quote),
            difference=exchanges.difference_text(quote, domain),
        )
