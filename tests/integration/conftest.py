"""Real servers for end-to-end tests: a seeded SQLite shop, the action server, Rasa over REST.

They start once a session and every test shares them (a Rasa start costs seconds of CPU). A new test gets
its server by asking for `chat` (a shopper on the session's Rasa with a sender id of its own) or
`rasa_server` (its URL); `shop_db_url` is their shop. Tests share that shop, so a test that writes uses
orders or customers no other test needs untouched, or asks for `fresh_shop` (the shop as seeded, copied in
under the running servers). Start servers of your own only for what the shared ones cannot be: another
environment (limits, secrets), a restart, a server down.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from shop.clock import system_clock
from shop.db import init_schema, make_engine, session_scope
from shop.seed import seed

ROOT = Path(__file__).resolve().parents[2]
# Every test server serves this model: `make test` trains models/current.tar.gz first; XIAOER_TEST_MODEL
# runs the suite against another one (XIAOER_CONVERSATION_MODEL, its older name, still works).
MODEL = Path(os.environ.get("XIAOER_TEST_MODEL") or os.environ.get("XIAOER_CONVERSATION_MODEL")
             or ROOT / "models" / "current.tar.gz")
RASA = ROOT / ".venv" / "bin" / "rasa"
START_TIMEOUT_S = 180
# Conversations are kept as endpoints.yml keeps them.
KEPT_STORE = "addons.stores.sql_tracker_store.KeptSQLTrackerStore"
# Responses are rendered as endpoints.yml renders them (its `nlg`: the most specific variant, issue 35).
NLG_TYPE = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))["nlg"]["type"]
NLG_ENDPOINT = f"nlg:\n  type: {NLG_TYPE}\n"
# Rasa's HTTP API is served behind a token, as `make serve` does (scripts/serve.sh).
API_TOKEN = secrets.token_urlsafe(24)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} server exited:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.1)  # a start takes seconds: a short poll wastes none of them
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_S}s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def seeded_db(folder: Path) -> str:
    url = f"sqlite:///{folder / 'shop.db'}"
    engine = make_engine(url)
    init_schema(engine)
    with session_scope(engine) as session:
        seed(session, now=system_clock())
    return url


def restore(seeded: Path, target: Path) -> None:
    """`target` becomes a copy of the seeded shop file, in one step (a rename), while servers use it: their
    pooled connections see the file replaced and reconnect at their next unit of work (shop/db.py)."""
    part = target.with_name(f"{target.name}.part")
    shutil.copyfile(seeded, part)
    os.replace(part, target)


def env_for(db_url: str) -> dict[str, str]:
    # Agents on duty all day, so handoff replies do not depend on when the tests run. The suite talks
    # faster than any shopper from one address, and its wrong last-4 tries add up across tests: the
    # rate limits and the verification limits are tested on servers of their own (test_security.py).
    return {**os.environ, "SHOP_DB_URL": db_url, "SHOP_SERVICE_HOURS": "00:00-23:59", "PYTHONPATH": str(ROOT),
            "XIAOER_API_TOKEN": API_TOKEN, "XIAOER_SENDER_RATE_PER_MINUTE": "100000",
            "XIAOER_SENDER_BURST": "100000", "XIAOER_CLIENT_RATE_PER_MINUTE": "1000000",
            "XIAOER_CLIENT_BURST": "1000000", "SHOP_VERIFY_MAX_FAILURES": "100000",
            "SHOP_VERIFY_MAX_CLIENT_FAILURES": "100000"}


def api(server: str, path: str) -> str:
    """A URL of Rasa's HTTP API, with the token it requires."""
    return f"{server}{path}{'&' if '?' in path else '?'}token={API_TOKEN}"


def start_action_server(db_url: str, folder: Path) -> tuple[subprocess.Popen, str, Path]:
    """An action server starting on a free port over `db_url` (not waited for: start several at once);
    (process, its health URL, an endpoints.yml pointing at it).

    The endpoints keep conversations as `make serve` does: Rasa's SQL tracker store, SQLite in `folder`.
    """
    port = free_port()
    log = folder / "actions.log"
    process = subprocess.Popen(
        [str(RASA), "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=env_for(db_url), stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{port}/webhook"\n'
        f'tracker_store:\n  type: {KEPT_STORE}\n  dialect: sqlite\n  db: "{folder / "rasa_tracker.db"}"\n'
        + NLG_ENDPOINT
    )
    return process, f"http://127.0.0.1:{port}/health", endpoints


@contextmanager
def running_action_server(db_url: str, folder: Path) -> Iterator[Path]:
    """An action server on a free port over `db_url`, answering; yields an endpoints.yml pointing at it."""
    process, health, endpoints = start_action_server(db_url, folder)
    try:
        wait_for(health, process, folder / "actions.log")
        yield endpoints
    finally:
        stop(process)


@pytest.fixture(scope="session")
def seeded_shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop seeded once a session (at the session's start), copied wherever a fresh one is needed."""
    folder = tmp_path_factory.mktemp("seeded-shop")
    seeded_db(folder)
    return folder / "shop.db"


@pytest.fixture(scope="session")
def shop_db_url(seeded_shop_file: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shop of the session's servers (rasa_server, endpoints_file); tests share it, each with orders or
    sender ids of its own, or ask for `fresh_shop`."""
    path = tmp_path_factory.mktemp("shop") / "shop.db"
    restore(seeded_shop_file, path)
    return f"sqlite:///{path}"


@pytest.fixture
def fresh_shop(shop_db_url: str, seeded_shop_file: Path) -> Iterator[str]:
    """The session servers' shop as freshly seeded, for a test whose outcome depends on untouched data (the
    servers keep running: no new server is started); the shop's URL. Seeded again after the test, so that
    its writes reach no later test."""
    path = Path(shop_db_url.removeprefix("sqlite:///"))
    restore(seeded_shop_file, path)
    yield shop_db_url
    restore(seeded_shop_file, path)


@pytest.fixture(scope="session")
def server_env(shop_db_url: str) -> dict[str, str]:
    return env_for(shop_db_url)


@pytest.fixture(scope="session")
def endpoints_file(shop_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with running_action_server(shop_db_url, tmp_path_factory.mktemp("actions")) as endpoints:
        yield endpoints


@pytest.fixture(scope="session")
def rasa_server(
    endpoints_file: Path, server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if not MODEL.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "rasa.log"
    process = subprocess.Popen(
        [str(RASA), "run", "-m", str(MODEL), "--enable-api", f"--auth-token={API_TOKEN}", "--interface", "127.0.0.1",
         "--port", str(port), "--endpoints", str(endpoints_file), "--credentials", str(ROOT / "credentials.yml")],
        cwd=ROOT, env=server_env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def post_json(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


class Chat:
    """One shopper's conversation over the REST channel."""

    def __init__(self, server: str, sender: str, token: str | None = None) -> None:
        self.url = f"{server}/webhooks/rest/webhook"
        self.sender = sender
        self.token = token

    def say(self, text: str) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": self.sender, "message": text}
        if self.token:
            body["metadata"] = {"customer_token": self.token}
        return post_json(self.url, body)

    def texts(self, text: str) -> str:
        return "\n".join(message.get("text", "") for message in self.say(text))


def sender_id(name: str) -> str:
    """A unique sender id of the shape the channel accepts (letters, digits, _.:@-; at most 64)."""
    return f"{re.sub(r'[^A-Za-z0-9_.:@-]', '_', name)[:44]}-{time.monotonic_ns()}"


@pytest.fixture
def chat(rasa_server: str, request: pytest.FixtureRequest) -> Any:
    def start(token: str | None = None) -> Chat:
        return Chat(rasa_server, sender_id(request.node.name), token)

    return start

