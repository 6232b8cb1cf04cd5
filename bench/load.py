"""The fixed conversation script, and the REST clients that replay it: sequential and concurrent."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass, field

import aiohttp
import ujson

from bench.common import percentile

TIMEOUT_S = 30.0
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Turn:
    text: str
    expect: str = ""  # a substring some bot reply must contain (checks the conversation went as scripted)


Conversation = tuple[str, tuple[Turn, ...]]


def script(orders: dict[str, str]) -> list[Conversation]:
    """Mixed conversations of customer 1 (with a token): order lookups, forms, handoff, small talk."""
    return [
        ("greet", (Turn("你好", "店小二"), Turn("谢谢", ""), Turn("再见", ""))),
        ("query_order", (Turn(f"帮我查一下订单 {orders['in_transit']}", orders["in_transit"]), Turn("谢谢"))),
        ("query_order_ask", (Turn("我的快递到哪了"), Turn(orders["delivered_in_window"], "已签收"))),
        ("urge", (Turn(f"怎么还不发货啊 订单{orders['ship_overdue']}", "催"),)),
        ("return_form", (
            Turn("我要退货", "订单"),
            Turn(orders["delivered_in_window"], ""),
            Turn('/inform{"reason": "no_reason"}', "确认"),
            Turn("算了不退了", ""),
        )),
        ("handoff", (Turn("转人工", "人工"),)),
        ("faq", (Turn("可以开发票吗"), Turn("我想修改收货地址"), Turn("拜拜"))),
    ]


_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


async def post(url: str, body: bytes) -> tuple[int, bytes]:
    """One POST over the running loop's pooled keep-alive session (made at the first call)."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = _sessions[loop] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
    async with session.post(url, data=body, headers=JSON_HEADERS) as response:
        return response.status, await response.read()


async def close_connections() -> None:
    """Closes the running loop's session (a client that is done with its loop)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    empty: int = 0
    deviations: list[str] = field(default_factory=list)
    transcript: list[dict[str, object]] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        lat = self.latencies_ms
        return {
            "messages": len(lat), "errors": self.errors, "empty_replies": self.empty,
            "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "p99_ms": percentile(lat, 99),
            "deviations": self.deviations[:10], "deviation_count": len(self.deviations),
        }


def sender_id(name: str) -> str:
    """A sender id the channel accepts: random, 16-64 characters."""
    return f"{name[:40]}-{secrets.token_hex(8)}"


async def send(url: str, sender: str, turn: Turn, token: str, stats: Stats, keep: bool = False) -> None:
    """One REST message; records latency, errors (transport/HTTP) and empty replies.

    Sent over one pooled aiohttp session per event loop. The load generator shares the 2 cores with
    the servers it measures (0.54-0.94 ms of its CPU a message, docs/benchmarks.md, decision 25):
    compare runs of one sitting, interleaved, not figures of different days."""
    body = ujson.dumps({"sender": sender, "message": turn.text, "metadata": {"customer_token": token}},
                       ensure_ascii=False).encode("utf-8")
    started = time.perf_counter()
    try:
        status, reply = await asyncio.wait_for(post(url, body), TIMEOUT_S)
        replies = ujson.loads(reply) if status == 200 else None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        replies = None
    stats.latencies_ms.append((time.perf_counter() - started) * 1000)
    if replies is None:
        stats.errors += 1
        return
    texts = " ".join(str(r.get("text", "")) for r in replies)
    if not replies:
        stats.empty += 1
    if turn.expect and turn.expect not in texts:
        stats.deviations.append(f"{turn.text!r}: expected {turn.expect!r}")
    if keep:
        stats.transcript.append({"sender": sender, "user": turn.text, "bot": texts})


async def converse(
    url: str, sender: str, conversation: Conversation, token: str, stats: Stats, keep: bool = False
) -> None:
    for turn in conversation[1]:
        await send(url, sender, turn, token, stats, keep)


async def sequential(url: str, conversations: list[Conversation], token: str, passes: int, tag: str) -> Stats:
    """Replays the script `passes` times, one message at a time (fresh sender per conversation)."""
    stats = Stats()
    await send(url, sender_id(f"{tag}-warmup"), Turn("你好"), token, Stats())
    for n, conversation in itertools.product(range(passes), conversations):
        await converse(url, sender_id(f"{tag}-{n}-{conversation[0]}"), conversation, token, stats, keep=n == 0)
    await close_connections()
    return stats


async def throughput(
    url: str, conversations: list[Conversation], token: str, users: int, seconds: float, tag: str
) -> dict[str, object]:
    """`users` concurrent conversations for `seconds`; each user starts a fresh conversation when one ends."""
    stats = Stats()
    deadline = time.perf_counter() + seconds
    counter = itertools.count()

    async def user(index: int) -> None:
        for n in itertools.count(index):
            if time.perf_counter() >= deadline:
                return
            conversation = conversations[n % len(conversations)]
            await converse(url, sender_id(f"{tag}-u{index}-{next(counter)}"), conversation, token, stats)

    started = time.perf_counter()
    await asyncio.gather(*(user(i) for i in range(users)))
    elapsed = time.perf_counter() - started
    await close_connections()
    summary = stats.summary()
    summary.update(users=users, seconds=elapsed, msgs_per_s=len(stats.latencies_ms) / elapsed)
    return summary
