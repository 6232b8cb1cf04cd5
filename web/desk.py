"""The agents' desk (/desk/): sign-in, the live queue, a ticket with what the bot passed on, the
transcript and the customer's orders, replies that reach the shopper's widget, notes, closing.

Sessions: a random secret in a Secure, HttpOnly, SameSite=Strict cookie (only its hash is stored);
every POST carries the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, redirect

from addons.client_address import client_address
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services import agents, desk
from shop.services.agents import DeskSession
from web.database import in_session
from web.rasa_api import RasaApi, RasaUnavailable
from web.sign_in import login_csrf_matches, login_form, set_cookie
from web.templates_env import render

COOKIE = "xiaoer_desk"
#: The sign-in form's CSRF token, bound to the browser by a cookie of its own (there is no session yet).
LOGIN_COOKIE = "xiaoer_desk_login"
MAX_FORM_FIELD = 2000

desk_bp = Blueprint("desk", url_prefix="/desk")
Handler = Callable[..., Awaitable[HTTPResponse]]


def rasa(request: Request) -> RasaApi:
    return request.app.ctx.rasa


def signed_in(handler: Handler) -> Handler:
    """The agent of the session cookie, or the sign-in page (JSON 401 for the desk's API)."""

    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        secret = request.cookies.get(COOKIE)
        session = await in_session(lambda db: agents.session_for(db, secret, clock=system_clock))
        if session is None:
            if request.path.startswith("/desk/api/") or request.method != "GET":
                return json({"error": "signed_out"}, status=401)
            return redirect("/desk/login")
        if request.method == "POST" and not agents.csrf_matches(session, _csrf_of(request)):
            return json({"error": "csrf"}, status=403)
        request.ctx.desk = session
        return await handler(request, *args, **kwargs)

    return wrapper


def _csrf_of(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    form = request.form or {}
    return form.get("csrf")


def _field(request: Request, name: str) -> str:
    if request.form and name in request.form:
        value = request.form.get(name) or ""
    else:
        body = request.json if request.content_type.startswith("application/json") else None
        value = (body or {}).get(name, "") if isinstance(body, dict) else ""
    return str(value)[: MAX_FORM_FIELD + 1]


def _problem(error: DomainError) -> HTTPResponse:
    status = {"not_found": 404, "illegal_transition": 409, "not_eligible": 403}.get(error.code, 400)
    return json({"error": error.code, "detail": error.details}, status=status)


def _set_cookie(response: HTTPResponse, name: str, value: str, max_age: int) -> None:
    set_cookie(response, name, value, max_age, "/desk")


def _login_form(status: int = 200, failed: bool = False, username: str = "") -> HTTPResponse:
    return login_form("desk/login.html", LOGIN_COOKIE, "/desk", status, failed, username)


@desk_bp.get("/login")
async def login_page(request: Request) -> HTTPResponse:
    return _login_form()


@desk_bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    form = request.form or {}
    if not login_csrf_matches(request, LOGIN_COOKIE):
        return json({"error": "csrf"}, status=403)
    username, password = str(form.get("username") or "")[:60], str(form.get("password") or "")[:300]
    result = await in_session(lambda db: agents.sign_in(db, username, password, clock=system_clock,
                                                                client=client_address(request)))
    if result is None:
        return _login_form(status=401, failed=True, username=username)
    secret, _session = result
    response = redirect("/desk/")
    _set_cookie(response, COOKIE, secret, agents.SESSION_HOURS * 3600)
    del response.cookies[LOGIN_COOKIE]
    return response


@desk_bp.post("/logout")
@signed_in
async def logout(request: Request) -> HTTPResponse:
    secret = request.cookies.get(COOKIE)
    await in_session(lambda db: agents.sign_out(db, secret))
    response = redirect("/desk/login")
    del response.cookies[COOKIE]
    return response


@desk_bp.get("/")
@signed_in
async def queue_page(request: Request) -> HTTPResponse:
    desk_session: DeskSession = request.ctx.desk
    entries = await in_session(lambda db: desk.queue(db, desk_session.agent, clock=system_clock))
    return render("desk/queue.html", me=desk_session.agent, csrf=desk_session.csrf_token, entries=entries)


@desk_bp.get("/api/queue")
@signed_in
async def queue_json(request: Request) -> HTTPResponse:
    agent = request.ctx.desk.agent
    entries = await in_session(lambda db: desk.queue(db, agent, clock=system_clock))
    return json({"tickets": [_entry_json(entry) for entry in entries]})


def _entry_json(entry: desk.QueueEntry) -> dict[str, Any]:
    return {**asdict(entry), "created_at": entry.created_at.strftime("%m-%d %H:%M")}


@desk_bp.get("/tickets/<ticket_no:str>")
@signed_in
async def ticket_page(request: Request, ticket_no: str) -> HTTPResponse:
    desk_session: DeskSession = request.ctx.desk
    try:
        detail = await in_session(lambda db: desk.ticket_detail(db, desk_session.agent, ticket_no, clock=system_clock))
        canned = await in_session(desk.canned_replies)
    except DomainError as error:
        return render("desk/error.html", status=404 if error.code == "not_found" else 400, me=desk_session.agent,
                      csrf=desk_session.csrf_token)
    return render("desk/ticket.html", me=desk_session.agent, csrf=desk_session.csrf_token, ticket=detail,
                  canned=canned)


@desk_bp.get("/api/tickets/<ticket_no:str>")
@signed_in
async def ticket_json(request: Request, ticket_no: str) -> HTTPResponse:
    """The ticket's state, notes and the transcript (from Rasa's tracker), for the live ticket page."""
    agent = request.ctx.desk.agent
    try:
        detail = await in_session(lambda db: desk.ticket_detail(db, agent, ticket_no, clock=system_clock))
    except DomainError as error:
        return _problem(error)
    try:
        transcript = await rasa(request).transcript(detail.conversation_id)
        transcript_error = None
    except RasaUnavailable:
        transcript, transcript_error = [], "unavailable"
    return json({
        "status": detail.entry.status, "assignee": detail.entry.assignee,
        "notes": [{"author": n.author, "text": n.text, "at": n.created_at.strftime("%m-%d %H:%M")}
                  for n in detail.notes],
        "transcript": transcript, "transcript_error": transcript_error,
    })


@desk_bp.post("/api/tickets/<ticket_no:str>/claim")
@signed_in
async def claim(request: Request, ticket_no: str) -> HTTPResponse:
    agent = request.ctx.desk.agent
    try:
        await in_session(lambda db: desk.claim(db, agent, ticket_no, clock=system_clock))
    except DomainError as error:
        return _problem(error)
    return json({"status": "assigned", "assignee": agent.username})


@desk_bp.post("/api/tickets/<ticket_no:str>/reply")
@signed_in
async def reply(request: Request, ticket_no: str) -> HTTPResponse:
    """The agent's words go into the conversation as a bot message, live to the shopper's widget."""
    agent = request.ctx.desk.agent
    try:
        text = desk.check_reply(_field(request, "text"))
        conversation_id = await in_session(lambda db: desk.conversation_of_held_ticket(db, agent, ticket_no))
    except DomainError as error:
        return _problem(error)
    try:
        await rasa(request).send_agent_message(conversation_id, text, agent.display_name)
    except RasaUnavailable:
        return json({"error": "assistant_unavailable"}, status=503)
    return json({"sent": True})


@desk_bp.post("/api/tickets/<ticket_no:str>/notes")
@signed_in
async def note(request: Request, ticket_no: str) -> HTTPResponse:
    agent = request.ctx.desk.agent
    text = _field(request, "text")
    try:
        saved = await in_session(lambda db: desk.add_note(db, agent, ticket_no, text, clock=system_clock))
    except DomainError as error:
        return _problem(error)
    return json({"author": saved.author, "text": saved.text}, status=201)


@desk_bp.post("/api/tickets/<ticket_no:str>/close")
@signed_in
async def close(request: Request, ticket_no: str) -> HTTPResponse:
    """Hand the conversation back to the bot (which tells the shopper and closes the ticket as held), then
    record the close. When the assistant cannot be reached the ticket stays with the agent, to retry."""
    agent = request.ctx.desk.agent
    try:
        conversation_id = await in_session(lambda db: desk.conversation_of_held_ticket(db, agent, ticket_no))
    except DomainError as error:
        return _problem(error)
    try:
        await rasa(request).hand_back(conversation_id)
    except RasaUnavailable:
        return json({"error": "assistant_unavailable"}, status=503)
    try:
        await in_session(lambda db: desk.close(db, agent, ticket_no, clock=system_clock))
    except DomainError as error:
        return _problem(error)
    return json({"status": "closed", "handed_back": True})


@desk_bp.get("/canned")
@signed_in
async def canned_page(request: Request) -> HTTPResponse:
    desk_session: DeskSession = request.ctx.desk
    replies = await in_session(desk.canned_replies)
    return render("desk/canned.html", me=desk_session.agent, csrf=desk_session.csrf_token, replies=replies)


@desk_bp.post("/canned")
@signed_in
async def save_canned(request: Request) -> HTTPResponse:
    agent = request.ctx.desk.agent
    raw_id = _field(request, "id")
    action = _field(request, "action")
    try:
        reply_id = int(raw_id) if raw_id else None
    except ValueError:
        return json({"error": "invalid_input"}, status=400)
    try:
        if action == "delete" and reply_id is not None:
            await in_session(lambda db: desk.delete_canned_reply(db, agent, reply_id))
        else:
            kind, title, text = _field(request, "kind"), _field(request, "title"), _field(request, "text")
            await in_session(lambda db: desk.save_canned_reply(db, agent, reply_id=reply_id, kind=kind, title=title,
                                                               text=text, clock=system_clock))
    except DomainError as error:
        return _problem(error)
    return redirect("/desk/canned")
