"""The web app: blueprints for the demo shop and widget, photo uploads and the agents' desk.

Another part (e.g. a dashboard) adds its own blueprint in ``BLUEPRINTS`` or on the app returned by
``create_app``.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Sanic

from shop.clock import system_clock
from shop.services.desk import ensure_default_canned_replies
from web.dashboard import dashboard_bp
from web.database import in_session
from web.desk import desk_bp
from web.notices import notices_bp
from web.rasa_api import RasaApi
from web.settings import MAX_UPLOAD_BYTES, web_settings
from web.shop_pages import shop_pages
from web.uploads import uploads

STATIC = Path(__file__).resolve().parent / "static"
BLUEPRINTS = (shop_pages, uploads, desk_bp, dashboard_bp, notices_bp)


def create_app(name: str = "xiaoer_web") -> Sanic:
    settings = web_settings()
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = MAX_UPLOAD_BYTES + 64 * 1024
    app.config.KEEP_ALIVE_TIMEOUT = 5
    app.ctx.rasa = RasaApi(settings.rasa_url)
    app.static("/static", str(STATIC))
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)

    @app.before_server_start
    async def load_canned_replies(_app: Sanic, _loop: object) -> None:
        await in_session(lambda session: ensure_default_canned_replies(session, clock=system_clock))

    return app
