"""Delivered but not received / damaged: window, evidence, one report per order, refund request."""

from __future__ import annotations

import pytest
from shop_builders import at, catalogue, clock, clock_at, customer, order
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.errors import DomainError
from shop.models import AfterSaleRequest, DeliveryIssue
from shop.services.delivery_issues import quote_delivery_issue, report_delivery_issue
from shop.services.refunds import refund_progress
from shop.services.returns import request_return

PHOTO = "https://img.example.com/box.jpg"


@pytest.fixture()
def world(db_session: Session) -> dict:
    skus = catalogue(db_session)
    me = customer(db_session)
    other = customer(db_session, "李四", "13900005678")
    return {"s": db_session, "skus": skus, "me": me, "other": other}


def _err(fn: object, *args: object, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)  # type: ignore[operator]
    return err.value


def _count(s: Session, model: object) -> int:
    return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_quote_codes(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    ok = order(s, me, [(skus["TEE-M"], 1)], delivered_at=at(days=-3), method="wechat")
    quote = quote_delivery_issue(s, me.id, ok.order_no, clock=clock)
    assert quote.eligible and quote.code == "ok" and quote.refund_amount == ok.paid_amount
    assert quote.refund_method == "wechat" and quote.expected_arrival_days == (1, 3)
    shipped = order(s, me, [(skus["CUP"], 1)], status="shipped")
    assert quote_delivery_issue(s, me.id, shipped.order_no, clock=clock).code == "not_delivered"
    old = order(s, me, [(skus["CUP"], 1)], delivered_at=at(days=-16))
    late = quote_delivery_issue(s, me.id, old.order_no, clock=clock)
    assert late.code == "window_expired" and not late.eligible


def test_window_is_fifteen_days_after_delivery(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    delivered = order(s, me, [(skus["CUP"], 1)], delivered_at=at(days=-15))
    # Delivered 15 days ago: still OK today, refused tomorrow.
    assert quote_delivery_issue(s, me.id, delivered.order_no, clock=clock).code == "ok"
    assert quote_delivery_issue(s, me.id, delivered.order_no, clock=clock_at(days=1)).code == "window_expired"


def test_reship_report_is_written_once(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    row = order(s, me, [(skus["TEE-M"], 1)])
    first = report_delivery_issue(s, me.id, row.order_no, problem="not_received", remedy="reship",
                                  evidence_urls=[PHOTO], clock=clock)
    assert first.created and first.issue_no.startswith("DI") and first.remedy == "reship"
    assert first.refund_amount is None and first.request_no is None and first.evidence_urls == [PHOTO]
    again = report_delivery_issue(s, me.id, row.order_no, problem="damaged", remedy="refund",
                                  evidence_urls=[PHOTO], clock=clock_at(hours=1))
    assert not again.created and again.issue_no == first.issue_no and again.remedy == "reship"
    assert _count(s, DeliveryIssue) == 1 and _count(s, AfterSaleRequest) == 0
    assert quote_delivery_issue(s, me.id, row.order_no, clock=clock).existing == again


def test_refund_report_opens_a_refund_request_shown_in_progress(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    row = order(s, me, [(skus["TEE-M"], 1), (skus["CUP"], 2)], method="card")
    view = report_delivery_issue(s, me.id, row.order_no, problem="damaged", remedy="refund",
                                 evidence_urls=[PHOTO], clock=clock)
    assert view.created and view.refund_amount == row.paid_amount and view.refund_method == "card"
    assert view.expected_arrival_days == (3, 7) and view.request_no.startswith("AS")
    [progress] = refund_progress(s, me.id, order_no=row.order_no)
    assert (progress.request_no, progress.type, progress.status) == (view.request_no, "refund_only", "requested")
    assert progress.reason_kind == "damaged" and progress.refund_amount == row.paid_amount
    # The lines are now in after-sale: no return on top of the refund.
    item_id = row.items[0].id
    err = _err(request_return, s, me.id, row.order_no, item_id=item_id, reason_kind="damaged",
               evidence_urls=[PHOTO], clock=clock)
    assert err.code == "not_eligible"


def test_refusals_write_nothing(world: dict) -> None:
    s, me, other, skus = world["s"], world["me"], world["other"], world["skus"]
    row = order(s, me, [(skus["CUP"], 1)])
    shipped = order(s, me, [(skus["CUP"], 1)], status="shipped")
    old = order(s, me, [(skus["CUP"], 1)], delivered_at=at(days=-20))
    theirs = order(s, other, [(skus["CUP"], 1)])
    kwargs = {"problem": "damaged", "remedy": "refund", "evidence_urls": [PHOTO], "clock": clock}
    assert _err(report_delivery_issue, s, me.id, row.order_no, **{**kwargs, "evidence_urls": []}).code == (
        "evidence_required")
    bad_problem = _err(report_delivery_issue, s, me.id, row.order_no, **{**kwargs, "problem": "lost"})
    assert (bad_problem.code, bad_problem.details["field"]) == ("invalid_input", "problem")
    bad_remedy = _err(report_delivery_issue, s, me.id, row.order_no, **{**kwargs, "remedy": "cash"})
    assert (bad_remedy.code, bad_remedy.details["field"]) == ("invalid_input", "remedy")
    assert _err(report_delivery_issue, s, me.id, shipped.order_no, **kwargs).code == "not_eligible"
    assert _err(report_delivery_issue, s, me.id, old.order_no, **kwargs).code == "window_expired"
    assert _err(report_delivery_issue, s, me.id, theirs.order_no, **kwargs).code == "not_found"
    assert _err(quote_delivery_issue, s, me.id, theirs.order_no, clock=clock).code == "not_found"
    assert _count(s, DeliveryIssue) == 0 and _count(s, AfterSaleRequest) == 0


def test_a_line_already_returned_cannot_be_reported(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    row = order(s, me, [(skus["TEE-M"], 1)])
    request_return(s, me.id, row.order_no, item_id=row.items[0].id, reason_kind="no_reason", clock=clock)
    assert quote_delivery_issue(s, me.id, row.order_no, clock=clock).code == "already_requested"
    err = _err(report_delivery_issue, s, me.id, row.order_no, problem="damaged", remedy="reship",
               evidence_urls=[PHOTO], clock=clock)
    assert err.code == "not_eligible" and err.details["reason"] == "already_requested"


def test_missing_items_refund_pays_their_share_once(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    # 2 cups at 89 and a tee at 79, 20 off: each line's paid amount carries its part of the discount.
    row = order(s, me, [(skus["CUP"], 2), (skus["TEE-M"], 1)], discount="20", method="wechat")
    cups, tee = row.items
    one_cup = (cups.paid_amount / 2).quantize(cups.paid_amount)
    quote = quote_delivery_issue(s, me.id, row.order_no, missing={cups.id: 1}, clock=clock)
    assert quote.eligible and quote.refund_amount == one_cup < row.paid_amount
    view = report_delivery_issue(s, me.id, row.order_no, problem="missing_items", remedy="refund",
                                 evidence_urls=[PHOTO], missing={cups.id: 1}, clock=clock)
    assert view.created and view.missing == [(cups.id, 1)] and view.refund_amount == one_cup
    [progress] = refund_progress(s, me.id, order_no=row.order_no)
    assert progress.reason_kind == "missing_items" and progress.refund_amount == one_cup
    [refunded] = s.execute(select(AfterSaleRequest)).scalar_one().items
    assert (refunded.order_item_id, refunded.quantity) == (cups.id, 1)
    # Asking again (even for the tee) files nothing new.
    again = report_delivery_issue(s, me.id, row.order_no, problem="missing_items", remedy="refund",
                                  evidence_urls=[PHOTO], missing={tee.id: 1}, clock=clock)
    assert not again.created and again.issue_no == view.issue_no and again.missing == [(cups.id, 1)]
    assert _count(s, DeliveryIssue) == 1 and _count(s, AfterSaleRequest) == 1


def test_missing_items_reship_records_the_lines_and_no_refund(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    row = order(s, me, [(skus["CUP"], 2), (skus["TEE-M"], 1)])
    cups, tee = row.items
    view = report_delivery_issue(s, me.id, row.order_no, problem="missing_items", remedy="reship",
                                 evidence_urls=[PHOTO], missing={cups.id: 2, tee.id: 1}, clock=clock)
    assert view.created and sorted(view.missing) == sorted([(cups.id, 2), (tee.id, 1)])
    assert view.refund_amount is None and _count(s, AfterSaleRequest) == 0
    existing = quote_delivery_issue(s, me.id, row.order_no, clock=clock).existing
    assert existing is not None and (existing.issue_no, existing.missing) == (view.issue_no, view.missing)


def test_missing_items_bad_input_writes_nothing(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    row = order(s, me, [(skus["CUP"], 2)])
    another = order(s, me, [(skus["TEE-M"], 1)])
    cups = row.items[0]
    kwargs = {"problem": "missing_items", "remedy": "refund", "evidence_urls": [PHOTO], "clock": clock}
    for missing in ({}, None, {cups.id: 3}, {cups.id: 0}, {another.items[0].id: 1}):
        err = _err(report_delivery_issue, s, me.id, row.order_no, **{**kwargs, "missing": missing})
        assert (err.code, err.details["field"]) == ("invalid_input", "missing"), missing
    # Lines named for another problem are a mistake too, not silently dropped.
    err = _err(report_delivery_issue, s, me.id, row.order_no,
               **{**kwargs, "problem": "damaged", "missing": {cups.id: 1}})
    assert err.details["field"] == "missing"
    assert _err(quote_delivery_issue, s, me.id, row.order_no, missing={cups.id: 5}, clock=clock).code == (
        "invalid_input")
    assert _count(s, DeliveryIssue) == 0 and _count(s, AfterSaleRequest) == 0
