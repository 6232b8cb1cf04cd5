"""The few calls of Rasa's HTTP API the desk needs, always with the API token (``?token=``).

- the transcript: GET /conversations/<id>/tracker
- an agent's reply: POST /conversations/<id>/tracker/events with a ``bot`` event, executed on the
  socket.io output channel, so it reaches the shopper's widget live and stays in the transcript;
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
SHOPPER_CHANNEL = "socketio"


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
        """The conversation's user and bot messages, oldest first."""
        tracker = await self._call("GET", self._url(conversation_id, "tracker"), {"include_events": "ALL"})
        return [
            {
                "who": "shopper" if event["event"] == "user" else ("agent" if _agent_of(event) else "bot"),
                "agent": _agent_of(event),
                "text": event.get("text") or "",
                "buttons": [button.get("title", "") for button in (event.get("data") or {}).get("buttons") or []],
                "image": ((event.get("metadata") or {}).get("image_url") if event["event"] == "user" else None),
                "timestamp": event.get("timestamp"),
            }
            for event in tracker.get("events") or []
            if event.get("event") in ("user", "bot") and (event.get("text") or (event.get("data") or {}).get("buttons"))
        ]

    async def send_agent_message(self, conversation_id: str, text: str, agent_name: str) -> None:
        event = {"event": "bot", "text": text, "metadata": {"agent": agent_name}}
        await self._call("POST", self._url(conversation_id, "tracker/events"),
                         {"output_channel": SHOPPER_CHANNEL, "execute_side_effects": "true"}, event)

    async def hand_back(self, conversation_id: str) -> None:
        await self._call("POST", self._url(conversation_id, "execute"), {"output_channel": SHOPPER_CHANNEL},
                         {"name": RESUME_ACTION})


def _agent_of(event: dict[str, Any]) -> str | None:
    if event.get("event") != "bot":
        return None
    agent = (event.get("metadata") or {}).get("agent")
    return str(agent) if agent else None
