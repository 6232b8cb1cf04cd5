"""What the desk and the dashboard share at sign-in: their cookies, and a form whose CSRF token is bound to a
login cookie (there is no session yet)."""

from __future__ import annotations

import hmac
import secrets

from sanic.request import Request
from sanic.response import HTTPResponse

from web.settings import web_settings
from web.templates_env import render

LOGIN_FORM_SECONDS = 3600


def set_cookie(response: HTTPResponse, name: str, value: str, max_age: int, path: str) -> None:
    """An HttpOnly, SameSite=Strict cookie for `path`, Secure outside a demo."""
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = path
    cookie["max-age"] = max_age
    if web_settings().secure_cookies:
        cookie["secure"] = True


def login_form(template: str, login_cookie: str, path: str, status: int = 200, failed: bool = False,
               username: str = "") -> HTTPResponse:
    token = secrets.token_urlsafe(32)
    response = render(template, status=status, failed=failed, username=username, csrf=token)
    set_cookie(response, login_cookie, token, LOGIN_FORM_SECONDS, path)
    return response


def login_csrf_matches(request: Request, login_cookie: str) -> bool:
    expected = request.cookies.get(login_cookie) or ""
    return bool(expected) and hmac.compare_digest(expected, str((request.form or {}).get("csrf") or ""))
