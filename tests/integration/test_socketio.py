"""The socket.io channel, as a shop web widget uses it: session, token in metadata, replies."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import socketio

from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.tokens import mint_token

REPLY_WAIT_S = 30


async def converse(server: str, session_id: str, message: str, token: str) -> list[dict[str, Any]]:
    client = socketio.AsyncClient()
    replies: list[dict[str, Any]] = []
    confirmed = asyncio.Event()
    client.on("bot_uttered", lambda data: replies.append(data))
    client.on("session_confirm", lambda _data: confirmed.set())
    await client.connect(server, transports=["websocket"])
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), REPLY_WAIT_S)
        await client.emit(
            "user_uttered", {"message": message, "session_id": session_id, "metadata": {"customer_token": token}}
        )
        for _ in range(REPLY_WAIT_S * 10):
            if any("运单号" in reply.get("text", "") for reply in replies):
                break
            await asyncio.sleep(0.1)
    finally:
        await client.disconnect()
    return replies


def test_socketio_shopper_gets_their_order(rasa_server: str) -> None:
    order = DEMO_ORDERS["in_transit"]
    token = mint_token(DEMO_CUSTOMER_ID)
    replies = asyncio.run(converse(rasa_server, uuid.uuid4().hex, f"订单 {order} 到哪了", token))
    text = "\n".join(reply.get("text", "") for reply in replies)
    assert order in text and "运单号" in text and "138****1234" in text
