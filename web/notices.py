"""Shop events in and proactive notices out, over HTTP (docs/shop.md "Shop events in", README "Wiring the
shop's events in").

- ``POST /api/events``: a shop's system pushes one event (JSON), signed with
  ``X-Xiaoer-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` under SHOP_EVENTS_SECRET; applied once
  by its id (shop.services.events). 200 ``{"id", "applied"}`` (``applied: false`` for a replay, which
  changes nothing); 401 for a missing or wrong signature; 400/404/409/413 with the reason, nothing changed.
- ``POST /api/notices/pull``: the signed-in shopper's widget (``Authorization: Bearer <JWT>``) says which
  conversation it has open (``{"session_id": ..., "channel": "socketio"}``); the monitor sends later notices
  there live, and the notices still unread are delivered now, into that conversation through Rasa, and
  answered as the assistant's messages (``{"messages": [...]}``) for the widget to show.

A notice reaches a conversation through Rasa's ``POST /conversations/<id>/trigger_intent`` with an
``EXTERNAL_<kind>`` intent and the notice's id as an entity, so the assistant words it (domain responses)
and its follow-ups apply (好的 after a stuck parcel's notice files the claim).
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty
from sanic.response import json as json_response
from sqlalchemy.exc import IntegrityError

from shop.clock import system_clock
from shop.config import get_settings
from shop.db import make_engine, session_scope
from shop.errors import DomainError
from shop.services.events import MAX_EVENT_BYTES, apply_event, signature_matches
from shop.services.notices import (
    NoticeView,
    claim_for_delivery,
    finish_delivery,
    remember_conversation,
    unread_notices,
)
from shop.tokens import verify_token
from web.database import in_session
from web.settings import web_settings

logger = logging.getLogger(__name__)
notices_bp = Blueprint("notices")
SIGNATURE_HEADER = "X-Xiaoer-Signature"
CHANNELS = ("socketio", "rest")
TIMEOUT_S = 15
STATUS_OF_CODE = {"invalid_input": 400, "not_found": 404, "illegal_transition": 409, "not_shipped": 409,
                  "conflict": 409}
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}


class RasaRefused(Exception):
    """Rasa did not answer the trigger, or refused it."""


def trigger_notice(rasa_url: str, api_token: str, notice: NoticeView, conversation_id: str,
                   output_channel: str | None) -> list[dict[str, Any]]:
    """Deliver ``notice`` into ``conversation_id`` (live on ``output_channel``; None: collected and returned)."""
    query = {"token": api_token, **({"output_channel": output_channel} if output_channel else {})}
    url = f"{rasa_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/trigger_intent?{urlencode(query)}"
    entities = {"notice_id": str(notice.notice_id)}
    if notice.facts.get("order_no"):
        entities["order_id"] = str(notice.facts["order_no"])
    body = json.dumps({"name": f"EXTERNAL_{notice.kind}", "entities": entities}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            answer = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise RasaRefused(f"trigger_intent: {error}") from error
    return list(answer.get("messages") or [])


def live_sender(rasa_url: str, api_token: str) -> Any:
    """The monitor's ``send``: a notice into the shopper's open conversation on its channel (socket.io: live)."""

    def send(notice: NoticeView, conversation_id: str, channel: str) -> bool:
        try:
            trigger_notice(rasa_url, api_token, notice, conversation_id, channel)
        except RasaRefused as error:
            logger.warning("notice %s not sent: %s", notice.notice_id, error)
            return False
        return True

    return send


def _error(status: int, code: str, **details: Any) -> HTTPResponse:
    return json_response({"error": code, **details}, status=status)


@notices_bp.post("/api/events")
async def receive_event(request: Request) -> HTTPResponse:
    if int(request.headers.get("content-length") or 0) > MAX_EVENT_BYTES or len(request.body) > MAX_EVENT_BYTES:
        return _error(413, "too_large", limit=MAX_EVENT_BYTES)
    body = request.body or b""
    if not signature_matches(get_settings().events_secret, body, request.headers.get(SIGNATURE_HEADER)):
        return _error(401, "bad_signature")
    for attempt in (1, 2):
        try:
            result = await in_session(lambda session: apply_event(session, body, clock=system_clock))
        except DomainError as error:
            return _error(STATUS_OF_CODE.get(error.code, 422), error.code, reason=error.message,
                          **{key: value for key, value in error.details.items() if key in ("field", "current")})
        except IntegrityError:
            if attempt == 2:
                raise
            continue  # the same id applied concurrently: the second look finds it and answers the replay
        return json_response({"id": result.event_id, "type": result.type, "applied": result.applied})
    return _error(409, "conflict")


@notices_bp.options("/api/notices/pull")
async def pull_preflight(request: Request) -> HTTPResponse:
    return empty(headers=CORS)


@notices_bp.post("/api/notices/pull")
async def pull_notices(request: Request) -> HTTPResponse:
    authorization = request.headers.get("authorization", "")
    token = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
    try:
        customer_id = verify_token(token)
    except DomainError:
        return json_response({"error": "invalid_token"}, status=401, headers=CORS)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict) or len(request.body or b"") > 1024:
        return json_response({"error": "invalid_input", "field": "body"}, status=400, headers=CORS)
    conversation_id, channel = str(body.get("session_id") or ""), str(body.get("channel") or "socketio")
    if channel not in CHANNELS:
        return json_response({"error": "invalid_input", "field": "channel"}, status=400, headers=CORS)

    def remember_and_take(session: Any) -> list[NoticeView]:
        remember_conversation(session, customer_id, conversation_id, channel, clock=system_clock)
        return [notice for notice in unread_notices(session, customer_id)
                if claim_for_delivery(session, notice.notice_id, conversation_id)]

    try:
        taken = await in_session(remember_and_take)
    except DomainError as error:
        return json_response({"error": error.code, **error.details}, status=400, headers=CORS)
    messages = await asyncio.get_running_loop().run_in_executor(None, _deliver_taken, taken, conversation_id)
    return json_response({"messages": messages}, headers=CORS)


def _deliver_taken(taken: list[NoticeView], conversation_id: str) -> list[dict[str, Any]]:
    """Each taken notice into the conversation, its words collected; one Rasa refuses stays unread."""
    settings, messages = web_settings(), []
    for notice in taken:
        try:
            messages += trigger_notice(settings.rasa_url, get_settings().api_token, notice, conversation_id, None)
            delivered = True
        except RasaRefused as error:
            logger.warning("notice %s not delivered: %s", notice.notice_id, error)
            delivered = False
        with session_scope(make_engine()) as session:
            finish_delivery(session, notice.notice_id, delivered=delivered, live=False, clock=system_clock)
    return messages
