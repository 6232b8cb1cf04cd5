"""The few calls of Rasa's HTTP API the desk needs, always with the API token (``?token=``).

- the transcript: GET /conversations/<id>/tracker
- an agent's reply: POST /conversations/<id>/tracker/events with a ``bot`` event, executed on the
  shopper's channel (socket.io for the widget), so it reaches the widget live and stays in the transcript;
- handing back: POST /conversations/<id>/execute of ``action_handoff_resume`` (resumes the paused
  conversation, closes its ticket if still open, tells the shopper the assistant is back).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

from shop.config import get_settings

TIMEOUT = aiohttp.ClientTimeout(total=15)
RESUME_ACTION = "action_handoff_resume"
#: Rasa's output_channel value for "the channel the shopper last wrote from" (socket.io for the widget:
#: the message is pushed live to the shopper's session; REST shoppers read it from the transcript).
SHOPPER_CHANNEL = "latest"
#: How Rasa records an intent triggered from outside (a proactive notice, web.notices): not the shopper's words.
EXTERNAL_PREFIX = "EXTERNAL: "


def _is_a_trigger(event: dict[str, Any]) -> bool:
    """An intent triggered through the API (a notice): Rasa records it with an EXTERNAL_ intent. Its text
    alone proves nothing: a shopper can type "EXTERNAL: …" too, and must not hide it from the agent."""
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
    return str(event.get("text") or "").startswith(EXTERNAL_PREFIX) and str(intent).startswith("EXTERNAL_")


class RasaUnavailable(Exception):
    """Rasa did not answer, or refused the call."""


class RasaApi:
    def __init__(self, base_url: str, api_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_token = api_token

    @property
    def api_token(self) -> str:
        return self._api_token or get_settings().api_token

    def _url(self, conversation_id: str, tail: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{tail}"

    async def _call(self, method: str, url: str, params: dict[str, str], body: Any = None) -> Any:
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT) as client:
                async with client.request(method, url, params={**params, "token": self.api_token},
                                          json=body) as response:
                    if response.status >= 400:
                        raise RasaUnavailable(f"{method} {url.split('?')[0]}: HTTP {response.status}")
                    return await response.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RasaUnavailable(str(error)) from error

    async def transcript(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's user and bot messages, oldest first (a tapped button shows as its title)."""
        tracker = await self._call("GET", self._url(conversation_id, "tracker"), {"include_events": "ALL"})
        return transcript_lines(tracker.get("events") or [])

    async def send_agent_message(self, conversation_id: str, text: str, agent_name: str) -> None:
        event = {"event": "bot", "text": text, "metadata": {"agent": agent_name}}
        await self._call("POST", self._url(conversation_id, "tracker/events"),
                         {"output_channel": SHOPPER_CHANNEL, "execute_side_effects": "true"}, event)

    async def hand_back(self, conversation_id: str) -> None:
        await self._call("POST", self._url(conversation_id, "execute"), {"output_channel": SHOPPER_CHANNEL},
                         {"name": RESUME_ACTION})


def transcript_lines(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    offered: dict[str, str] = {}  # payload -> title of the buttons last shown
    for event in events:
        kind, text = event.get("event"), event.get("text") or ""
        data = event.get("data") or {}
        if kind == "bot" and (text or data.get("buttons")):
            buttons = data.get("buttons") or []
            offered = {str(b.get("payload")): str(b.get("title", "")) for b in buttons} or offered
            agent = _agent_of(event)
            lines.append({"who": "agent" if agent else "bot", "agent": agent, "text": text,
                          "buttons": [str(b.get("title", "")) for b in buttons], "image": None,
                          "timestamp": event.get("timestamp")})
        elif kind == "user" and text and not _is_a_trigger(event):  # a notice's trigger is no shopper's
            lines.append({"who": "shopper", "agent": None, "text": offered.get(text, text), "buttons": [],
                          "image": (event.get("metadata") or {}).get("image_url"), "timestamp": event.get("timestamp")})
    return lines


def _agent_of(event: dict[str, Any]) -> str | None:
    if event.get("event") != "bot":
        return None
    agent = (event.get("metadata") or {}).get("agent")
    return str(agent) if agent else None
