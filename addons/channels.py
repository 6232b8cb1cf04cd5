"""Rasa's REST and socket.io channels with a guard in front: shape, size and rate checked before any work.

Named `rest` and `socketio` like Rasa's own (same paths, same events), so front-ends see no change
except that bad input is refused:
- a body that is not a JSON object, a missing or malformed sender, a `message` that is not a string or
  `metadata` that is not an object of known keys: HTTP 400 with a JSON error (REST), an `error` event
  (socket.io); nothing reaches the assistant;
- a message longer than `max_message_chars` (1,000): the polite `utter_message_too_long`, without the NLU,
  in the language of its beginning (addons.language; else the page's, else Chinese);
- more messages than the rate limits allow, per sender and per client address: HTTP 429 with a JSON
  error and Retry-After (REST), the polite `utter_rate_limited` (socket.io);
- markup: `<` and `>` are read as their full-width forms, so no shopper's text can become markup
  anywhere it is echoed, stored or rendered.
The client address is added to the metadata by the server (`client`), never taken from the client.
Limits come from credentials.yml, overridden by XIAOER_MAX_MESSAGE_CHARS, XIAOER_SENDER_RATE_PER_MINUTE
and XIAOER_CLIENT_RATE_PER_MINUTE. Rate limits are per process (see SECURITY.md for several replicas).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons.client_address import client_address
from addons.language import message_language
from addons.rate_limits import RateLimiter

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
MAX_BODY_BYTES = 64 * 1024  # a 1,000-character message with metadata fits many times over
# No request to the server (channels and the authenticated API alike) is read past this size.
MAX_REQUEST_BYTES = 8 * 1024 * 1024
# A conversation's id carries an anonymous shopper's passed phone check and receives its replies: front-ends
# must make it random (a uuid4); ids shorter than 16 characters, surely guessable, are refused.
SENDER_PATTERN = re.compile(r"[A-Za-z0-9_.:@-]{16,64}")
SOCKET_SESSION_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Metadata a front-end may send, with the longest value each may have. Anything else is dropped.
METADATA_FIELDS = {"customer_token": 4096, "language": 16, "image_url": 2048}
CLIENT_KEY = "client"
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MARKUP = str.maketrans({"<": "\uff1c", ">": "\uff1e"})


# A long message's language is read on its beginning: enough words to tell, a bounded cost.
LANGUAGE_PREFIX_CHARS = 200


class InvalidMessage(ValueError):
    """A request the assistant will not read; `str()` says why, for the client."""

    status = 400


class BodyTooLarge(InvalidMessage):
    status = 413


@dataclass(frozen=True)
class IncomingMessage:
    sender: str
    text: str
    metadata: dict[str, Any]


def read_text(value: object) -> str:
    """A message's text as the assistant may read it: no control characters, no markup."""
    if not isinstance(value, str):
        raise InvalidMessage("message must be a string")
    return CONTROL_CHARACTERS.sub("", value).translate(MARKUP)


def read_metadata(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidMessage("metadata must be a JSON object")
    metadata: dict[str, Any] = {}
    for key, longest in METADATA_FIELDS.items():
        field = value.get(key)
        if field is None:
            continue
        if not isinstance(field, str) or len(field) > longest:
            raise InvalidMessage(f"metadata.{key} must be a string of at most {longest} characters")
        metadata[key] = field
    image_url = metadata.get("image_url")
    if image_url is not None and not re.fullmatch(r"https?://[^\s<>\"']+", image_url):
        raise InvalidMessage("metadata.image_url must be an http(s) URL")
    return metadata


def read_rest_body(body: bytes) -> IncomingMessage:
    """The REST request's sender, text and metadata, or InvalidMessage."""
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"the body must be at most {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidMessage("the body must be a JSON object") from exc
    if not isinstance(payload, dict):
        raise InvalidMessage("the body must be a JSON object")
    sender = payload.get("sender")
    if not isinstance(sender, str) or not SENDER_PATTERN.fullmatch(sender):
        raise InvalidMessage("sender is required: a random id of 16-64 letters, digits or _.:@-")
    if "message" not in payload:
        raise InvalidMessage("message is required")
    return IncomingMessage(sender, read_text(payload["message"]), read_metadata(payload.get("metadata")))


@dataclass
class Guard:
    """What every channel checks before the assistant sees a message."""

    max_message_chars: int
    senders: RateLimiter
    clients: RateLimiter

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> Guard:
        settings = credentials or {}

        def setting(name: str, default: float) -> float:
            return float(os.environ.get(f"XIAOER_{name.upper()}") or settings.get(name) or default)

        sender_rate = setting("sender_rate_per_minute", 30)
        client_rate = setting("client_rate_per_minute", 600)
        return cls(
            max_message_chars=int(setting("max_message_chars", MAX_MESSAGE_CHARS)),
            senders=RateLimiter(sender_rate, burst=max(1, int(setting("sender_burst", 10)))),
            clients=RateLimiter(client_rate, burst=max(1, int(setting("client_burst", client_rate / 3)))),
        )

    def retry_after(self, sender: str, client: str | None) -> float:
        wait = self.senders.retry_after(sender)
        if client and not wait:
            wait = self.clients.retry_after(client)
        return wait

    def too_long(self, text: str) -> bool:
        return len(text) > self.max_message_chars


def guarded_reply_language(text: str, metadata: Any) -> str:
    """The language of a reply given before the NLU (a message too long, too many messages): the text's
    own, read on its beginning only (a cheap count, addons.language), else the page's, else Chinese."""
    return message_language(text[:LANGUAGE_PREFIX_CHARS], metadata) or "zh"


def _in_language(variation: dict[str, Any], language: str) -> bool:
    """The variation is the one the NLG would pick for that language: no condition for Chinese, the
    condition `language` = en for English (the response's own condition, as the domain writes it)."""
    condition = variation.get("condition") or []
    if language == "zh":
        return not condition
    return condition == [{"type": "slot", "name": "language", "value": language}]


def response_text(app: Any, name: str, language: str = "zh") -> str:
    """The text of domain response `name` of the loaded model in `language` (its Chinese text where it has
    none in that language): the wording lives in the domain."""
    domain = getattr(getattr(getattr(app, "ctx", None), "agent", None), "domain", None)
    variations = (domain.responses.get(name) if domain is not None else None) or []
    for wanted in dict.fromkeys((language, "zh")):
        for variation in variations:
            if variation.get("text") and _in_language(variation, wanted):
                return str(variation["text"])
    raise LookupError(f"the domain has no response {name}")


def error(status: int, code: str, detail: str, **headers: str) -> HTTPResponse:
    return response.json({"error": code, "detail": detail}, status=status, headers=headers or None)


class GuardedRestInput(RestInput):
    """Rasa's REST channel (`/webhooks/rest/webhook`), guarded."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedRestInput:
        return cls(Guard.from_credentials(credentials))

    def __init__(self, guard: Guard | None = None) -> None:
        self.guard = guard or Guard.from_credentials(None)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.listener("before_server_start")
        async def cap_request_size(app: Any, _loop: Any) -> None:
            app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, MAX_REQUEST_BYTES)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                message = read_rest_body(request.body)
            except InvalidMessage as exc:
                return error(exc.status, "invalid_request", str(exc))
            client = client_address(request)
            wait = self.guard.retry_after(message.sender, client)
            if wait:
                return error(429, "rate_limited", "too many messages, slow down", **{"Retry-After": str(int(wait) + 1)})
            if self.guard.too_long(message.text):
                language = guarded_reply_language(message.text, message.metadata)
                text = response_text(request.app, "utter_message_too_long", language)
                return response.json([{"recipient_id": message.sender, "text": text}])
            collector = CollectingOutputChannel()
            metadata = {**message.metadata, CLIENT_KEY: client}
            await on_new_message(
                UserMessage(message.text, collector, message.sender, input_channel=self.name(), metadata=metadata)
            )
            return response.json(collector.messages)

        return webhook


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel, guarded: Rasa's own handlers run behind the checks."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedSocketIOInput:
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        channel.guard = Guard.from_credentials(credentials)
        return channel

    guard: Guard

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        namespace = self.namespace or "/"
        rasa_session_request = sio.handlers[namespace]["session_request"]
        rasa_handle_message = sio.handlers[namespace][self.user_message_evt]
        server: dict[str, Any] = {}

        @webhook.listener("after_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            server["app"] = app

        async def say(sid: str, response_name: str, message: IncomingMessage) -> None:
            language = guarded_reply_language(message.text, message.metadata)
            text = response_text(server.get("app"), response_name, language)
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid)

        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            if not (isinstance(requested, str) and SOCKET_SESSION_PATTERN.fullmatch(requested)):
                requested = None  # Rasa makes a random one
            await rasa_session_request(sid, {"session_id": requested})

        async def handle_message(sid: str, data: Any) -> None:
            try:
                message = self._read(sid, data)
            except InvalidMessage as exc:
                await sio.emit("error", {"error": "invalid_request", "detail": str(exc)}, room=sid)
                return
            request = (sio.get_environ(sid, namespace) or {}).get("sanic.request")  # engineio's REMOTE_ADDR is fixed
            client = client_address(request) if request is not None else ""
            if self.guard.retry_after(message.sender, client):
                await say(sid, "utter_rate_limited", message)
                return
            if self.guard.too_long(message.text):
                await say(sid, "utter_message_too_long", message)
                return
            metadata = {**message.metadata, CLIENT_KEY: client}
            await rasa_handle_message(
                sid, {"message": message.text, "session_id": message.sender, self.metadata_key: metadata}
            )

        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        return webhook

    def _read(self, sid: str, data: Any) -> IncomingMessage:
        if not isinstance(data, dict):
            raise InvalidMessage("the event data must be an object")
        metadata = data.get(self.metadata_key)
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError as exc:
                raise InvalidMessage("metadata must be a JSON object") from exc
        sender = sid
        if self.session_persistence:
            sender = data.get("session_id")
            namespace = self.namespace or "/"
            if not isinstance(sender, str) or sender not in self.sio.rooms(sid, namespace):
                raise InvalidMessage("session_id must be the one confirmed by session_request")
        return IncomingMessage(sender, read_text(data.get("message", "")), read_metadata(metadata))
