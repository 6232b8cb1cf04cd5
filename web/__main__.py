"""``python -m web [--host H] [--port N]``: serve the web app (port from XIAOER_WEB_PORT, default 8080)."""

from __future__ import annotations

import argparse

from web.app import create_app
from web.settings import web_settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m web")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=web_settings().port)
    args = parser.parse_args()
    create_app().run(host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
