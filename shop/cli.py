"""Operator/developer CLI: ``python -m shop {init,seed,import,show,tickets,token,reset,watch,...}``.

Labels printed here are for developers, not shoppers (the bot's wording lives in domain/).
Exit codes: 0 ok, 1 domain/data error (message on stderr), 2 usage error (argparse).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shop.clock import system_clock, to_shop_time
from shop.config import ConfigError, check_serving_config, get_settings
from shop.db import (
    DatabaseNotReady,
    create_database_file,
    drop_schema,
    init_schema,
    make_engine,
    require_database,
    session_scope,
)
from shop.errors import DomainError
from shop.importer import import_file
from shop.migrate import new_revision, stamp_head, upgrade
from shop.models import (
    AddressChange,
    Claim,
    DeliveryIssue,
    Invoice,
    InvoiceChange,
    Order,
    SatisfactionRating,
    ShippingReminder,
    Ticket,
)
from shop.privacy import mask_name, mask_phone
from shop.seed import seed
from shop.services.agents import add_agent, parse_skill_groups
from shop.services.tickets import MAX_LISTED, PRIORITIES, SKILL_GROUPS, close_ticket, list_tickets
from shop.tokens import mint_token


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shop", description="Xiaoer shop backend tools")
    parser.add_argument("--db", help="database URL (default: $SHOP_DB_URL or var/shop.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create the tables (stamped with the newest migration)")
    sub.add_parser("migrate", help="bring the database to the newest schema (Alembic migrations), keeping its data")
    revision_p = sub.add_parser("revision", help="write the migration for a change of shop/models.py")
    revision_p.add_argument("message")
    sub.add_parser("check", help="fail (exit 1) unless the database exists with every table; creates nothing")
    seed_p = sub.add_parser("seed", help="load deterministic demo data into an empty database")
    seed_p.add_argument("--now", type=_iso, help="ISO time the demo data is relative to (default: now)")
    seed_p.add_argument("--rng-seed", type=int, default=42)
    import_p = sub.add_parser("import", help="import a JSON file (all or nothing)")
    import_p.add_argument("file")
    show_p = sub.add_parser("show", help="print one order")
    show_p.add_argument("order_no")
    token_p = sub.add_parser("token", help="mint a customer token")
    token_p.add_argument("customer_id", type=int)
    token_p.add_argument("--ttl", type=int, default=86400, help="seconds (default 86400)")
    secret_p = sub.add_parser("secret", help="print a serving secret (a demo generates it once into var/secrets/)")
    secret_p.add_argument("name", choices=["api-token"])
    sub.add_parser("check-config", help="fail unless serving is safely configured (SHOP_ENV=production needs secrets)")
    agent_p = sub.add_parser("agent", help="desk accounts of human agents").add_subparsers(dest="agent_command",
                                                                                         required=True)
    agent_add = agent_p.add_parser("add", help="create an agent (the password is asked for, or read from stdin)")
    agent_add.add_argument("username")
    agent_add.add_argument("--name", default="", help="display name (default: the username)")
    agent_add.add_argument("--role", choices=["agent", "admin"], default="agent")
    agent_add.add_argument("--groups", default="售后", help="skill groups, comma-separated: 售后,物流,支付,售前")
    agent_add.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    reset_p = sub.add_parser("reset", help="drop, create and seed (demo convenience)")
    reset_p.add_argument("--now", type=_iso)
    report_p = sub.add_parser("report", help="the weekly report: report.html and report.pdf (docs/analytics.md)")
    report_p.add_argument("--week", required=True, type=_week, help="ISO week, e.g. 2026-W49")
    report_p.add_argument("--out", required=True, help="folder to write into (created)")
    report_p.add_argument("--no-pdf", action="store_true", help="write report.html only")
    _add_tickets_parser(sub)
    watch_p = sub.add_parser("watch", help="send the proactive notices that are due; loops until stopped")
    watch_p.add_argument("--once", action="store_true", help="one pass, then exit")
    watch_p.add_argument("--interval", type=int, default=300, help="seconds between passes (default 300)")
    return parser


def _add_tickets_parser(sub: Any) -> None:
    tickets_p = sub.add_parser("tickets", help="list hand-off tickets, newest first; `tickets close TICKET_NO` "
                                               "closes one")
    state = tickets_p.add_mutually_exclusive_group()
    state.add_argument("--open", dest="status", action="store_const", const="open", help="not closed (incl. assigned)")
    state.add_argument("--closed", dest="status", action="store_const", const="closed")
    tickets_p.add_argument("--group", choices=sorted(set(SKILL_GROUPS.values())), help="skill group")
    tickets_p.add_argument("--priority", choices=PRIORITIES)
    tickets_p.add_argument("--customer", type=int, help="customer id")
    tickets_p.add_argument("--order", help="order number")
    tickets_p.add_argument("--limit", type=int, default=50, help=f"at most this many (1-{MAX_LISTED}, default 50)")
    close_p = tickets_p.add_subparsers(dest="tickets_command").add_parser(
        "close", help="close a ticket (again: changes nothing); an unknown number exits with 2")
    close_p.add_argument("ticket_no")
    close_p.add_argument("--note", help="an internal note kept with the ticket (never shown to the shopper)")
    close_p.add_argument("--by", default="operator", help="who closes it (default: operator)")


def _week(value: str) -> str:
    from shop.analytics.summary import iso_week

    try:
        iso_week(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return value.strip()


def _iso(value: str) -> datetime:
    try:
        return to_shop_time(datetime.fromisoformat(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO datetime: {value!r}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except DomainError as exc:
        print(f"error: {exc.message}" if exc.code == "invalid_import" else f"error: {exc}", file=sys.stderr)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
    except DatabaseNotReady as exc:
        print(f"error: {exc}", file=sys.stderr)
    except SQLAlchemyError as exc:
        print(f"database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
    return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "token":
        print(mint_token(args.customer_id, ttl_seconds=args.ttl))
        return 0
    if args.command == "secret":
        print(get_settings().api_token)
        return 0
    if args.command == "check-config":
        check_serving_config()
        return 0
    engine = make_engine(args.db)
    if args.command == "revision":
        for path in new_revision(args.message):
            print(f"wrote {path}: read it before committing")
        return 0
    if args.command not in ("init", "reset", "migrate"):  # only these create a database
        require_database(engine)
    if args.command == "check":
        print("shop database ok")
        return 0
    if args.command == "tickets":
        return _tickets(engine, args)
    handlers = {"init": _init, "migrate": _migrate, "seed": _seed, "import": _import, "show": _show, "reset": _reset,
                "agent": _agent, "report": _report, "watch": _watch}
    handlers[args.command](engine, args)
    return 0


def _report(engine: Engine, args: argparse.Namespace) -> None:
    from shop.analytics.report import ReportError, write_report
    from shop.analytics.sources import TrackerStoreNotConfigured, tracker_engine

    try:
        files = write_report(args.week, Path(args.out), tracker_engine(), engine, pdf=not args.no_pdf)
    except (ReportError, TrackerStoreNotConfigured) as exc:
        raise DomainError("report_failed", str(exc)) from exc
    print("\n".join(str(path) for path in (files.html, files.pdf) if path))


def _watch(engine: Engine, args: argparse.Namespace) -> None:
    """The monitor: record due notices and send them into open conversations through Rasa (web.notices)."""
    import time

    from shop.services.notices import watch_once
    from web.notices import live_sender
    from web.settings import web_settings

    send = live_sender(web_settings().rasa_url, get_settings().api_token)
    while True:
        report = watch_once(engine, clock=system_clock, send=send)
        if report.quiet:
            print(f"quiet hours ({get_settings().quiet_hours}): nothing sent", flush=True)
        else:
            print(f"notices: {report.recorded} new, {report.sent} sent live, {report.unread} unread", flush=True)
        if args.once:
            return
        time.sleep(max(10, args.interval))


def _tickets(engine: Engine, args: argparse.Namespace) -> int:
    if args.tickets_command == "close":
        return _close_ticket(engine, args)
    with session_scope(engine) as session:
        listed = list_tickets(session, status=args.status, skill_group=args.group, priority=args.priority,
                              customer_id=args.customer, order_no=args.order, limit=args.limit)
    headers = ["ticket", "created", "group", "priority", "status", "customer", "order", "summary"]
    rows = [[t.ticket_no, f"{t.created_at:%Y-%m-%d %H:%M}", t.skill_group, t.priority,
             t.status + (f" ({t.assignee})" if t.status == "assigned" and t.assignee else ""),
             f"#{t.customer_id} {mask_name(t.customer_name or '')}" if t.customer_id is not None else "-",
             t.order_no or "-", _one_line(t.summary, SUMMARY_SHOWN)] for t in listed]
    print("\n".join(format_table(headers, rows)) if rows else "no tickets")
    return 0


def _close_ticket(engine: Engine, args: argparse.Namespace) -> int:
    try:
        with session_scope(engine) as session:
            closed = close_ticket(session, args.ticket_no, closed_by=args.by, clock=system_clock, note=args.note)
    except DomainError as exc:
        if exc.code != "not_found":
            raise
        print(f"error: no ticket {args.ticket_no}", file=sys.stderr)
        return 2
    if closed.changed:
        print(f"ticket {closed.ticket_no} closed at {closed.closed_at:%Y-%m-%d %H:%M} by {closed.closed_by}; its "
              f"conversation {closed.conversation_id} stays with a person until handed back to the bot "
              "(README: action_handoff_resume)")
    else:
        print(f"ticket {closed.ticket_no} was already closed ({closed.closed_at:%Y-%m-%d %H:%M} by "
              f"{closed.closed_by or '-'}): nothing changed")
    return 0


#: Characters of a ticket's summary shown in the list (`show ORDER` has the tickets of an order).
SUMMARY_SHOWN = 40


def _one_line(text: str, width: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def _display_width(text: str) -> int:
    """Columns a terminal gives `text`: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def format_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A plain-text table, columns aligned for Chinese text too."""
    widths = [max(_display_width(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = (cell + " " * (width - _display_width(cell)) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return [line(headers), line(["-" * width for width in widths]), *(line(row) for row in rows)]


def _init(engine: Engine, _args: argparse.Namespace) -> None:
    init_schema(engine)
    stamp_head(engine)
    print("schema created")


def _migrate(engine: Engine, _args: argparse.Namespace) -> None:
    before, after = upgrade(engine)
    print(f"schema at {after}" + (f" (was {before})" if before != after else " (already)"))


def _seed(engine: Engine, args: argparse.Namespace) -> None:
    with session_scope(engine) as session:
        counts = seed(session, now=args.now or system_clock(), rng_seed=getattr(args, "rng_seed", 42))
    print("seeded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


def _import(engine: Engine, args: argparse.Namespace) -> None:
    with session_scope(engine) as session:
        summary = import_file(session, args.file)
    print(f"imported: customers={summary.customers}, products={summary.products}, "
          f"skus={summary.skus}, orders={summary.orders}")


def _agent(engine: Engine, args: argparse.Namespace) -> None:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else _ask_password()
    with session_scope(engine) as session:
        agent = add_agent(session, username=args.username, password=password, display_name=args.name,
                          role=args.role, skill_groups=parse_skill_groups(args.groups), clock=system_clock)
    print(f"agent {agent.username} ({agent.role}, {','.join(agent.skill_groups)}) created")


def _ask_password() -> str:
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise DomainError("invalid_input", "the passwords differ", field="password")
    return password


def _reset(engine: Engine, args: argparse.Namespace) -> None:
    create_database_file(engine)
    drop_schema(engine)
    init_schema(engine)
    stamp_head(engine)
    _seed(engine, args)


def _show(engine: Engine, args: argparse.Namespace) -> None:
    with session_scope(engine) as session:
        order = session.execute(select(Order).where(Order.order_no == args.order_no)).scalar_one_or_none()
        if order is None:
            raise DomainError("not_found", f"order {args.order_no} not found")
        print("\n".join(format_order(order) + format_order_records(session, order)))


def format_order(order: Order) -> list[str]:
    """Readable multi-line dump of an order (masked personal data)."""
    c = order.customer
    lines = [
        f"Order {order.order_no}  status={order.status}",
        f"  customer #{c.id} {mask_name(c.name)} {mask_phone(c.phone)}",
        f"  created {order.created_at}  paid {order.paid_at or '-'}  ship_by {order.ship_by or '-'}",
        f"  delivered {order.delivered_at or '-'}  completed {order.completed_at or '-'}"
        f"  cancelled {order.cancelled_at or '-'}",
        f"  total {order.total_amount}  paid/due {order.paid_amount}",
        f"  ship to {order.province}{order.city}{order.district} ({mask_name(order.recipient)} "
        f"{mask_phone(order.phone)})",
    ]
    if order.delay_reason:
        lines.append(f"  delay reason: {order.delay_reason}")
    lines.append("  items:")
    lines += [f"    #{i.id} {i.sku.sku_code} {i.sku.product.title} {i.sku.size or ''} {i.sku.color or ''}"
              f" x{i.quantity} @ {i.unit_price} paid {i.paid_amount}" for i in order.items]
    lines.append("  payments:")
    payments = [f"    {p.created_at} {p.method} {p.amount} {p.status}"
                f"{' (' + p.failure_reason + ')' if p.failure_reason else ''}"
                f"{' refund:' + p.refund_reason if p.refund_reason else ''}" for p in order.payments]
    lines += payments or ["    -"]
    lines += _shipment_lines(order) + _after_sale_lines(order)
    return lines


def _shipment_lines(order: Order) -> list[str]:
    ship = order.shipment
    if ship is None:
        return ["  shipment: -"]
    lines = [f"  shipment: {ship.courier} {ship.tracking_no} shipped {ship.shipped_at}"]
    lines += [f"    {e.time} {e.place} {e.description}" for e in reversed(ship.events)]
    return lines


def _after_sale_lines(order: Order) -> list[str]:
    lines = ["  after-sales:"]
    for req in order.after_sales:
        parcel = f" waybill={req.parcel.waybill_no}" if req.parcel else ""
        lines.append(f"    {req.request_no} {req.type} {req.status} reason={req.reason_kind}"
                     f" refund={req.refund_amount}{parcel}")
        lines += [f"      {e.time} {e.status}{' ' + e.note if e.note else ''}" for e in req.events]
    return lines if len(lines) > 1 else ["  after-sales: -"]


def format_order_records(session: Session, order: Order) -> list[str]:
    """Everything else the shop keeps about an order: invoices, address changes, reminders, claims,
    delivery issues, tickets and the ratings of their conversations (masked, as above)."""

    def rows(model: Any, *where: Any) -> list[Any]:
        return list(session.execute(select(model).where(*where).order_by(model.id)).scalars())

    def section(title: str, lines: list[str]) -> list[str]:
        return [f"  {title}:", *lines] if lines else [f"  {title}: -"]

    invoices = rows(Invoice, Invoice.order_id == order.id)
    invoice_lines = []
    for invoice in invoices:
        invoice_lines.append(f"    {invoice.kind} {invoice.title} {invoice.status} requested {invoice.requested_at}"
                             f" issued {invoice.issued_at or '-'}")
        invoice_lines += [f"      change to {change.kind} {change.title} {change.status} {change.requested_at}"
                          for change in rows(InvoiceChange, InvoiceChange.invoice_id == invoice.id)]
    changes = [f"    {change.changed_at} {_address_text(change.old_address)} → {_address_text(change.new_address)}"
               for change in rows(AddressChange, AddressChange.order_id == order.id)]
    reminders = [f"    {reminder.created_at}"
                 for reminder in rows(ShippingReminder, ShippingReminder.order_id == order.id)]
    claims = [f"    {claim.claim_no} {claim.kind} {claim.status} amount={claim.amount or '-'} {claim.created_at}"
              for claim in rows(Claim, Claim.order_id == order.id)]
    issues = []
    for issue in rows(DeliveryIssue, DeliveryIssue.order_id == order.id):
        missing = ", ".join(f"#{item.order_item_id} x{item.quantity}" for item in issue.items)
        issues.append(f"    {issue.issue_no} {issue.problem} remedy={issue.remedy} {issue.status} {issue.created_at}"
                      f"{' missing ' + missing if missing else ''}")
    tickets = rows(Ticket, Ticket.order_id == order.id)
    ticket_lines = [f"    {ticket.ticket_no} {ticket.topic} {ticket.skill_group} {ticket.priority} {ticket.status}"
                    f" assignee={ticket.assignee or '-'} {ticket.created_at} closed {ticket.closed_at or '-'}"
                    for ticket in tickets]
    conversations = {ticket.conversation_id for ticket in tickets}
    ratings = [f"    {rating.rating}/5 {rating.created_at}{' ' + repr(rating.comment) if rating.comment else ''}"
               for rating in (rows(SatisfactionRating, SatisfactionRating.conversation_id.in_(conversations))
                              if conversations else [])]
    return (section("invoices", invoice_lines) + section("address changes", changes)
            + section("shipping reminders", reminders) + section("claims", claims)
            + section("delivery issues", issues) + section("tickets", ticket_lines)
            + section("ratings (of the tickets' conversations)", ratings))


def _address_text(address: Any) -> str:
    """A stored address (JSON), with its person masked."""
    if not isinstance(address, dict):
        return "-"
    place = "".join(str(address.get(key) or "") for key in ("province", "city", "district"))
    return f"{place} ({mask_name(str(address.get('recipient') or ''))} {mask_phone(str(address.get('phone') or ''))})"
