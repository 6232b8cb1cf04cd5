"""`make demo-traffic`: a realistic stretch of shoppers played through the real assistant.

The trained model runs in-process (a Rasa `Agent` with the tracker store of endpoints.yml) and so
does the action server (rasa_sdk's own Sanic app on a free local port), both on the shop database.
time-machine moves the clock of this one process across the days, so Rasa stamps its events and the
shop its rows (through `shop.clock.system_clock`) at the simulated time. Nothing is written to the
analytics tables by hand: every figure the dashboard and the report show comes from these
conversations and from what the shop did (tickets, ratings, returns); agents taking over a handed-off
conversation are played as the desk does it (ticket assigned and closed, the bot resumed).

Usage: python scripts/demo_traffic.py [--weeks 2] [--per-day 14] [--seed 7]
(plays the given number of whole ISO weeks before this one, then this week up to now.)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
import time_machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from shop.clock import SHOP_TZ, system_clock  # noqa: E402
from shop.db import make_engine, session_scope  # noqa: E402
from shop.models import Customer, Order, Ticket  # noqa: E402
from shop.services import desk  # noqa: E402
from shop.services.agents import SKILL_GROUP_NAMES, AgentView  # noqa: E402
from shop.tokens import mint_token  # noqa: E402

MODEL = ROOT / "models" / "current.tar.gz"
ENDPOINTS = ROOT / "endpoints.yml"
MAX_TURNS = 9
#: How many conversations start in each hour of the day (shop time), relative: evenings are busy.
HOURLY_WEIGHT = [1, 0, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 8, 7, 6, 6, 6, 7, 8, 10, 12, 12, 9, 4]
#: Weekends are busier (and Monday carries the weekend's after-sales).
DAY_WEIGHT = [1.2, 1.0, 0.9, 0.9, 1.0, 1.3, 1.4]

log = logging.getLogger("demo_traffic")


# --- what shoppers say -----------------------------------------------------------------------------

@dataclass
class Scenario:
    """One kind of shopper: the opening messages, then what they answer to the assistant's buttons."""

    name: str
    weight: int
    messages: list[str]
    logged_in: bool = True
    prefer: list[str] = field(default_factory=list)
    #: ratings this kind of shopper gives when asked (chosen at random)
    ratings: tuple[int, ...] = (5, 5, 5, 4, 4, 3)
    #: how many of the first preferences each shopper takes in an order of their own (e.g. reasons)
    shuffled_preferences: int = 0
    follow_up: tuple[str, ...] = ("谢谢", "好的谢谢", "", "", "")


FAQ_QUESTIONS = [
    "包邮吗", "发什么快递", "今天下单什么时候发货", "几天能到", "客服几点上班", "七天无理由怎么退",
    "有优惠券吗", "我身高165体重110穿多大码", "我170穿多大码", "T恤是什么材质的", "纯棉T恤会缩水吗",
    "牛仔裤是什么面料", "手环防水吗", "耳机续航多久", "保温杯能装开水吗", "大闸蟹保质期多久",
    "偏远地区包邮吗", "运费多少", "可以开发票吗", "退货运费谁出",
]
PRODUCT_QUESTIONS = [
    "智能手环什么时候能发货", "智能手环发什么快递", "智能手环几天能到", "手环今天能发吗",
    "牛仔裤尺码偏大还是偏小", "牛仔裤我腰围2尺4穿多大", "连衣裙M码适合多重", "T恤XL还有货吗",
    "跑步鞋码数正吗", "连衣裙是什么面料", "T恤是纯棉的吗",
]
UNRECOGNISED = [
    "直播间的链接在哪", "直播间的链接在哪", "你们直播几点开始", "可以寄到香港吗", "能寄到国外吗",
    "你是真人吗", "你是机器人吗", "asdfgh", "？？", "主播说的赠品呢", "赠品怎么没有", "能便宜点吗",
    "会员积分怎么用", "积分能抵现吗", "有没有学生优惠",
]
ANGRY_OPENERS = [
    "都四天了还不发货，到底发不发？？", "你们这什么破服务，快递一周没动静", "太差了，我要投诉",
    "垃圾客服，问了半天等于没说", "气死我了，东西是坏的", "再不处理我就去12315投诉",
]
#: What shoppers type at the assistant's open questions (no buttons), by what the question asks.
OPEN_ANSWERS_BY_TOPIC = [
    ("size", re.compile(r"尺码或颜色|换成什么"), ("大一码", "换L码", "换黑色", "XL")),
    ("invoice_title", re.compile(r"发票抬头"), ("张伟", "李娜", "王芳")),
    ("email", re.compile(r"邮箱"), ("buyer@example.com", "shopper2026@example.com")),
    ("tax_no", re.compile(r"税号"), ("91330106MA2B3C4D5E",)),
    ("reason", re.compile(r"什么原因|原因是"), ("尺码不合适", "质量问题", "不喜欢")),
    ("waybill", re.compile(r"寄回.*单号|快递单号"), ("SF1234567890123",)),
]
OPEN_ANSWERS = [(question, answers) for _, question, answers in OPEN_ANSWERS_BY_TOPIC]
LOW_COMMENTS = ("回复太慢了", "问题没解决", "转人工等太久", "机器人听不懂我说的", "物流太慢")
HIGH_COMMENTS = ("很方便", "客服很耐心", "解决得很快，点赞", "")

SCENARIOS = [
    Scenario("faq", 22, ["{faq}"], logged_in=False),
    Scenario("faq_two", 8, ["{faq}", "{faq}"], logged_in=False),
    Scenario("product_question", 12, ["{product_question}"], logged_in=False),
    Scenario("track", 16, ["我的快递到哪了"], prefer=["运输中", "已发货", "待发货"]),
    Scenario("track_number", 8, ["帮我查一下订单{order}"]),
    Scenario("urge", 7, ["订单{order}怎么还不发货"], ratings=(4, 3, 3, 2)),
    Scenario("return", 7, ["我要退货"], prefer=["尺码不合适", "质量问题", "七天无理由", "确认"],
             ratings=(5, 4, 4, 3), shuffled_preferences=3),
    Scenario("exchange", 4, ["我想换个尺码"], prefer=["大一码", "确认"]),
    Scenario("refund", 5, ["退款到哪了"]),
    Scenario("invoice", 3, ["开发票"], prefer=["个人", "确认"]),
    Scenario("stuck", 4, ["物流好几天没更新了"], prefer=["好的", "确认"], ratings=(3, 2, 4)),
    Scenario("handoff", 6, ["转人工"], ratings=(3, 4, 5)),
    Scenario("angry", 6, ["{angry}"], prefer=["转人工", "好的"], ratings=(1, 2, 2, 3)),
    Scenario("unrecognised", 9, ["{unrecognised}", "{unrecognised}"], logged_in=False),
    Scenario("greeting_faq", 5, ["你好", "{faq}"], logged_in=False),
]


# --- the assistant in this process ---------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_action_server(port: int) -> Any:
    from rasa_sdk.endpoint import create_app

    app = create_app("actions")
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    return server


async def load_agent(action_port: int, endpoints_file: Path) -> Any:
    from rasa.core.agent import load_agent as rasa_load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    endpoints = AvailableEndpoints.read_endpoints(str(endpoints_file))
    endpoints.action = EndpointConfig(url=f"http://127.0.0.1:{action_port}/webhook")
    agent = await rasa_load_agent(model_path=str(MODEL), endpoints=endpoints)
    if agent is None or not agent.is_ready():
        raise SystemExit(f"the model {MODEL} could not be loaded (see the log above): `make train` first")
    return agent


class Shopper:
    """One shopper's conversation through the agent, answering its buttons like a person would."""

    def __init__(self, agent: Any, sender: str, token: str | None, scenario: Scenario, rng: random.Random,
                 fill: dict[str, str], phone_last4: str | None) -> None:
        self.agent, self.sender, self.token, self.scenario = agent, sender, token, scenario
        self.rng, self.fill, self.phone_last4 = rng, fill, phone_last4
        self.handed_off = False
        self.followed_up = False
        self.rating: int | None = None
        head = scenario.prefer[: scenario.shuffled_preferences]
        rng.shuffle(head)
        self.prefer = head + scenario.prefer[scenario.shuffled_preferences:]

    async def say(self, text: str) -> list[dict[str, Any]]:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        metadata = {"customer_token": self.token} if self.token else {}
        channel = CollectingOutputChannel()
        message = UserMessage(text, channel, self.sender, input_channel="rest", metadata=metadata)
        await self.agent.handle_message(message)
        await asyncio.sleep(0)
        return channel.messages

    async def play(self, clock: Any) -> None:
        pending = [self._fill(message) for message in self.scenario.messages]
        replies = await self.say(pending.pop(0))
        for _ in range(MAX_TURNS):
            clock.shift(timedelta(seconds=self.rng.randint(5, 40)))  # the shopper reads and types
            tracker = await self.agent.tracker_store.retrieve(self.sender)
            if tracker is not None and tracker.is_paused():
                self.handed_off = True  # a person takes over from here
                return
            answer = self.answer(replies, pending)
            if answer is None:
                return
            replies = await self.say(answer)

    def answer(self, replies: list[dict[str, Any]], pending: list[str]) -> str | None:
        texts = "\n".join(reply.get("text") or "" for reply in replies)
        buttons = [button for reply in replies for button in reply.get("buttons") or []]
        if any("rating" in str(button.get("payload")) for button in buttons):
            self.rating = self.rng.choice(self.scenario.ratings)
            return f"{self.rating}分"
        if "还有什么想对我们说" in texts:
            low = (self.rating or 5) <= 3
            comment = self.rng.choice(LOW_COMMENTS if low else HIGH_COMMENTS) if self.rng.random() < 0.7 else ""
            return comment or "跳过"
        for question, answers in OPEN_ANSWERS:
            if question.search(texts) and not buttons:
                return self.rng.choice(answers)
        if re.search(r"后\s*4\s*位|尾号", texts) and self.phone_last4:
            return f"尾号{self.phone_last4}"
        if re.search(r"图片|照片|拍照", texts):
            return "https://img.example.com/shopper/photo-1.jpg"
        if re.search(r"转接人工|转人工客服吗", texts) and not buttons:
            return "好的" if self.scenario.name == "angry" else self.rng.choice(["不用了", "好的"])
        if "订单号" in texts and not buttons and self.rng.random() < 0.9:
            return self.fill["order"]
        if buttons:
            for wanted in self.prefer:
                for button in buttons:
                    if wanted in str(button.get("title")):
                        return str(button.get("payload") or button.get("title"))
            if self.rng.random() < 0.85:
                return str(buttons[0].get("payload") or buttons[0].get("title"))
            return "算了"
        if pending:
            return pending.pop(0)
        if self.followed_up:
            return None
        self.followed_up = True
        return self.rng.choice(self.scenario.follow_up) or None

    def _fill(self, message: str) -> str:
        return message.format(**self.fill)


# --- the week --------------------------------------------------------------------------------------

def conversation_times(rng: random.Random, start: datetime, end: datetime, per_day: int) -> list[datetime]:
    """Start times between start and end, by day and hour weights (shop time)."""
    times: list[datetime] = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        count = round(per_day * DAY_WEIGHT[day.weekday()] * rng.uniform(0.8, 1.2))
        hours = rng.choices(range(24), weights=HOURLY_WEIGHT, k=count)
        for hour in hours:
            moment = day + timedelta(hours=hour, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
            if start <= moment < end:
                times.append(moment)
        day += timedelta(days=1)
    return sorted(times)


def shoppers(session: Any) -> list[tuple[int, str, list[tuple[str, str]]]]:
    """(customer id, last 4 phone digits, [(order number, status)]) of every customer with orders."""
    result = []
    for customer in session.execute(select(Customer).order_by(Customer.id)).scalars():
        orders = session.execute(
            select(Order.order_no, Order.status).where(Order.customer_id == customer.id)
        ).all()
        if orders:
            result.append((customer.id, customer.phone[-4:], [(o.order_no, o.status) for o in orders]))
    return result


DESK_AGENTS = tuple(
    AgentView(id=0, username=username, display_name=name, role="agent", skill_groups=SKILL_GROUP_NAMES)
    for username, name in (("demo-xiaomei", "客服小美"), ("demo-ajie", "客服阿杰"), ("demo-xiaoyu", "客服小雨"))
)
RESUME_ACTION = "action_handoff_resume"
AGENT_REPLIES = ("您好，我是人工客服，已经看到您的问题了，马上为您处理。", "久等了，这边帮您核实一下～",
                 "您好，问题已经记录，给您加急处理。")


async def take_over(agent: Any, sender: str, clock: Any, rng: random.Random, *, paused: bool) -> None:
    """A person at the desk claims the conversation's ticket, answers, closes it and hands back,
    through the desk's own services and the same Rasa calls the desk makes (a `bot` event carrying
    the agent's name, then `action_handoff_resume`)."""
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.shared.core.events import BotUttered, ConversationResumed

    clock.shift(timedelta(minutes=rng.choice([1, 2, 3, 4, 6, 8, 12, 15, 25, 40])))
    person = rng.choice(DESK_AGENTS)
    with session_scope(make_engine()) as session:
        ticket = session.execute(
            select(Ticket).where(Ticket.conversation_id == sender, Ticket.status == "open")
        ).scalars().first()
        if ticket is None:
            return
        desk.claim(session, person, ticket.ticket_no, clock=system_clock)
        ticket_no = ticket.ticket_no
    clock.shift(timedelta(seconds=rng.randint(20, 90)))
    if not paused:  # a ticket filed without a hand-off (a complaint declined a person): called back, closed
        clock.shift(timedelta(minutes=rng.randint(2, 10)))
        with session_scope(make_engine()) as session:
            desk.close(session, person, ticket_no, clock=system_clock)
        return
    tracker = await agent.tracker_store.get_or_create_tracker(sender)
    tracker.update(BotUttered(rng.choice(AGENT_REPLIES), metadata={"agent": person.display_name}))
    await agent.tracker_store.save(tracker)
    clock.shift(timedelta(minutes=rng.randint(2, 10)))
    with session_scope(make_engine()) as session:
        desk.close(session, person, ticket_no, clock=system_clock)
    if RESUME_ACTION in agent.domain.action_names_or_texts:
        await agent.execute_action(sender, RESUME_ACTION, CollectingOutputChannel(), None, None)
    else:  # a model trained before the desk's hand-back action: Rasa's own resume event
        tracker = await agent.tracker_store.get_or_create_tracker(sender)
        tracker.update(ConversationResumed())
        await agent.tracker_store.save(tracker)


async def play(weeks: int, per_day: int, seed: int, endpoints_file: Path) -> dict[str, int]:
    rng = random.Random(seed)
    now = system_clock()
    this_monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    start = this_monday - timedelta(weeks=weeks)
    moments = conversation_times(rng, start, now - timedelta(minutes=5), per_day)
    with session_scope(make_engine()) as session:
        people = shoppers(session)
    if not people:
        raise SystemExit("the shop has no customers with orders: run `make demo-db` first")
    port = free_port()
    counts = {"conversations": 0, "messages": 0, "handoffs": 0}
    with time_machine.travel(moments[0].replace(tzinfo=SHOP_TZ), tick=True) as clock:
        server = await start_action_server(port)
        agent = await load_agent(port, endpoints_file)
        try:
            for index, moment in enumerate(moments):
                clock.move_to(moment.replace(tzinfo=SHOP_TZ))
                scenario = rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]
                customer_id, last4, orders = rng.choice(people)
                order_no, _ = rng.choice(orders)
                token = mint_token(customer_id, ttl_seconds=3600) if scenario.logged_in else None
                fill = {
                    "faq": rng.choice(FAQ_QUESTIONS), "product_question": rng.choice(PRODUCT_QUESTIONS),
                    "unrecognised": rng.choice(UNRECOGNISED), "angry": rng.choice(ANGRY_OPENERS), "order": order_no,
                }
                sender = f"demo-{moment:%Y%m%d%H%M}-{index:04d}"
                shopper = Shopper(agent, sender, token, scenario, rng, fill, last4)
                counting = CountingShopper(shopper)
                await counting.play(clock)
                counts["conversations"] += 1
                counts["messages"] += counting.messages
                counts["handoffs"] += shopper.handed_off
                await take_over(agent, sender, clock, rng, paused=shopper.handed_off)
                if index % 25 == 0:
                    log.info("%s %d/%d conversations", moment, index + 1, len(moments))
        finally:
            server.close()
            await server.wait_closed()
    return counts


class CountingShopper:
    def __init__(self, shopper: Shopper) -> None:
        self.shopper, self.messages = shopper, 0
        original = shopper.say

        async def say(text: str) -> list[dict[str, Any]]:
            self.messages += 1
            return await original(text)

        shopper.say = say  # type: ignore[method-assign]

    async def play(self, clock: Any) -> None:
        await self.shopper.play(clock)


def remove_demo_conversations(endpoints_file: Path) -> int:
    """Delete the events of senders demo-* (this script's own) from the SQL tracker store."""
    from sqlalchemy import create_engine, inspect

    from shop.analytics.conversations import EVENTS
    from shop.analytics.sources import tracker_db_url

    engine = create_engine(tracker_db_url(endpoints_file), future=True)
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            return int(connection.execute(EVENTS.delete().where(EVENTS.c.sender_id.like("demo-%"))).rowcount)
    finally:
        engine.dispose()


def quiet_logs() -> None:
    """Progress lines only: Rasa's, Sanic's and TensorFlow's own logging down to errors."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for noisy in ("rasa", "rasa_sdk", "sanic", "tensorflow", "absl", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=2, help="whole weeks before this one (default 2)")
    parser.add_argument("--per-day", type=int, default=14, help="conversations on an ordinary day (default 14)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--endpoints", type=Path, default=ENDPOINTS, help="its tracker_store keeps the conversations")
    parser.add_argument("--replace-demo", action="store_true",
                        help="first remove earlier demo conversations (senders demo-*) from that tracker store")
    args = parser.parse_args()
    if not 0 <= args.weeks <= 8 or not 1 <= args.per_day <= 200:
        parser.error("--weeks must be 0-8 and --per-day 1-200")
    if not MODEL.exists():
        parser.error(f"no model at {MODEL}: run `make train` first")
    quiet_logs()
    if args.replace_demo:
        print(f"removed {remove_demo_conversations(args.endpoints)} events of earlier demo conversations")
    began = time.monotonic()
    counts = asyncio.run(play(args.weeks, args.per_day, args.seed, args.endpoints))
    print(f"played {counts['conversations']} conversations, {counts['messages']} messages, "
          f"{counts['handoffs']} hand-offs in {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
