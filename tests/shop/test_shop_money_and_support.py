"""Payments, duplicate-charge refunds, invoices, tickets, catalogue, ratings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from shop_builders import add_payment, catalogue, clock, clock_at, customer, order
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.errors import DomainError
from shop.models import AfterSaleRequest, Invoice, InvoiceChange, Product, ProductFact, SatisfactionRating, Ticket
from shop.services import desk
from shop.services.agents import AgentView
from shop.services.catalogue import find_skus, product_facts
from shop.services.invoices import change_invoice, invoice_status, request_invoice
from shop.services.payments import payment_report, refund_duplicate_charge
from shop.services.refunds import refund_progress
from shop.services.satisfaction import record_rating
from shop.services.tickets import close_ticket, open_ticket, route

TAX_NO = "91110108MA01ABCD2X"


@pytest.fixture()
def world(db_session: Session) -> dict:
    return {
        "s": db_session,
        "skus": catalogue(db_session),
        "me": customer(db_session),
        "other": customer(db_session, "李四", "13900005678"),
    }


def _count(s: Session, model: type) -> int:
    return s.execute(select(func.count()).select_from(model)).scalar_one()


# --- payments --------------------------------------------------------------------------


def test_payment_report_failures_and_paid_but_unpaid(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="pending_payment")
    add_payment(s, row, status="failed", failure_reason="insufficient_balance", minutes=1)
    add_payment(s, row, status="failed", failure_reason="card_limit", minutes=2)
    add_payment(s, row, status="failed", failure_reason="card_limit", minutes=3)
    report = payment_report(s, me.id, row.order_no)
    assert report.failed_reasons == ["insufficient_balance", "card_limit"] and not report.paid_but_unpaid
    add_payment(s, row, status="succeeded", minutes=4)
    report = payment_report(s, me.id, row.order_no)
    assert (
        report.paid_but_unpaid
        and report.duplicate_charge is None
        and report.order_status == "pending_payment"
    )


def test_duplicate_charge_refunded_exactly_once(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="paid")
    extra = add_payment(s, row, status="succeeded", method="wechat", minutes=5)
    report = payment_report(s, me.id, row.order_no)
    assert report.duplicate_charge is not None and report.duplicate_charge.payment_id == extra.id
    first = refund_duplicate_charge(s, me.id, row.order_no, clock=clock)
    again = refund_duplicate_charge(s, me.id, row.order_no, clock=clock_at(hours=1))
    assert (first.code, first.created, again.code, again.created) == (
        "refunded",
        True,
        "already_refunded",
        False,
    )
    assert first.refund_amount == Decimal("89.00") and first.expected_arrival_days == (1, 3)
    assert first.request_no == again.request_no and _count(s, AfterSaleRequest) == 1
    assert [p.status for p in row.payments] == ["succeeded", "refunded"]
    after = payment_report(s, me.id, row.order_no)
    assert after.duplicate_refunded and after.duplicate_charge.status == "refunded"
    assert [r.reason_kind for r in refund_progress(s, me.id)] == ["duplicate_charge"]


def test_no_duplicate_charge_not_eligible(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="paid")
    with pytest.raises(DomainError) as err:
        refund_duplicate_charge(s, me.id, row.order_no, clock=clock)
    assert err.value.code == "not_eligible" and _count(s, AfterSaleRequest) == 0


# --- invoices --------------------------------------------------------------------------


def test_invoice_company_once(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="delivered")
    assert invoice_status(s, me.id, row.order_no) is None
    first = request_invoice(
        s,
        me.id,
        row.order_no,
        kind="company",
        title="某某科技有限公司",
        tax_no=TAX_NO.lower(),
        email="fin@example.com",
        clock=clock,
    )
    again = request_invoice(
        s, me.id, row.order_no, kind="personal", title="张三", email="a@b.cn", clock=clock
    )
    assert first.created and not again.created and again.kind == "company" and first.tax_no == TAX_NO
    assert invoice_status(s, me.id, row.order_no).status == "requested" and _count(s, Invoice) == 1


@pytest.mark.parametrize(
    ("tax_no", "ok"),
    [
        (TAX_NO, True),
        ("91110108MA01ABCD2", False),
        ("91110108MA01ABCD2XX", False),
        ("91110108MA01ABCDIX", False),
        ("9111010AMA01ABCD2X", False),
        ("", False),
        (None, False),
    ],
)
def test_invoice_tax_number_format(world: dict, tax_no: str | None, ok: bool) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="paid")
    def call() -> object:
        return request_invoice(s, me.id, row.order_no, kind="company", title="某某公司", tax_no=tax_no,
                               email="fin@example.com", clock=clock)

    if ok:
        assert call().created  # type: ignore[attr-defined]
    else:
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "invalid_input" and err.value.details["field"] == "tax_no"
        assert _count(s, Invoice) == 0


def test_invoice_needs_payment_and_valid_email(world: dict) -> None:
    s, me = world["s"], world["me"]
    unpaid = order(s, me, [(world["skus"]["CUP"], 1)], status="pending_payment")
    with pytest.raises(DomainError, match="not_paid"):
        request_invoice(s, me.id, unpaid.order_no, kind="personal", title="张三", email="a@b.cn", clock=clock)
    paid = order(s, me, [(world["skus"]["CUP"], 1)], status="paid")
    with pytest.raises(DomainError) as err:
        request_invoice(
            s, me.id, paid.order_no, kind="personal", title="张三", email="not-an-email", clock=clock
        )
    assert err.value.details["field"] == "email"
    personal = request_invoice(
        s, me.id, paid.order_no, kind="personal", title="张三", tax_no=TAX_NO, email="a@b.cn", clock=clock
    )
    assert personal.tax_no is None


def _invoiced(world: dict, *, issued: bool) -> str:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="delivered")
    request_invoice(s, me.id, row.order_no, kind="personal", title="张三", email="a@b.cn", clock=clock)
    if issued:
        invoice = s.execute(select(Invoice)).scalar_one()
        invoice.status, invoice.issued_at = "issued", clock()
    return row.order_no


def test_invoice_not_issued_yet_is_corrected_in_place(world: dict) -> None:
    s, me = world["s"], world["me"]
    order_no = _invoiced(world, issued=False)
    changed = change_invoice(s, me.id, order_no, kind="company", title="某某科技有限公司", tax_no=TAX_NO,
                             email="fin@example.com", clock=clock)
    assert (changed.outcome, changed.kind, changed.tax_no) == ("corrected", "company", TAX_NO)
    again = change_invoice(s, me.id, order_no, kind="company", title="某某科技有限公司", tax_no=TAX_NO,
                           email="fin@example.com", clock=clock)
    assert again.outcome == "unchanged"
    status = invoice_status(s, me.id, order_no)
    assert (status.title, status.status, status.change_pending) == ("某某科技有限公司", "requested", False)
    assert _count(s, Invoice) == 1 and _count(s, InvoiceChange) == 0


def test_issued_invoice_gets_one_reissue_request(world: dict) -> None:
    s, me = world["s"], world["me"]
    order_no = _invoiced(world, issued=True)
    first = change_invoice(s, me.id, order_no, kind="personal", title="张三丰", email="a@b.cn", clock=clock)
    twice = change_invoice(s, me.id, order_no, kind="personal", title="张三丰", email="a@b.cn", clock=clock)
    corrected = change_invoice(s, me.id, order_no, kind="personal", title="张三丰", email="z@b.cn", clock=clock)
    assert [first.outcome, twice.outcome, corrected.outcome] == [
        "reissue_requested", "unchanged", "reissue_corrected"]
    assert _count(s, InvoiceChange) == 1 and s.execute(select(InvoiceChange.email)).scalar_one() == "z@b.cn"
    status = invoice_status(s, me.id, order_no)
    assert (status.title, status.status, status.change_pending) == ("张三", "issued", True)


def test_invoice_change_that_changes_nothing_or_is_invalid_writes_nothing(world: dict) -> None:
    s, me = world["s"], world["me"]
    order_no = _invoiced(world, issued=True)
    same = change_invoice(s, me.id, order_no, kind="personal", title=" 张三 ", email="a@b.cn", clock=clock)
    assert same.outcome == "unchanged"
    with pytest.raises(DomainError) as err:
        change_invoice(s, me.id, order_no, kind="company", title="某某公司", tax_no="123", email="a@b.cn",
                       clock=clock)
    assert err.value.details["field"] == "tax_no" and _count(s, InvoiceChange) == 0


def test_invoice_change_needs_an_invoice_of_ones_own(world: dict) -> None:
    s, me, other = world["s"], world["me"], world["other"]
    never = order(s, me, [(world["skus"]["CUP"], 1)], status="paid")
    with pytest.raises(DomainError, match="no_invoice"):
        change_invoice(s, me.id, never.order_no, kind="personal", title="张三", email="a@b.cn", clock=clock)
    order_no = _invoiced(world, issued=True)
    with pytest.raises(DomainError, match="not_found"):
        change_invoice(s, other.id, order_no, kind="personal", title="李四", email="l@b.cn", clock=clock)
    assert _count(s, InvoiceChange) == 0


# --- tickets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "quality", "group", "priority"),
    [
        ("return_goods", False, "售后", "normal"),
        ("return_goods", True, "售后", "high"),
        ("query_refund", False, "售后", "high"),
        ("complain", False, "售后", "high"),
        ("logistics_issue", False, "物流", "normal"),
        ("urge_shipment", False, "物流", "normal"),
        ("payment_issue", False, "支付", "normal"),
        ("product_inquiry", False, "售前", "normal"),
        ("something_new", False, "售后", "normal"),
    ],
)
def test_ticket_routing(topic: str, quality: bool, group: str, priority: str) -> None:
    assert route(topic, quality_problem=quality) == (group, priority)


def test_a_complaint_about_a_parcel_on_its_way_goes_to_logistics() -> None:
    assert route("complain", parcel_on_its_way=True) == ("物流", "high")
    assert route("human_handoff", parcel_on_its_way=True) == ("物流", "normal")
    assert route("return_goods", parcel_on_its_way=True) == ("售后", "normal")  # the topic names the kind


def test_ticket_idempotent_per_open_conversation_and_lifecycle(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="delivered")
    kwargs = {
        "customer_id": me.id,
        "order_no": row.order_no,
        "topic": "complain",
        "summary": "态度差",
        "conversation_id": "conv-9",
        "clock": clock,
    }
    first = open_ticket(s, **kwargs)
    again = open_ticket(s, **kwargs)
    assert first.created and not again.created and first.ticket_no == again.ticket_no
    assert (first.skill_group, first.priority, first.order_no) == ("售后", "high", row.order_no)
    agent = AgentView(7, "agent-7", "agent-7", "agent", ("售后",))
    assert desk.claim(s, agent, first.ticket_no, clock=clock) == "conv-9"  # open -> assigned
    assert open_ticket(s, **kwargs).ticket_no == first.ticket_no  # assigned is still open work
    closed = close_ticket(s, first.ticket_no, closed_by="operator", clock=clock)
    assert closed.changed and (closed.closed_by, closed.conversation_id) == ("operator", "conv-9")
    assert not close_ticket(s, first.ticket_no, closed_by="someone else", clock=clock).changed  # idempotent
    with pytest.raises(DomainError, match="illegal_transition"):
        desk.claim(s, agent, first.ticket_no, clock=clock)
    newer = open_ticket(s, **kwargs)
    assert newer.created and newer.ticket_no != first.ticket_no and _count(s, Ticket) == 2


def test_ticket_anonymous_and_foreign_order(world: dict) -> None:
    s = world["s"]
    anon = open_ticket(
        s,
        customer_id=None,
        order_no=None,
        topic="product_inquiry",
        summary="尺码",
        conversation_id="c-anon",
        clock=clock,
    )
    assert anon.created and anon.skill_group == "售前"
    theirs = order(s, world["other"], [(world["skus"]["CUP"], 1)], status="paid")
    with pytest.raises(DomainError, match="not_found"):
        open_ticket(
            s,
            customer_id=world["me"].id,
            order_no=theirs.order_no,
            topic="complain",
            summary="",
            conversation_id="c-x",
            clock=clock,
        )


# --- catalogue & ratings ---------------------------------------------------------------


def test_product_facts_in_the_shops_order(world: dict) -> None:
    s = world["s"]
    tee = s.execute(select(Product).where(Product.title == "纯棉T恤")).scalar_one()
    tee.facts = [ProductFact(position=1, name="克重", value="220g"), ProductFact(position=0, name="材质", value="纯棉")]
    s.flush()
    found = product_facts(s, product="T恤")
    assert found is not None and found.title == "纯棉T恤"
    assert found.facts == (("材质", "纯棉"), ("克重", "220g"))
    assert product_facts(s, product="保温杯").facts == ()  # known product, no facts recorded
    assert product_facts(s, product="手机壳") is None
    assert product_facts(s, product="  ") is None
    assert product_facts(s, product="%") is None  # a LIKE wildcard is a character, not "any product"


def test_find_skus(world: dict) -> None:
    s = world["s"]
    assert {v.sku_code for v in find_skus(s, product="T恤")} == {
        "TEE-S",
        "TEE-M",
        "TEE-L",
        "TEE-XL",
        "TEE-M-BLK",
    }
    [xl] = find_skus(s, product="T恤", size="xl")
    assert xl.available == 0 and xl.price == Decimal("89.00")
    assert [v.sku_code for v in find_skus(s, product="T恤", size="M", color="黑色")] == ["TEE-M-BLK"]
    assert find_skus(s, product="CUP")[0].title == "保温杯"
    assert find_skus(s, product="不存在的商品") == []


def test_rating_validated_and_one_per_conversation(world: dict) -> None:
    s = world["s"]
    for bad in (0, 6, "5", True, 4.5):
        with pytest.raises(DomainError, match="invalid_input"):
            record_rating(s, conversation_id="c1", rating=bad, comment=None, clock=clock)  # type: ignore[arg-type]
    first = record_rating(s, conversation_id="c1", rating=2, comment="慢", clock=clock)
    second = record_rating(s, conversation_id="c1", rating=5, comment=None, clock=clock_at(minutes=1))
    assert first.created and not second.created and second.rating == 5 and _count(s, SatisfactionRating) == 1
