"""Frozen result types returned by the services (the contract with the actions layer).

They carry codes and data only -- never chatbot sentences. Datetimes are naive shop
time, money is ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class AddressView:
    """A shipping address as shown in chat: street, recipient and phone are masked."""

    province: str
    city: str
    district: str
    street_masked: str
    recipient_masked: str
    phone_masked: str


@dataclass(frozen=True)
class ItemView:
    item_id: int
    sku_code: str
    title: str
    category: str
    size: str | None
    color: str | None
    quantity: int
    unit_price: Decimal
    paid_amount: Decimal
    title_en: str | None = None  # the product's English name, if the shop has one (issue 35)


@dataclass(frozen=True)
class Progress:
    """Order progress as a code + params; the bot owns the sentence."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventView:
    time: datetime
    place: str
    description: str


@dataclass(frozen=True)
class TrackingInfo:
    order_no: str
    courier: str
    tracking_no: str
    shipped_at: datetime
    events: list[EventView]  # newest first
    latest: EventView | None
    hours_since_update: int  # whole hours since the latest event (or shipment)
    is_stuck: bool
    claim_eligible: bool
    delivered: bool


@dataclass(frozen=True)
class OrderSummary:
    order_no: str
    status: str
    created_at: datetime
    total_amount: Decimal
    item_titles: list[str]
    item_titles_en: list[str | None] = field(default_factory=list)  # English names, None where there is none


@dataclass(frozen=True)
class OrderDetail:
    order_no: str
    status: str
    created_at: datetime
    paid_at: datetime | None
    ship_by: datetime | None
    delivered_at: datetime | None
    total_amount: Decimal
    paid_amount: Decimal
    items: list[ItemView]
    address: AddressView
    progress: Progress
    tracking: TrackingInfo | None
    delay_reason: str | None


@dataclass(frozen=True)
class AfterSaleView:
    request_no: str
    type: str  # return / exchange / refund_only
    status: str
    order_no: str
    reason_kind: str
    refund_amount: Decimal | None
    shipping_fee_compensation: Decimal
    return_address: str | None
    pickup_slot: str | None
    price_difference: Decimal | None  # exchange: >0 shopper pays, <0 shopper is refunded
    target_sku_code: str | None
    refund_method: str | None
    expected_arrival_days: tuple[int, int] | None
    created_at: datetime
    created: bool  # False when an existing request was returned (idempotent repeat)
    timeline: list[tuple[str, datetime]]
    item_ids: list[int] = field(default_factory=list)
    waybill_no: str | None = None  # the parcel the shopper posted back (寄回运单), once recorded


@dataclass(frozen=True)
class ReturnQuote:
    eligible: bool
    code: str  # ok / not_delivered / window_expired / category_not_returnable / already_requested
    refund_amount: Decimal
    shipping_fee_compensation: Decimal
    deadline: date | None  # last calendar day a return may be requested
    item: ItemView | None  # the item, or None when quoting several items at once
    items: list[ItemView] = field(default_factory=list)
    evidence_required: bool = False


@dataclass(frozen=True)
class ExchangeQuote:
    eligible: bool
    code: str  # ok / not_delivered / window_expired / category_not_returnable / already_requested
    #            / sku_not_found / same_sku / out_of_stock
    item: ItemView
    target_sku_code: str | None
    target_size: str | None
    target_color: str | None
    in_stock: bool
    price_difference: Decimal | None
    deadline: date | None = None


@dataclass(frozen=True)
class UrgeResult:
    code: str  # not_paid / already_shipped / cancelled / on_time / overdue
    ship_by: datetime | None
    eta: date | None
    reminder_count: int
    ticket_no: str | None
    delay_reason: str | None


@dataclass(frozen=True)
class CancelQuote:
    eligible: bool
    code: str  # ok / already_shipped / already_cancelled
    refund_amount: Decimal
    refund_method: str | None
    refund_eta_days: tuple[int, int] | None


@dataclass(frozen=True)
class CancelResult:
    order_no: str
    status: str
    refund_amount: Decimal
    refund_method: str | None
    refund_eta_days: tuple[int, int] | None
    request_no: str | None  # refund_only after-sale request tracking the refund, if any
    cancelled_at: datetime
    created: bool


@dataclass(frozen=True)
class AddressInput:
    province: str
    city: str
    district: str
    street: str
    recipient: str
    phone: str


@dataclass(frozen=True)
class AddressChangeView:
    order_no: str
    address: AddressView
    changed_at: datetime | None
    created: bool  # False when the order already had exactly this address


@dataclass(frozen=True)
class PaymentView:
    payment_id: int
    method: str
    amount: Decimal
    status: str
    failure_reason: str | None
    created_at: datetime
    refund_reason: str | None = None


@dataclass(frozen=True)
class PaymentReport:
    order_no: str
    order_status: str
    amount_due: Decimal
    payments: list[PaymentView]
    failed_reasons: list[str]  # distinct failure codes, first occurrence order
    duplicate_charge: PaymentView | None
    duplicate_refunded: bool
    paid_but_unpaid: bool  # money taken but order still pending_payment


@dataclass(frozen=True)
class DuplicateRefundResult:
    code: str  # refunded / already_refunded
    payment: PaymentView
    refund_amount: Decimal
    refund_method: str
    expected_arrival_days: tuple[int, int]
    request_no: str | None
    created: bool


@dataclass(frozen=True)
class InvoiceView:
    order_no: str
    kind: str
    title: str
    tax_no: str | None
    email: str
    status: str
    requested_at: datetime
    issued_at: datetime | None
    created: bool
    change_pending: bool = False  # a correction (换开) is waiting for staff


@dataclass(frozen=True)
class InvoiceChangeView:
    """What a correction of an invoice did: ``corrected`` (not issued yet, so the request was corrected),
    ``reissue_requested``, ``reissue_corrected`` (the pending re-issue was corrected) or ``unchanged``."""

    order_no: str
    kind: str
    title: str
    tax_no: str | None
    email: str
    outcome: str


@dataclass(frozen=True)
class TicketView:
    ticket_no: str
    skill_group: str
    priority: str
    status: str
    topic: str
    order_no: str | None
    created_at: datetime
    created: bool


@dataclass(frozen=True)
class ClaimView:
    claim_no: str
    order_no: str
    kind: str  # courier_check / claim
    status: str
    amount: Decimal | None
    created_at: datetime
    created: bool


@dataclass(frozen=True)
class SkuView:
    sku_code: str
    title: str
    size: str | None
    color: str | None
    price: Decimal
    available: int
    title_en: str | None = None


@dataclass(frozen=True)
class ProductFactsView:
    title: str
    facts: tuple[tuple[str, str], ...]  # (name, value), in the shop's order
    title_en: str | None = None


@dataclass(frozen=True)
class SizeAdviceView:
    title: str
    size: str | None  # None: taller or heavier than the chart's largest size
    chart: tuple[tuple[str, int, int], ...]  # (size, max height cm, max weight kg), smallest first
    title_en: str | None = None


@dataclass(frozen=True)
class RatingView:
    conversation_id: str
    rating: int
    comment: str | None
    created_at: datetime
    created: bool


@dataclass(frozen=True)
class DeliveryIssueView:
    issue_no: str
    order_no: str
    problem: str  # not_received / damaged / missing_items
    remedy: str  # reship / refund
    status: str
    evidence_urls: list[str]
    missing: list[tuple[int, int]]  # missing_items only: (order item id, quantity) per line
    refund_amount: Decimal | None  # refund remedy only
    refund_method: str | None
    expected_arrival_days: tuple[int, int] | None
    request_no: str | None  # the refund_only request tracking a refund
    created_at: datetime
    created: bool


@dataclass(frozen=True)
class DeliveryIssueQuote:
    eligible: bool
    code: str  # ok / not_delivered / window_expired / already_reported / already_requested
    refund_amount: Decimal  # what a refund would pay back (the order's paid amount, or the missing items' share)
    refund_method: str | None
    expected_arrival_days: tuple[int, int] | None
    deadline: date | None  # last day a problem may be reported
    existing: DeliveryIssueView | None = None
