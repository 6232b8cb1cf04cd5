"""The web app over HTTP, without a browser or Rasa: uploads are checked, the desk needs a session and a
CSRF token, cookies are Secure/HttpOnly/SameSite, bad input gets a clear 4xx and changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shop.clock import system_clock
from shop.db import make_engine, session_scope
from shop.models import Ticket
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.services.agents import add_agent
from shop.services.tickets import open_ticket
from shop.tokens import mint_token
from tests.integration.conftest import ROOT, env_for, free_port, seeded_db, stop, wait_for
from tests.web.conftest import AGENT_PASSWORD
from tests.web.test_widget_and_desk import PNG_1X1


@pytest.fixture(scope="module")
def web_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("web-http")
    db_url = seeded_db(folder)
    with session_scope(make_engine(db_url)) as session:
        add_agent(session, username="mei", password=AGENT_PASSWORD, display_name="小美", role="agent",
                  skill_groups=("售后",), clock=system_clock)
        add_agent(session, username="boss", password=AGENT_PASSWORD, display_name="店长", role="admin",
                  skill_groups=("售后",), clock=system_clock)
        ticket = open_ticket(session, customer_id=DEMO_CUSTOMER_ID, order_no=DEMO_ORDERS["delivered_in_window"],
                             topic="return_goods", summary="topic: return_goods", conversation_id="http-1",
                             clock=system_clock)
        other = open_ticket(session, customer_id=DEMO_CUSTOMER_ID, order_no=None, topic="payment_issue",
                            summary="", conversation_id="http-2", clock=system_clock)
    port = free_port()
    log = folder / "web.log"
    env = {**env_for(db_url), "XIAOER_UPLOAD_DIR": str(folder / "uploads"), "XIAOER_API_TOKEN": "test-token",
           "XIAOER_RASA_URL": f"http://127.0.0.1:{free_port()}"}  # nobody listens there
    process = subprocess.Popen([sys.executable, "-m", "web", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/desk/login", process, log)
        yield {"url": f"http://localhost:{port}", "db_url": db_url, "ticket": ticket.ticket_no,
               "other_group_ticket": other.ticket_no, "uploads": folder / "uploads"}
    finally:
        stop(process)


def request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
            cookie: str | None = None) -> tuple[int, Message, bytes]:
    """(status, headers (case-insensitive), body), redirects not followed. ``cookie`` is sent as is: urllib's
    cookie jar keeps a Secure cookie off plain http, which browsers send to localhost."""
    req = urllib.request.Request(url, data=data, headers={**(headers or {}), **({"Cookie": cookie} if cookie else {})})
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "xiaoer-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_uploads_need_a_shopper_token_and_a_real_image(web_only: dict[str, Any]) -> None:
    url = f"{web_only['url']}/api/uploads"
    body, content_type = multipart("photo", "parcel.png", PNG_1X1)
    token = mint_token(DEMO_CUSTOMER_ID)
    assert request(url, data=body, headers={"Content-Type": content_type})[0] == 401
    assert request(url, data=body, headers={"Content-Type": content_type, "Authorization": "Bearer forged"})[0] == 401
    fake, fake_type = multipart("photo", "evil.png", b"<svg onload=alert(1)>")  # named .png, is not one
    assert request(url, data=fake, headers={"Content-Type": fake_type, "Authorization": f"Bearer {token}"})[0] == 415
    big, big_type = multipart("photo", "big.png", PNG_1X1 + b"\0" * (5 * 1024 * 1024))
    assert request(url, data=big, headers={"Content-Type": big_type, "Authorization": f"Bearer {token}"})[0] == 413
    status, headers, answer = request(url, data=body, headers={"Content-Type": content_type,
                                                               "Authorization": f"Bearer {token}"})
    assert status == 201 and headers["Access-Control-Allow-Origin"] == "*"
    photo_url = json.loads(answer)["url"]
    assert photo_url.startswith(web_only["url"] + "/uploads/")
    status, headers, stored = request(photo_url)
    assert (status, headers["Content-Type"], stored) == (200, "image/png", PNG_1X1)
    assert request(f"{web_only['url']}/uploads/..%2f..%2fshop.db")[0] == 404
    assert sorted(path.suffix for path in web_only["uploads"].iterdir()) == [".png"]  # nothing else was stored


def test_a_shopper_cannot_fill_the_disk_with_uploads(web_only: dict[str, Any]) -> None:
    url = f"{web_only['url']}/api/uploads"
    body, content_type = multipart("photo", "parcel.png", PNG_1X1)
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {mint_token(5)}"}
    statuses = [request(url, data=body, headers=headers)[0] for _ in range(12)]
    assert statuses[:10] == [201] * 10 and statuses[-1] == 429  # bursts of 10, then 20 an hour
    other = {"Content-Type": content_type, "Authorization": f"Bearer {mint_token(6)}"}
    assert request(url, data=body, headers=other)[0] == 201  # another shopper is not affected


def sign_in(web_only: dict[str, Any], password: str = AGENT_PASSWORD, username: str = "mei"
            ) -> tuple[str, int, Message]:
    """(the session cookie to send, status, headers) of a sign-in through the form (its CSRF token and cookie)."""
    _, form_headers, page = request(f"{web_only['url']}/desk/login")
    login_cookie = (form_headers.get("Set-Cookie") or "").split(";", 1)[0]
    token = page.decode().split('name="csrf" value="', 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode({"username": username, "password": password, "csrf": token}).encode()
    status, headers, _ = request(f"{web_only['url']}/desk/login", data=form, cookie=login_cookie,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    session = [value for value in headers.get_all("Set-Cookie") or [] if value.startswith("xiaoer_desk=")]
    return (session[0].split(";", 1)[0] if session else ""), status, headers


def csrf_of(web_only: dict[str, Any], cookie: str) -> str:
    _, _, page = request(f"{web_only['url']}/desk/", cookie=cookie)
    return page.decode().split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_desk_sign_in_sets_a_guarded_cookie_and_every_post_needs_the_csrf_token(web_only: dict[str, Any]) -> None:
    base = web_only["url"]
    assert request(f"{base}/desk/")[0] == 302  # to the sign-in page
    assert request(f"{base}/desk/api/queue")[0] == 401
    _, status, _ = sign_in(web_only, password="wrong password")
    assert status == 401
    forged = urllib.parse.urlencode({"username": "mei", "password": AGENT_PASSWORD, "csrf": "forged"}).encode()
    assert request(f"{base}/desk/login", data=forged, cookie="xiaoer_desk_login=other",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 403  # sign-in CSRF
    cookie, status, headers = sign_in(web_only)
    assert status == 302
    cookie = next(value for value in headers.get_all("Set-Cookie") if value.startswith("xiaoer_desk="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie and "Path=/desk" in cookie
    status, _, queue = request(f"{base}/desk/api/queue", cookie=cookie)
    tickets = [entry["ticket_no"] for entry in json.loads(queue)["tickets"]]
    assert status == 200 and web_only["ticket"] in tickets
    assert web_only["other_group_ticket"] not in tickets  # 支付 is not mei's group
    claim = f"{base}/desk/api/tickets/{web_only['ticket']}/claim"
    assert request(claim, data=b"{}", cookie=cookie, headers={"Content-Type": "application/json"})[0] == 403
    assert request(claim, data=b"{}", cookie=cookie,
                   headers={"Content-Type": "application/json", "X-CSRF-Token": "forged"})[0] == 403
    assert _ticket(web_only).status == "open"  # refused requests changed nothing
    token = csrf_of(web_only, cookie)
    status, _, _ = request(claim, data=b"{}", cookie=cookie,
                           headers={"Content-Type": "application/json", "X-CSRF-Token": token})
    assert status == 200 and _ticket(web_only).assignee == "mei"
    other = f"{base}/desk/api/tickets/{web_only['other_group_ticket']}/claim"
    assert request(other, data=b"{}", cookie=cookie,
                   headers={"Content-Type": "application/json", "X-CSRF-Token": token})[0] == 404
    # A reply while the assistant is down: a clear 503, the ticket stays with the agent.
    reply = f"{base}/desk/api/tickets/{web_only['ticket']}/reply"
    headers = {"Content-Type": "application/json", "X-CSRF-Token": token}
    assert request(reply, data=json.dumps({"text": "x" * 1001}).encode(), cookie=cookie, headers=headers)[0] == 400
    assert request(reply, data=json.dumps({"text": "您好"}).encode(), cookie=cookie, headers=headers)[0] == 503
    assert request(reply, data=b"not json", cookie=cookie, headers=headers)[0] == 400
    # Closing needs the assistant to take the conversation back: until it can, the agent keeps the ticket.
    close = f"{base}/desk/api/tickets/{web_only['ticket']}/close"
    assert request(close, data=b"{}", cookie=cookie, headers=headers)[0] == 503
    assert _ticket(web_only).status == "assigned"


def _ticket(web_only: dict[str, Any]) -> Ticket:
    with session_scope(make_engine(web_only["db_url"])) as session:
        ticket = session.execute(select(Ticket).where(Ticket.ticket_no == web_only["ticket"])).scalar_one()
        session.expunge(ticket)
        return ticket


def test_the_demo_page_embeds_the_widget_with_a_minted_token(web_only: dict[str, Any]) -> None:
    status, _, page = request(web_only["url"] + "/")
    text = page.decode()
    assert status == 200 and 'src="/widget.js"' in text and 'data-token="ey' in text
    status, headers, script = request(web_only["url"] + "/widget.js")
    assert status == 200 and headers["Content-Type"].startswith("application/javascript") and b"textContent" in script
    assert b"innerHTML" not in script
    status, _, vendored = request(web_only["url"] + "/static/vendor/socket.io-client/socket.io.min.js")
    assert status == 200 and vendored.startswith(b"/*!\n * Socket.IO v4.8.4")




def test_canned_replies_are_edited_by_an_admin_only(web_only: dict[str, Any]) -> None:
    url = f"{web_only['url']}/desk/canned"
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    new_reply = {"kind": "comfort", "title": "深夜致歉", "text": "这么晚还让您操心，真的抱歉。", "action": "save"}
    agent_cookie, _, _ = sign_in(web_only)
    body = urllib.parse.urlencode({**new_reply, "csrf": csrf_of(web_only, agent_cookie)}).encode()
    assert request(url, data=body, cookie=agent_cookie, headers=form_type)[0] == 403
    admin_cookie, _, _ = sign_in(web_only, username="boss")
    assert request(url, data=urllib.parse.urlencode(new_reply).encode(), cookie=admin_cookie,
                   headers=form_type)[0] == 403  # no CSRF token
    body = urllib.parse.urlencode({**new_reply, "csrf": csrf_of(web_only, admin_cookie)}).encode()
    assert request(url, data=body, cookie=admin_cookie, headers=form_type)[0] == 302
    status, _, page = request(url, cookie=agent_cookie)
    assert status == 200 and "这么晚还让您操心" in page.decode()


def test_there_is_no_demo_page_in_production(tmp_path: Path) -> None:
    """Whoever opened it would be the demo customer."""
    port = free_port()
    log = tmp_path / "web.log"
    env = {**env_for(seeded_db(tmp_path)), "SHOP_ENV": "production", "SHOP_TOKEN_SECRET": "s" * 40,
           "XIAOER_API_TOKEN": "t" * 40}
    process = subprocess.Popen([sys.executable, "-m", "web", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/desk/login", process, log)
        assert request(f"http://127.0.0.1:{port}/")[0] == 404
        assert request(f"http://127.0.0.1:{port}/widget.js")[0] == 200
    finally:
        stop(process)
