"""ORM models (SQLAlchemy 1.4 declarative, used 2.0 style).

Conventions: datetimes are naive shop-local time (see :mod:`shop.clock`); money is
``Numeric(12, 2)`` mapped to ``Decimal``; status values are plain strings checked by
both :mod:`shop.states` and a CHECK constraint so bad data cannot sneak in via SQL.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

ORDER_STATUSES = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")
AFTER_SALE_TYPES = ("return", "exchange", "refund_only")
AFTER_SALE_STATUSES = (
    "requested", "approved", "return_shipped", "received", "refunded", "exchanged", "rejected",
)
PAYMENT_STATUSES = ("succeeded", "failed", "refunded")
TICKET_STATUSES = ("open", "assigned", "closed")


def Money() -> Numeric:  # noqa: N802 - reads like a column type
    """Money column type: exact decimals, two places."""
    return Numeric(12, 2, asdecimal=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Customer(Base):
    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    phone = Column(String(11), nullable=False, unique=True)
    province = Column(String(30), nullable=False, default="")
    city = Column(String(30), nullable=False, default="")
    district = Column(String(30), nullable=False, default="")
    street = Column(String(200), nullable=False, default="")

    orders = relationship("Order", back_populates="customer")


class Product(Base):
    __tablename__ = "products"

    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False)
    # The product's English name where the shop imported one (issue 35): English replies use it, else `title`.
    name_en = Column(String(100), nullable=True)
    category = Column(String(20), nullable=False)
    # returnable=False or return_window_days=0 => no "7天无理由" returns (生鲜, 定制 ...).
    returnable = Column(Boolean, nullable=False, default=True)
    return_window_days = Column(Integer, nullable=False, default=7)

    skus = relationship("Sku", back_populates="product", order_by="Sku.id")
    facts = relationship("ProductFact", back_populates="product", order_by="ProductFact.position",
                         cascade="all, delete-orphan")
    aliases = relationship("ProductAlias", back_populates="product", order_by="ProductAlias.id",
                           cascade="all, delete-orphan")
    size_chart = relationship("SizeChartRow", back_populates="product", order_by="SizeChartRow.position",
                              cascade="all, delete-orphan")


class SizeChartRow(Base):
    """One size of a product's size chart: the tallest and heaviest shopper it fits (身高 cm, 体重 kg)."""

    __tablename__ = "size_chart_rows"

    id = Column(Integer, primary_key=True)
    product_id = Column(ForeignKey("products.id"), nullable=False, index=True)
    position = Column(Integer, nullable=False)  # smallest size first
    size = Column(String(10), nullable=False)
    max_height_cm = Column(Integer, nullable=False)
    max_weight_kg = Column(Integer, nullable=False)

    product = relationship("Product", back_populates="size_chart")


class ProductAlias(Base):
    """An everyday word shoppers use for the product (螃蟹 for 阳澄湖大闸蟹礼盒, 耳机 for 无线蓝牙耳机): it names
    the product when an order or an item is chosen by typing."""

    __tablename__ = "product_aliases"

    id = Column(Integer, primary_key=True)
    product_id = Column(ForeignKey("products.id"), nullable=False, index=True)
    alias = Column(String(20), nullable=False)

    product = relationship("Product", back_populates="aliases")


class ProductFact(Base):
    """One line of a product's 商品参数 (材质: 100% 精梳棉), the answer to a question about the product."""

    __tablename__ = "product_facts"

    id = Column(Integer, primary_key=True)
    product_id = Column(ForeignKey("products.id"), nullable=False, index=True)
    position = Column(Integer, nullable=False)  # as the shop lists them
    name = Column(String(20), nullable=False)
    value = Column(String(200), nullable=False)

    product = relationship("Product", back_populates="facts")


class Sku(Base):
    __tablename__ = "skus"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="ck_sku_stock"),
        CheckConstraint("reserved >= 0", name="ck_sku_reserved"),
    )

    id = Column(Integer, primary_key=True)
    sku_code = Column(String(40), nullable=False, unique=True)
    product_id = Column(ForeignKey("products.id"), nullable=False, index=True)
    size = Column(String(10))
    color = Column(String(20))
    price = Column(Money(), nullable=False)
    stock = Column(Integer, nullable=False, default=0)
    # Units promised to pending exchanges; available = stock - reserved.
    reserved = Column(Integer, nullable=False, default=0)

    product = relationship("Product", back_populates="skus", lazy="joined", innerjoin=True)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="ck_order_status"),
        Index("ix_orders_customer_created", "customer_id", "created_at"),
    )

    id = Column(Integer, primary_key=True)
    order_no = Column(String(19), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False)
    status = Column(String(20), nullable=False)
    # total_amount: list price sum; paid_amount: amount due/charged after discounts.
    total_amount = Column(Money(), nullable=False)
    paid_amount = Column(Money(), nullable=False)
    created_at = Column(DateTime, nullable=False)
    paid_at = Column(DateTime)
    ship_by = Column(DateTime)
    province = Column(String(30), nullable=False)
    city = Column(String(30), nullable=False)
    district = Column(String(30), nullable=False)
    street = Column(String(200), nullable=False)
    recipient = Column(String(50), nullable=False)
    phone = Column(String(11), nullable=False)
    delay_reason = Column(String(200))
    delivered_at = Column(DateTime)
    completed_at = Column(DateTime)
    cancelled_at = Column(DateTime)

    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order", order_by="OrderItem.id")
    payments = relationship("Payment", back_populates="order", order_by="(Payment.created_at, Payment.id)")
    shipment = relationship("Shipment", back_populates="order", uselist=False)
    after_sales = relationship("AfterSaleRequest", back_populates="order", order_by="AfterSaleRequest.id")


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_item_quantity"),)

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    sku_id = Column(ForeignKey("skus.id"), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price = Column(Money(), nullable=False)
    # What was actually paid for the whole line after discounts (= refund basis).
    paid_amount = Column(Money(), nullable=False)

    order = relationship("Order", back_populates="items")
    # Joined when the line is loaded: nearly every use of a line reads its SKU and product (title,
    # size, return window), and three lazy queries cost more than one with joins (an order's
    # detail 1.3-2.4 -> 0.9-1.0 ms).
    sku = relationship("Sku", lazy="joined", innerjoin=True)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint(_in("status", PAYMENT_STATUSES), name="ck_payment_status"),)

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    method = Column(String(20), nullable=False)
    amount = Column(Money(), nullable=False)
    status = Column(String(20), nullable=False)
    failure_reason = Column(String(30))  # insufficient_balance / card_limit / system_error
    created_at = Column(DateTime, nullable=False)
    refunded_at = Column(DateTime)
    refund_reason = Column(String(30))  # order_cancelled / duplicate_charge

    order = relationship("Order", back_populates="payments")


class Shipment(Base):
    __tablename__ = "shipments"

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, unique=True)
    courier = Column(String(30), nullable=False)
    tracking_no = Column(String(40), nullable=False)
    shipped_at = Column(DateTime, nullable=False)

    order = relationship("Order", back_populates="shipment")
    events = relationship("TrackingEvent", back_populates="shipment", order_by="TrackingEvent.time")


class TrackingEvent(Base):
    __tablename__ = "tracking_events"

    id = Column(Integer, primary_key=True)
    shipment_id = Column(ForeignKey("shipments.id"), nullable=False, index=True)
    time = Column(DateTime, nullable=False)
    place = Column(String(100), nullable=False, default="")
    description = Column(String(300), nullable=False)

    shipment = relationship("Shipment", back_populates="events")


class AfterSaleRequest(Base):
    __tablename__ = "after_sale_requests"
    __table_args__ = (
        CheckConstraint(_in("type", AFTER_SALE_TYPES), name="ck_as_type"),
        CheckConstraint(_in("status", AFTER_SALE_STATUSES), name="ck_as_status"),
    )

    id = Column(Integer, primary_key=True)
    request_no = Column(String(24), unique=True)  # derived from id right after insert
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    type = Column(String(20), nullable=False)
    status = Column(String(20), nullable=False)
    reason_kind = Column(String(30), nullable=False)
    reason_text = Column(Text, nullable=False, default="")
    evidence_urls = Column(JSON, nullable=False, default=list)
    refund_amount = Column(Money())
    refund_method = Column(String(20))
    shipping_fee_compensation = Column(Money(), nullable=False, default=0)
    return_address = Column(String(200))
    pickup_slot = Column(String(40))
    target_sku_id = Column(ForeignKey("skus.id"))
    price_difference = Column(Money())
    # Unique: the database itself refuses a second copy of the same request (races).
    idempotency_key = Column(String(160), nullable=False, unique=True)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)

    order = relationship("Order", back_populates="after_sales")
    items = relationship("AfterSaleItem", back_populates="request", order_by="AfterSaleItem.id")
    events = relationship(
        "AfterSaleEvent", back_populates="request", order_by="(AfterSaleEvent.time, AfterSaleEvent.id)"
    )
    target_sku = relationship("Sku")
    parcel = relationship("ReturnParcel", back_populates="request", uselist=False)


class AfterSaleItem(Base):
    __tablename__ = "after_sale_items"

    id = Column(Integer, primary_key=True)
    request_id = Column(ForeignKey("after_sale_requests.id"), nullable=False, index=True)
    order_item_id = Column(ForeignKey("order_items.id"), nullable=False, index=True)
    quantity = Column(Integer, nullable=False)

    request = relationship("AfterSaleRequest", back_populates="items")
    order_item = relationship("OrderItem")


class AfterSaleEvent(Base):
    __tablename__ = "after_sale_events"

    id = Column(Integer, primary_key=True)
    request_id = Column(ForeignKey("after_sale_requests.id"), nullable=False, index=True)
    status = Column(String(20), nullable=False)
    time = Column(DateTime, nullable=False)
    note = Column(String(200))

    request = relationship("AfterSaleRequest", back_populates="events")


class ShippingReminder(Base):
    __tablename__ = "shipping_reminders"

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_in("status", TICKET_STATUSES), name="ck_ticket_status"),
        # At most one not-closed ticket per conversation, enforced by the DB (partial index).
        Index(
            "uq_ticket_open_conversation",
            "conversation_id",
            unique=True,
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
    )

    id = Column(Integer, primary_key=True)
    ticket_no = Column(String(24), unique=True)
    customer_id = Column(ForeignKey("customers.id"))
    order_id = Column(ForeignKey("orders.id"), index=True)
    conversation_id = Column(String(100), nullable=False)
    topic = Column(String(40), nullable=False)
    skill_group = Column(String(10), nullable=False)
    priority = Column(String(10), nullable=False)
    summary = Column(Text, nullable=False, default="")
    status = Column(String(20), nullable=False, default="open")
    assignee = Column(String(50))
    created_at = Column(DateTime, nullable=False)
    closed_at = Column(DateTime)
    # The agents' desk (shop.services.desk): who took it and when, who closed it.
    claimed_at = Column(DateTime)
    closed_by = Column(String(50))


class Invoice(Base):
    __tablename__ = "invoices"

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, unique=True)
    kind = Column(String(10), nullable=False)  # personal / company
    title = Column(String(100), nullable=False)
    tax_no = Column(String(18))
    email = Column(String(120), nullable=False)
    status = Column(String(10), nullable=False, default="requested")  # requested / issued
    requested_at = Column(DateTime, nullable=False)
    issued_at = Column(DateTime)


class InvoiceChange(Base):
    """A correction of an issued invoice (换开): staff void it (红冲) and issue one with these details.

    A table of its own, not columns on ``invoices``: ``python -m shop init`` adds it to an existing DB.
    """

    __tablename__ = "invoice_changes"

    id = Column(Integer, primary_key=True)
    invoice_id = Column(ForeignKey("invoices.id"), nullable=False, index=True)
    kind = Column(String(10), nullable=False)
    title = Column(String(100), nullable=False)
    tax_no = Column(String(18))
    email = Column(String(120), nullable=False)
    status = Column(String(10), nullable=False, default="pending")  # pending / done
    requested_at = Column(DateTime, nullable=False)


class ReturnParcel(Base):
    """The waybill of the parcel a shopper posts back for a return or exchange (寄回运单).

    One row per request (the unique key makes recording it twice impossible); one parcel may carry
    several requests of an order. A table of its own: ``python -m shop init`` adds it to an existing DB.
    """

    __tablename__ = "return_parcels"

    id = Column(Integer, primary_key=True)
    request_id = Column(ForeignKey("after_sale_requests.id"), nullable=False, unique=True)
    waybill_no = Column(String(24), nullable=False)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)

    request = relationship("AfterSaleRequest", back_populates="parcel")


class AddressChange(Base):
    """Audit trail of shipping-address changes (old and new as JSON snapshots)."""

    __tablename__ = "address_changes"

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    old_address = Column(JSON, nullable=False)
    new_address = Column(JSON, nullable=False)
    changed_at = Column(DateTime, nullable=False)


class Claim(Base):
    """Stuck-parcel follow-up: ``courier_check`` (催查件) or ``claim`` (先行赔付)."""

    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("order_id", "kind", name="uq_claim_order_kind"),)

    id = Column(Integer, primary_key=True)
    claim_no = Column(String(24), unique=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False)
    kind = Column(String(20), nullable=False)
    status = Column(String(20), nullable=False, default="open")
    amount = Column(Money())
    created_at = Column(DateTime, nullable=False)


class DeliveryIssue(Base):
    """A delivered parcel the shopper did not get (``not_received``), got broken (``damaged``) or got
    with items missing (``missing_items``, the lines in ``items``).

    One per order. The shopper chose a ``reship`` (补发) or a ``refund``; a refund is tracked by a
    ``refund_only`` after-sale request so refund progress shows it.
    """

    __tablename__ = "delivery_issues"

    id = Column(Integer, primary_key=True)
    issue_no = Column(String(24), unique=True)  # derived from id right after insert
    order_id = Column(ForeignKey("orders.id"), nullable=False, unique=True)
    problem = Column(String(20), nullable=False)  # not_received / damaged / missing_items
    remedy = Column(String(10), nullable=False)  # reship / refund
    evidence_urls = Column(JSON, nullable=False, default=list)
    status = Column(String(20), nullable=False, default="open")
    refund_request_id = Column(ForeignKey("after_sale_requests.id"))
    created_at = Column(DateTime, nullable=False)

    order = relationship("Order")
    refund_request = relationship("AfterSaleRequest")
    items = relationship("DeliveryIssueItem", back_populates="issue", cascade="all, delete-orphan",
                         order_by="DeliveryIssueItem.id")


class DeliveryIssueItem(Base):
    """How many of an order line did not arrive (``missing_items`` reports only). A table of its own, not
    a column, so that ``python -m shop init`` adds it to an existing database."""

    __tablename__ = "delivery_issue_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_missing_quantity"),)

    id = Column(Integer, primary_key=True)
    issue_id = Column(ForeignKey("delivery_issues.id"), nullable=False, index=True)
    order_item_id = Column(ForeignKey("order_items.id"), nullable=False)
    quantity = Column(Integer, nullable=False)

    issue = relationship("DeliveryIssue", back_populates="items")
    order_item = relationship("OrderItem")


class SatisfactionRating(Base):
    __tablename__ = "satisfaction_ratings"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="ck_rating_range"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(100), nullable=False, unique=True)
    rating = Column(Integer, nullable=False)
    comment = Column(Text)
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)


AGENT_ROLES = ("agent", "admin")
SKILL_GROUP_NAMES = ("售后", "物流", "支付", "售前")
CANNED_REPLY_KINDS = ("scene", "comfort")  # 场景化话术库 / 安抚话术


class Agent(Base):
    """A human agent of the desk (web/desk); the password is a KDF hash (shop.services.agents)."""

    __tablename__ = "agents"
    __table_args__ = (CheckConstraint(_in("role", AGENT_ROLES), name="ck_agent_role"),)

    id = Column(Integer, primary_key=True)
    username = Column(String(50), nullable=False, unique=True)
    display_name = Column(String(50), nullable=False)
    password_hash = Column(String(200), nullable=False)
    role = Column(String(10), nullable=False, default="agent")
    skill_groups = Column(String(40), nullable=False, default="")  # comma-separated SKILL_GROUP_NAMES
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)


class AgentSession(Base):
    """A signed-in desk session: only the SHA-256 of the cookie's secret is stored."""

    __tablename__ = "agent_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    agent_id = Column(ForeignKey("agents.id"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)


class TicketNote(Base):
    """An agent's internal note on a ticket: never shown to the shopper."""

    __tablename__ = "ticket_notes"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("tickets.id"), nullable=False, index=True)
    author = Column(String(50), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False)


class CannedReply(Base):
    """The shop's 场景化话术库 and 安抚话术: an agent sends one with a click; admins edit them."""

    __tablename__ = "canned_replies"
    __table_args__ = (CheckConstraint(_in("kind", CANNED_REPLY_KINDS), name="ck_canned_kind"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(10), nullable=False)
    title = Column(String(40), nullable=False)
    text = Column(Text, nullable=False)
    updated_at = Column(DateTime, nullable=False)
    updated_by = Column(String(50))


class VerificationFailure(Base):
    """A wrong order number + last-4 pair from an anonymous shopper (shop.services.verification).

    Counted per order number (whether or not such an order exists) and per client address, across
    every conversation, so a new sender id gets no new tries.
    """

    __tablename__ = "verification_failures"

    id = Column(Integer, primary_key=True)
    order_no = Column(String(32), nullable=False, index=True)
    client = Column(String(64), index=True)
    at = Column(DateTime, nullable=False, index=True)



class ShopEvent(Base):
    """An event a shop's system pushed in (POST /api/events, shop.services.events), kept by the sender's id:
    a replay of the same id changes nothing. ``details`` keeps what the monitor words (an exception's kind)."""

    __tablename__ = "shop_events"

    id = Column(Integer, primary_key=True)
    event_id = Column(String(64), nullable=False, unique=True)
    type = Column(String(30), nullable=False, index=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    body_sha256 = Column(String(64), nullable=False)  # the same id with another body is refused
    details = Column(JSON, nullable=False, default=dict)
    occurred_at = Column(DateTime, nullable=False)
    received_at = Column(DateTime, nullable=False)


NOTICE_STATUSES = ("unread", "sending", "sent", "read")


class Notice(Base):
    """A proactive notice to a shopper (shop.services.notices), recorded once by its ``key``: ``unread``
    until it reaches a conversation (``sent``, live) or the shopper's widget pulls it (``read``); ``sending``
    while one deliverer holds it (so the monitor and a pull never both send it)."""

    __tablename__ = "notices"
    __table_args__ = (CheckConstraint(_in("status", NOTICE_STATUSES), name="ck_notice_status"),)

    id = Column(Integer, primary_key=True)
    key = Column(String(120), nullable=False, unique=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    order_id = Column(ForeignKey("orders.id"), index=True)
    kind = Column(String(30), nullable=False)
    facts = Column(JSON, nullable=False, default=dict)
    status = Column(String(10), nullable=False, default="unread")
    conversation_id = Column(String(100))
    created_at = Column(DateTime, nullable=False)
    sent_at = Column(DateTime)


class NoticePreference(Base):
    """A shopper who said "别再提醒我了": no proactive notices until they ask for them again."""

    __tablename__ = "notice_preferences"

    customer_id = Column(ForeignKey("customers.id"), primary_key=True)
    muted = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime, nullable=False)


class ShopperConversation(Base):
    """A conversation a signed-in shopper's widget opened (its socket.io session id): where notices go."""

    __tablename__ = "shopper_conversations"

    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customers.id"), nullable=False, index=True)
    conversation_id = Column(String(100), nullable=False, unique=True)
    channel = Column(String(20), nullable=False)
    last_seen_at = Column(DateTime, nullable=False)


class SignInFailure(Base):
    """A wrong password at the desk or dashboard sign-in (shop.services.agents), counted per name and address."""

    __tablename__ = "sign_in_failures"

    id = Column(Integer, primary_key=True)
    username = Column(String(60), nullable=False, index=True)
    client = Column(String(64), index=True)
    at = Column(DateTime, nullable=False, index=True)

