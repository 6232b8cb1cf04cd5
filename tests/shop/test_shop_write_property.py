"""Every write flow, over every demo order: what the confirmation quotes is what the database holds
afterwards, and nothing else changes.

Property-style: not one example per flow but every order of the seeded demo shop (the demo customer's
and the random ones), every line, every reason, every target SKU, every problem and remedy. For each
case the quote the confirmation is built from is taken first; then the write; then the rows of every
table are compared with the rows before it. The rows that changed must be exactly the ones the flow
may touch, with the values quoted; a refusal must change nothing. Each case is rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from shop_builders import clock_at
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from shop import rules
from shop.errors import DomainError
from shop.models import Base, Order, Sku
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS
from shop.services.addresses import change_address
from shop.services.cancellation import cancel_order, quote_cancel
from shop.services.delivery_issues import quote_delivery_issue, report_delivery_issue
from shop.services.exchanges import quote_exchange, request_exchange
from shop.services.invoices import request_invoice
from shop.services.payments import payment_report, refund_duplicate_charge
from shop.services.returns import quote_return, request_return
from shop.services.tracking import file_delivery_claim, get_tracking
from shop.services.views import AddressInput

clock = clock_at()
Rows = dict[str, dict[tuple, dict[str, Any]]]
PHOTO = ["https://img.example.com/evidence.jpg"]
NEW_ADDRESS = AddressInput("浙江省", "杭州市", "西湖区", "文三路100号", "王小明", "13912345678")


# Large tables no write flow may touch: not compared row by row (a write to them fails the test through
# the statements seen, write_diff), to keep every case fast.
NOT_COMPARED = frozenset({"tracking_events", "product_facts", "order_items", "shipments", "customers"})
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
# Besides the demo orders, every RANDOM_SAMPLE-th order of the seeded random ones.
RANDOM_SAMPLE = 15


def snapshot(session: Session) -> Rows:
    """Every row of every compared table, keyed by table and primary key."""
    session.flush()
    rows: Rows = {}
    for table in [t for t in Base.metadata.sorted_tables if t.name not in NOT_COMPARED]:
        keys = [column.name for column in table.primary_key.columns]
        rows[table.name] = {
            tuple(row[k] for k in keys): dict(row) for row in session.execute(select(table)).mappings()
        }
    return rows


def changes(before: Rows, after: Rows) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Per table: rows added, removed, and changed (only the changed columns, plus the key)."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for table, now in after.items():
        then = before.get(table, {})
        added = [row for key, row in now.items() if key not in then]
        removed = [row for key, row in then.items() if key not in now]
        changed = []
        for key in now.keys() & then.keys():
            delta = {c: now[key][c] for c in now[key] if now[key][c] != then[key][c]}
            if delta:
                changed.append({"_key": key, **delta})
        if added or removed or changed:
            found[table] = {"added": added, "removed": removed, "changed": changed}
    return found


def write_diff(session: Session, write: Callable[[], Any]) -> tuple[Any, dict]:
    """The write's result and the rows it changed; rolled back afterwards."""
    before = snapshot(session)
    written: set[str] = set()

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if found := WRITE.match(statement):
            written.add(found.group(1))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        result = write()
        session.flush()
    except DomainError as error:
        result = error
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    after = snapshot(session)
    session.rollback()
    session.expire_all()
    diff = changes(before, after)
    assert not written & NOT_COMPARED, f"wrote to {written & NOT_COMPARED}"
    for table in written - set(diff):  # written but unchanged (an UPDATE to the same values): shown as such
        diff[table] = {"added": [], "removed": [], "changed": []}
    return result, diff


def refused_without_change(result: Any, diff: dict) -> None:
    assert isinstance(result, DomainError), result
    assert diff == {}, f"a refused write changed rows: {diff}"


def only_tables(diff: dict, allowed: set[str]) -> None:
    assert set(diff) <= allowed, f"unexpected tables changed: {set(diff) - allowed}"
    for table, delta in diff.items():
        assert not delta["removed"], f"rows removed from {table}"


def demo_orders(session: Session) -> Iterator[Order]:
    """The demo orders of both fixed customers (every status and case of the demo shop) and a sample
    of the random ones."""
    fixed = {*DEMO_ORDERS.values(), *OTHER_CUSTOMER_ORDERS.values()}
    for order in session.execute(select(Order).order_by(Order.id)).scalars().all():
        if order.order_no in fixed or order.id % RANDOM_SAMPLE == 0:
            yield order


def cases(session: Session) -> list[tuple[int, str]]:
    return [(order.customer_id, order.order_no) for order in demo_orders(session)]


def test_the_demo_shop_has_orders_of_every_write_flow(seeded: Session) -> None:
    statuses = {order.status for order in demo_orders(seeded)}
    assert {"paid", "shipped", "delivered", "cancelled"} <= statuses


def test_cancel_writes_the_quoted_refund_and_nothing_else(seeded: Session) -> None:
    written = 0
    for customer_id, order_no in cases(seeded):
        quote = quote_cancel(seeded, customer_id, order_no)
        order_id = seeded.execute(select(Order.id).where(Order.order_no == order_no)).scalar_one()
        result, diff = write_diff(seeded, lambda c=customer_id, o=order_no: cancel_order(seeded, c, o, clock=clock))
        if quote.code == "already_shipped":
            refused_without_change(result, diff)
            continue
        if quote.code == "already_cancelled":
            assert diff == {} and not result.created
            continue
        written += 1
        only_tables(diff, {"orders", "payments", "after_sale_requests", "after_sale_events"})
        assert [row["_key"] for row in diff["orders"]["changed"]] == [(order_id,)]
        assert diff["orders"]["changed"][0]["status"] == "cancelled"
        assert result.refund_amount == quote.refund_amount and result.refund_method == quote.refund_method
        refunds = diff.get("after_sale_requests", {}).get("added", [])
        if quote.refund_amount:
            assert [(r["type"], r["refund_amount"], r["order_id"]) for r in refunds] == [
                ("refund_only", quote.refund_amount, order_id)]
        else:
            assert refunds == []
        for payment in diff.get("payments", {}).get("changed", []):
            assert payment["status"] == "refunded"
    assert written >= 2


def test_address_change_writes_exactly_the_confirmed_address(seeded: Session) -> None:
    written = 0
    for customer_id, order_no in cases(seeded):
        order = seeded.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        order_id, open_ = order.id, order.status in ("pending_payment", "paid") and order.shipment is None
        result, diff = write_diff(seeded, lambda c=customer_id, o=order_no: change_address(
            seeded, c, o, new_address=NEW_ADDRESS, clock=clock))
        if not open_:
            refused_without_change(result, diff)
            continue
        written += 1
        only_tables(diff, {"orders", "address_changes"})
        [changed] = diff["orders"]["changed"]
        assert changed["_key"] == (order_id,)
        assert set(changed) - {"_key"} <= {"province", "city", "district", "street", "recipient", "phone"}
        assert {k: v for k, v in changed.items() if k != "_key"} == {
            k: v for k, v in vars(NEW_ADDRESS).items() if k in changed}
        [logged] = diff["address_changes"]["added"]
        assert logged["order_id"] == order_id and logged["new_address"] == vars(NEW_ADDRESS)
    assert written >= 2


def test_return_writes_the_quoted_request_and_nothing_else(seeded: Session) -> None:
    written = 0
    for customer_id, order_no in cases(seeded):
        order = seeded.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        lines = [(line.id, line.quantity) for line in order.items]
        for item_id, quantity in lines:
            for reason in rules.REASON_KINDS:
                quote = quote_return(seeded, customer_id, order_no, item_id=item_id, reason_kind=reason, clock=clock)
                result, diff = write_diff(seeded, lambda c=customer_id, o=order_no, i=item_id, r=reason: request_return(
                    seeded, c, o, item_id=i, reason_kind=r, evidence_urls=PHOTO, clock=clock))
                if not quote.eligible:
                    if isinstance(result, DomainError):
                        refused_without_change(result, diff)
                    else:  # the line's request already exists: shown again, nothing written
                        assert diff == {} and not result.created
                    continue
                written += 1
                only_tables(diff, {"after_sale_requests", "after_sale_items", "after_sale_events"})
                [request] = diff["after_sale_requests"]["added"]
                assert request["type"] == "return" and request["order_id"] == order.id
                assert request["refund_amount"] == quote.refund_amount
                assert request["shipping_fee_compensation"] == quote.shipping_fee_compensation
                assert [(i["order_item_id"], i["quantity"]) for i in diff["after_sale_items"]["added"]] == [
                    (item_id, quantity)]
    assert written >= 5


def test_a_return_of_items_that_never_arrived_is_refused_without_change(seeded: Session) -> None:
    for customer_id, order_no in cases(seeded):
        order = seeded.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        for line_id in [line.id for line in order.items]:
            result, diff = write_diff(seeded, lambda c=customer_id, o=order_no, i=line_id: request_return(
                seeded, c, o, item_id=i, reason_kind="missing_items", evidence_urls=PHOTO, clock=clock))
            refused_without_change(result, diff)
            assert result.details.get("reason") == "missing_items"


def test_exchange_reserves_exactly_the_sku_asked_for(seeded: Session) -> None:
    written = refused = 0
    for customer_id, order_no in cases(seeded):
        order = seeded.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        lines = [(line.id, line.quantity, line.sku.product_id) for line in order.items]
        for item_id, quantity, product_id in lines:
            siblings = seeded.execute(select(Sku).where(Sku.product_id == product_id)).scalars().all()
            for size, color in [(s.size, s.color) for s in siblings]:
                quote = quote_exchange(seeded, customer_id, order_no, item_id=item_id, target_size=size,
                                       target_color=color, clock=clock)
                result, diff = write_diff(seeded, lambda c=customer_id, o=order_no, i=item_id, s=size, k=color:
                                          request_exchange(seeded, c, o, item_id=i, target_size=s, target_color=k,
                                                           clock=clock))
                if not quote.eligible:
                    refused += 1
                    if isinstance(result, DomainError):
                        refused_without_change(result, diff)
                    else:
                        assert diff == {} and not result.created
                    continue
                written += 1
                # what the confirmation names is what the shopper asked for
                assert (quote.target_size, quote.target_color) == (size, color)
                only_tables(diff, {"skus", "after_sale_requests", "after_sale_items", "after_sale_events"})
                [reserved] = diff["skus"]["changed"]
                target = seeded.execute(select(Sku).where(Sku.sku_code == quote.target_sku_code)).scalar_one()
                assert reserved["_key"] == (target.id,) and reserved["reserved"] == target.reserved + quantity
                assert (target.size, target.color) == (size, color)
                [request] = diff["after_sale_requests"]["added"]
                assert request["type"] == "exchange" and request["target_sku_id"] == target.id
                assert request["price_difference"] == quote.price_difference
    assert written >= 5 and refused >= 5


def test_delivery_issue_writes_the_quoted_refund_and_never_a_return(seeded: Session) -> None:
    written = 0
    for customer_id, order_no in cases(seeded):
        order = seeded.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        reports: list[tuple[str, dict[int, int] | None]] = [("not_received", None), ("damaged", None)]
        reports += [("missing_items", {line.id: n}) for line in order.items for n in range(1, line.quantity + 1)]
        for problem, missing in reports:
            for remedy in ("reship", "refund"):
                quote = quote_delivery_issue(seeded, customer_id, order_no, missing=missing, clock=clock)
                result, diff = write_diff(seeded, lambda c=customer_id, o=order_no, p=problem, r=remedy, m=missing:
                                          report_delivery_issue(seeded, c, o, problem=p, remedy=r, evidence_urls=PHOTO,
                                                                missing=m, clock=clock))
                if not quote.eligible:
                    if isinstance(result, DomainError):
                        refused_without_change(result, diff)
                    else:
                        assert diff == {} and not result.created
                    continue
                written += 1
                allowed = {"delivery_issues", "delivery_issue_items"}
                if remedy == "refund":
                    allowed |= {"after_sale_requests", "after_sale_items", "after_sale_events"}
                only_tables(diff, allowed)
                [issue] = diff["delivery_issues"]["added"]
                assert (issue["order_id"], issue["problem"], issue["remedy"]) == (order.id, problem, remedy)
                items = [(i["order_item_id"], i["quantity"]) for i in diff.get("delivery_issue_items", {})
                         .get("added", [])]
                assert items == sorted((missing or {}).items())
                requests = diff.get("after_sale_requests", {}).get("added", [])
                if remedy == "refund":
                    [request] = requests
                    assert request["type"] == "refund_only", "a delivery problem never files a return"
                    assert request["pickup_slot"] is None and request["refund_amount"] == quote.refund_amount
                    refunded = [(i["order_item_id"], i["quantity"]) for i in diff["after_sale_items"]["added"]]
                    assert refunded == (sorted(missing.items()) if missing else
                                        [(line.id, line.quantity) for line in order.items])
                else:
                    assert requests == []
    assert written >= 4


def test_claim_writes_the_paid_amount_once_for_a_stuck_parcel_only(seeded: Session) -> None:
    written = 0
    for customer_id, order_no in cases(seeded):
        try:
            eligible = get_tracking(seeded, customer_id, order_no, clock=clock).claim_eligible
        except DomainError:
            eligible = False
        paid = seeded.execute(select(Order.paid_amount).where(Order.order_no == order_no)).scalar_one()
        result, diff = write_diff(seeded, lambda c=customer_id, o=order_no: file_delivery_claim(
            seeded, c, o, kind="claim", clock=clock))
        if not eligible:
            refused_without_change(result, diff)
            continue
        written += 1
        only_tables(diff, {"claims"})
        [claim] = diff["claims"]["added"]
        assert claim["kind"] == "claim" and Decimal(claim["amount"]) == paid == result.amount
    assert written >= 1


def test_duplicate_charge_refund_refunds_the_quoted_payment_only(seeded: Session) -> None:
    written = 0
    for customer_id, order_no in cases(seeded):
        report = payment_report(seeded, customer_id, order_no)
        result, diff = write_diff(seeded, lambda c=customer_id, o=order_no: refund_duplicate_charge(
            seeded, c, o, clock=clock))
        if report.duplicate_charge is None or report.duplicate_refunded:
            if isinstance(result, DomainError):
                refused_without_change(result, diff)
            else:
                assert diff == {} and not result.created
            continue
        written += 1
        only_tables(diff, {"payments", "after_sale_requests", "after_sale_events"})
        [payment] = diff["payments"]["changed"]
        assert payment["status"] == "refunded"
        [request] = diff["after_sale_requests"]["added"]
        assert request["refund_amount"] == report.duplicate_charge.amount == result.refund_amount
    assert written >= 1


def test_invoice_request_writes_exactly_the_confirmed_details(seeded: Session) -> None:
    written = 0
    details = {"kind": "company", "title": "杭州小二科技有限公司", "tax_no": "91330100MA2B3C4D5E",
               "email": "finance@example.com"}
    for customer_id, order_no in cases(seeded):
        order_id = seeded.execute(select(Order.id).where(Order.order_no == order_no)).scalar_one()
        result, diff = write_diff(seeded, lambda c=customer_id, o=order_no: request_invoice(
            seeded, c, o, clock=clock, **details))
        if isinstance(result, DomainError) or not result.created:
            assert diff == {}
            continue
        written += 1
        only_tables(diff, {"invoices"})
        [invoice] = diff["invoices"]["added"]
        assert invoice["order_id"] == order_id
        assert {k: invoice[k] for k in details} == details
    assert written >= 3


@pytest.mark.parametrize("asked", [("43", "白色"), ("+1", "白色"), ("42", "白色")])
def test_the_sold_out_size_in_another_colour_is_that_colour_in_that_size(seeded: Session, asked: tuple) -> None:
    """黑的没43了 那换白色的43码: 白色 43, never 白色 42 (the demo shoes are 黑色 42; 黑色 43 is sold out)."""
    from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS

    order_no = DEMO_ORDERS["exchange_out_of_stock"]
    order = seeded.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
    size, color = asked
    quote = quote_exchange(seeded, DEMO_CUSTOMER_ID, order_no, item_id=order.items[0].id, target_size=size,
                           target_color=color, clock=clock)
    expected = "42" if size == "42" else "43"
    assert (quote.target_color, quote.target_size, quote.eligible) == ("白色", expected, True)
