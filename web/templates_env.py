"""Server-rendered pages: Jinja2 with autoescaping on, so a shopper's text is always text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic.response import HTTPResponse, html

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def render(name: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTTPResponse:
    return html(TEMPLATES.get_template(name).render(**context), status=status,
                headers={**SECURITY_HEADERS, **(headers or {})})
