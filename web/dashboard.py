"""The shop's dashboard (/dashboard/): live figures, the last 7 and 30 days, the trainer's lists.

Admins only. They sign in with their desk account (shop.services.agents) on /dashboard/login, into a
session cookie of this path (HttpOnly, SameSite=Strict, Secure like the desk's); an agent's account
is refused (403), an anonymous visitor is sent to the sign-in page (the JSON API answers 401).
Every figure comes from shop.analytics (docs/analytics.md); this module only serves it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw, redirect

from addons.client_address import client_address
from shop.analytics import dashboard
from shop.analytics.sources import TrackerStoreNotConfigured, shop_engine, tracker_engine
from shop.clock import system_clock
from shop.services import agents
from shop.services.agents import DeskSession
from web.database import in_session
from web.sign_in import login_csrf_matches, login_form, set_cookie
from web.templates_env import SECURITY_HEADERS, render

COOKIE = "xiaoer_dashboard"
ECHARTS = Path(__file__).resolve().parent.parent / "shop" / "analytics" / "static" / "echarts"

dashboard_bp = Blueprint("dashboard", url_prefix="/dashboard")
dashboard_bp.static("/static/echarts.min.js", str(ECHARTS / "echarts.min.js"), name="echarts")
Handler = Callable[..., Awaitable[HTTPResponse]]
T = TypeVar("T")


def admins_only(handler: Handler) -> Handler:
    """An admin's session, else: anonymous -> sign-in page (401 for the API), an agent -> 403."""

    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        secret = request.cookies.get(COOKIE)
        session = await in_session(lambda db: agents.session_for(db, secret, clock=system_clock))
        api = request.path.startswith("/dashboard/api/") or request.path.endswith(".yml")
        if session is None:
            return json({"error": "signed_out"}, status=401) if api else redirect("/dashboard/login")
        if not session.agent.is_admin:
            if api:
                return json({"error": "admins_only"}, status=403)
            return render("dashboard/refused.html", status=403, me=session.agent)
        request.ctx.admin = session
        return await handler(request, *args, **kwargs)

    return wrapper


async def off_loop(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, work)


def _days(request: Request) -> int | None:
    raw_days = request.args.get("days", "7")
    return int(raw_days) if raw_days in ("7", "30") else None


LOGIN_COOKIE = "xiaoer_dashboard_login"


def _set_cookie(response: HTTPResponse, name: str, value: str, max_age: int) -> None:
    set_cookie(response, name, value, max_age, "/dashboard")


def _login_form(status: int = 200, failed: bool = False, username: str = "") -> HTTPResponse:
    return login_form("dashboard/login.html", LOGIN_COOKIE, "/dashboard", status, failed, username)


@dashboard_bp.get("/login")
async def login_page(request: Request) -> HTTPResponse:
    return _login_form()


@dashboard_bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    form = request.form or {}
    if not login_csrf_matches(request, LOGIN_COOKIE):
        return json({"error": "csrf"}, status=403)
    username, password = str(form.get("username") or "")[:60], str(form.get("password") or "")[:300]
    result = await in_session(lambda db: agents.sign_in(db, username, password, clock=system_clock,
                                                                client=client_address(request)))
    if result is None:
        return _login_form(status=401, failed=True, username=username)
    secret, session = result
    if not session.agent.is_admin:
        await in_session(lambda db: agents.sign_out(db, secret))
        return render("dashboard/refused.html", status=403, me=session.agent)
    response = redirect("/dashboard/")
    _set_cookie(response, COOKIE, secret, agents.SESSION_HOURS * 3600)
    del response.cookies[LOGIN_COOKIE]
    return response


@dashboard_bp.post("/logout")
@admins_only
async def logout(request: Request) -> HTTPResponse:
    admin: DeskSession = request.ctx.admin
    if not agents.csrf_matches(admin, (request.form or {}).get("csrf")):
        return json({"error": "csrf"}, status=403)
    secret = request.cookies.get(COOKIE)
    await in_session(lambda db: agents.sign_out(db, secret))
    response = redirect("/dashboard/login")
    del response.cookies[COOKIE]
    return response


@dashboard_bp.get("/")
@admins_only
async def page(request: Request) -> HTTPResponse:
    admin: DeskSession = request.ctx.admin
    return render("dashboard/index.html", me=admin.agent, csrf=admin.csrf_token)


@dashboard_bp.get("/api/live")
@admins_only
async def live_json(request: Request) -> HTTPResponse:
    try:
        figures = await off_loop(lambda: dashboard.live(tracker_engine(), shop_engine(), system_clock()))
    except TrackerStoreNotConfigured as error:
        return json({"error": "no_conversations", "detail": str(error)}, status=503)
    return json(figures)


@dashboard_bp.get("/api/overview")
@admins_only
async def overview_json(request: Request) -> HTTPResponse:
    days = _days(request)
    if days is None:
        return json({"error": "invalid_input", "detail": "days must be 7 or 30"}, status=400)
    try:
        summary = await off_loop(lambda: dashboard.period(tracker_engine(), shop_engine(), system_clock(), days))
    except TrackerStoreNotConfigured as error:
        return json({"error": "no_conversations", "detail": str(error)}, status=503)
    return json(dashboard.overview(summary))


@dashboard_bp.get("/export/nlu.yml")
@admins_only
async def export_nlu(request: Request) -> HTTPResponse:
    """The period's unrecognised and low-confidence messages as NLU YAML, for labelling and retraining."""
    days = _days(request)
    if days is None:
        return json({"error": "invalid_input", "detail": "days must be 7 or 30"}, status=400)
    now = system_clock()
    start = dashboard.today_start(now) - timedelta(days=days - 1)
    try:
        text = await off_loop(lambda: dashboard.nlu_export(tracker_engine(), start, now))
    except TrackerStoreNotConfigured as error:
        return json({"error": "no_conversations", "detail": str(error)}, status=503)
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="nlu_review_{days}d.yml"'}
    return raw(text.encode("utf-8"), content_type="application/x-yaml; charset=utf-8", headers=headers)
