"""The demo shop page (`/`), with its demo customer signed in server-side, and the widget script."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file, json

from shop.config import is_production
from shop.seed import DEMO_CUSTOMER_ID
from shop.services.orders import list_orders
from shop.services.storefront import product_cards
from shop.tokens import mint_token
from web.database import in_session
from web.settings import web_settings
from web.templates_env import render

STATIC = Path(__file__).resolve().parent / "static"
DEMO_TOKEN_TTL_S = 8 * 3600

shop_pages = Blueprint("shop_pages")


@shop_pages.get("/")
async def demo_shop(request: Request) -> HTTPResponse:
    """A shop page as a shop's back-end would serve it: the shopper is logged in, the page mints the JWT.

    Anyone opening it is the demo customer: with SHOP_ENV=production there is no demo page."""
    if is_production():
        return json({"error": "not_found"}, status=404)
    products, orders = await in_session(
        lambda session: (product_cards(session), list_orders(session, DEMO_CUSTOMER_ID, limit=8))
    )
    lang = "en" if request.args.get("lang") == "en" else "zh"
    return render("shop.html", products=products, orders=orders, lang=lang,
                  token=mint_token(DEMO_CUSTOMER_ID, ttl_seconds=DEMO_TOKEN_TTL_S),
                  rasa_url=web_settings().public_rasa_url)


@shop_pages.get("/widget.js")
async def widget_script(request: Request) -> HTTPResponse:
    return await file(STATIC / "widget.js", mime_type="application/javascript; charset=utf-8",
                      headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"})
