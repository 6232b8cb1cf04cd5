"""A shopper on the demo shop and an agent at the desk, in two browser contexts of headless Chromium."""

from __future__ import annotations

import json
import re
import struct
import urllib.request
import zlib
from typing import Any

from shop.seed import DEMO_ORDERS
from tests.web.conftest import AGENT_PASSWORD, Shots

WAIT_MS = 30_000
SCRIPT_TEXT = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
IN_TRANSIT = DEMO_ORDERS["in_transit"]
# "where is my parcel" offers the parcels on their way first (shop.services.eligibility)
PACKING = DEMO_ORDERS["in_transit"]


def open_widget(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=re.compile("在线客服|Chat with us")).click()
    page.wait_for_selector("#xiaoer-panel:not([hidden])")


def say(page: Any, text: str) -> None:
    page.fill("#xiaoer-input", text)
    page.press("#xiaoer-input", "Enter")


def wait_for_bot_text(page: Any, pattern: str) -> Any:
    """The first bot message containing ``pattern`` (a substring)."""
    locator = page.locator(".xiaoer-bot .xiaoer-text", has_text=pattern).last
    locator.wait_for(timeout=WAIT_MS)
    return locator


def bot_texts(page: Any) -> list[str]:
    return page.locator(".xiaoer-bot .xiaoer-text").all_inner_texts()


def sign_in(page: Any, web: str, username: str = "mei") -> None:
    page.goto(f"{web}/desk/login")
    page.fill("#username", username)
    page.fill("#password", AGENT_PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{web}/desk/")


def test_shopper_asks_gets_a_human_who_replies_and_hands_back(open_page: Any, web_stack: dict[str, str],
                                                               shots: Shots) -> None:
    web = web_stack["web"]
    shopper, agent = open_page(), open_page()
    # The shopper asks where an order is, taps the order's button, gets the answer.
    open_widget(shopper, web)
    shots.take(shopper, "shopper-opens-widget")
    say(shopper, "我的快递到哪了")
    choice = shopper.locator(".xiaoer-choice", has_text=PACKING).first
    choice.wait_for(timeout=WAIT_MS)
    shots.take(shopper, "shopper-gets-order-buttons")
    title = choice.inner_text()
    choice.click()
    wait_for_bot_text(shopper, f"订单 {PACKING}")
    assert "订单状态" in "\n".join(bot_texts(shopper))
    assert shopper.locator(".xiaoer-user .xiaoer-text").last.inner_text() == title  # the title shows
    assert shopper.locator(".xiaoer-choice:enabled", has_text="880000").count() == 0  # the answered choice is spent
    shots.take(shopper, "shopper-gets-the-answer")

    # The agent is signed in with the queue open; the shopper asks for a human.
    sign_in(agent, web)
    shots.take(agent, "agent-queue-before")
    say(shopper, "转人工")
    handoff = wait_for_bot_text(shopper, "工单")
    ticket_no = re.search(r"TK\d+", handoff.inner_text()).group(0)
    assert "物流" in handoff.inner_text()  # an order's whereabouts go to the logistics group
    # While waiting for a person the shopper types a script: it stays text, here and in the desk.
    say(shopper, SCRIPT_TEXT)
    shopper.locator(".xiaoer-user .xiaoer-text", has_text="<script>").wait_for(timeout=WAIT_MS)
    assert shopper.evaluate("window.__xss") is None
    assert shopper.locator(".xiaoer-log script, .xiaoer-log img[src='x']").count() == 0
    shots.take(shopper, "shopper-handed-off-types-a-script")
    row = agent.locator(f"#queue-rows tr[data-ticket='{ticket_no}']")
    row.wait_for(timeout=WAIT_MS)  # appears without a reload
    shots.take(agent, "agent-queue-shows-the-ticket")

    # The ticket shows what the bot passed on, the transcript and the customer's orders.
    row.get_by_role("link").click()
    agent.wait_for_selector("#transcript li")
    agent.locator("#transcript .shopper .text", has_text=title).wait_for(timeout=WAIT_MS)  # a tap shows its title
    assert PACKING in agent.locator(".summary").inner_text()
    assert agent.locator(".handover .orders tr", has_text=PACKING).count() == 1
    assert agent.locator(".handover .orders tr", has_text=IN_TRANSIT).count() == 1
    # (the channel turns < > into full-width ＜ ＞ before the assistant reads them)
    agent.locator("#transcript .shopper .text", has_text="script").wait_for(timeout=WAIT_MS)
    assert agent.evaluate("window.__xss") is None
    assert agent.locator("#transcript script, #transcript img[src='x']").count() == 0
    shots.take(agent, "agent-opens-the-ticket")

    # Claim, reply (typed, then a canned reply), a note that the shopper never sees.
    agent.click("#claim")
    agent.wait_for_selector("#send-reply:not([disabled])")
    agent.fill("#reply-text", "您好，我是客服小美，马上为您查询包裹。")
    agent.click("#send-reply")
    wait_for_bot_text(shopper, "我是客服小美")
    shots.take(shopper, "shopper-sees-the-agents-reply")
    agent.locator(".canned-reply", has_text="物流催促").click()
    assert "加急" in agent.input_value("#reply-text")
    agent.click("#send-reply")
    wait_for_bot_text(shopper, "加急处理")
    agent.fill("#note-text", "内部备注：顾客很着急")
    agent.click("#add-note")
    agent.locator("#notes li", has_text="顾客很着急").wait_for(timeout=WAIT_MS)
    agent.locator("#transcript .agent", has_text="我是客服小美").wait_for(timeout=WAIT_MS)
    shots.take(agent, "agent-replied-and-noted")
    assert not any("内部备注" in text for text in bot_texts(shopper))

    # Closing hands the conversation back: the shopper is told, and the bot answers again.
    agent.click("#close")
    agent.locator("#ticket-status", has_text="已关闭").wait_for(timeout=WAIT_MS)
    shots.take(agent, "agent-closed-the-ticket")
    wait_for_bot_text(shopper, "店小二回来啦")
    say(shopper, f"订单{IN_TRANSIT}到哪了")
    shopper.wait_for_function(
        "n => document.querySelectorAll('.xiaoer-bot .xiaoer-text').length > n", arg=len(bot_texts(shopper)),
        timeout=WAIT_MS,
    )
    wait_for_bot_text(shopper, "运单号")
    last_answers = "\n".join(bot_texts(shopper)[-4:])
    assert "没能处理" not in last_answers and "工单" not in last_answers
    shots.take(shopper, "shopper-is-answered-by-the-bot-again")


def test_the_conversation_survives_a_reload_and_fits_a_phone(open_page: Any, web_stack: dict[str, str],
                                                              shots: Shots) -> None:
    page = open_page(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    open_widget(page, web_stack["web"])
    panel = page.locator("#xiaoer-panel").bounding_box()
    assert panel["width"] == 375 and panel["x"] == 0  # the whole width of a phone
    say(page, "包邮吗")
    page.locator(".xiaoer-bot .xiaoer-text").first.wait_for(timeout=WAIT_MS)
    shots.take(page, "phone-width-answer")
    before = bot_texts(page)
    page.reload()
    page.locator(".xiaoer-bot .xiaoer-text").first.wait_for(timeout=WAIT_MS)
    assert bot_texts(page) == before  # the same conversation after the reload
    assert page.locator(".xiaoer-user .xiaoer-text").first.inner_text() == "包邮吗"
    shots.take(page, "phone-width-after-reload")
    # Keyboard: Escape closes the window and gives the focus back to the launcher.
    page.press("#xiaoer-input", "Escape")
    assert page.locator("#xiaoer-panel").is_hidden()
    assert page.evaluate("document.activeElement.className") == "xiaoer-launcher"


def test_english_widget_and_a_photo_upload(open_page: Any, web_stack: dict[str, str], shots: Shots,
                                           tmp_path: Any) -> None:
    photo = tmp_path / "parcel.png"
    photo.write_bytes(png(120, 80, (30, 120, 200)))
    page = open_page()
    open_widget(page, f"{web_stack['web']}/?lang=en")
    assert page.get_by_role("button", name="Send").is_visible()
    page.set_input_files(".xiaoer-file", str(photo))
    image = page.locator(".xiaoer-user img.xiaoer-image").first
    image.wait_for(timeout=WAIT_MS)
    src = image.get_attribute("src")
    assert re.search(r"/uploads/[0-9a-f]{32}\.png$", src)
    page.locator(".xiaoer-bot .xiaoer-text").first.wait_for(timeout=WAIT_MS)
    shots.take(page, "english-widget-photo-sent")
    # The assistant received the link in metadata.image_url (and as the text): nobody typed a URL.
    session_id = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('xiaoer-widget:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).sessionId)[0]")
    with urllib.request.urlopen(f"{web_stack['rasa']}/conversations/{session_id}/tracker"
                                f"?token={web_stack['api_token']}", timeout=20) as response:
        events = json.load(response)["events"]
    sent = [e for e in events if e.get("event") == "user" and (e.get("metadata") or {}).get("image_url")]
    assert [e["metadata"]["image_url"] for e in sent] == [src] and sent[0]["text"] == src
    # ...with the page's language (issue 35): a message of a link alone is answered in it.
    assert sent[0]["metadata"].get("language") == "en"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain one-colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG_1X1 = png(1, 1, (255, 255, 255))
