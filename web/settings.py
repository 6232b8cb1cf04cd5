"""Settings of the web app, read from the environment (see README "The web front")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shop.config import PROJECT_ROOT

DEFAULT_PORT = 8080
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class WebSettings:
    port: int
    #: Rasa as the web app reaches it (its HTTP API, called with the API token).
    rasa_url: str
    #: Rasa as the shopper's browser reaches it (the socket.io channel of the widget).
    public_rasa_url: str
    upload_dir: Path
    #: Desk cookies carry the Secure flag (browsers accept it on http://localhost too).
    secure_cookies: bool


def web_settings() -> WebSettings:
    rasa_url = (os.environ.get("XIAOER_RASA_URL") or "http://localhost:5005").rstrip("/")
    return WebSettings(
        port=int(os.environ.get("XIAOER_WEB_PORT") or DEFAULT_PORT),
        rasa_url=rasa_url,
        public_rasa_url=(os.environ.get("XIAOER_PUBLIC_RASA_URL") or rasa_url).rstrip("/"),
        upload_dir=Path(os.environ.get("XIAOER_UPLOAD_DIR") or PROJECT_ROOT / "var" / "uploads"),
        secure_cookies=(os.environ.get("XIAOER_INSECURE_COOKIES") or "") != "1",
    )
