"""Print the action server's port, read from action_endpoint.url in endpoints.yml (its one place).

scripts/with_actions.sh and `make actions` start the action server on it, so the port Rasa calls
and the port the server listens on cannot differ.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ENDPOINTS = Path(__file__).resolve().parent.parent / "endpoints.yml"


def actions_port(path: Path = ENDPOINTS) -> int:
    url = yaml.safe_load(path.read_text(encoding="utf-8"))["action_endpoint"]["url"]
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


if __name__ == "__main__":
    print(actions_port(Path(sys.argv[1]) if len(sys.argv) > 1 else ENDPOINTS))
