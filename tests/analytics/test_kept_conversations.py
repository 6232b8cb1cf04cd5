"""Conversations are kept: Rasa restarted on the same endpoints still has the conversation and its pause,
and analytics reads it from the store joined with the shop's ticket."""

from __future__ import annotations

import json
import secrets
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from shop.analytics.conversations import load_conversations
from shop.analytics.sources import tracker_db_url, tracker_engine
from shop.analytics.summary import load_period
from shop.clock import system_clock
from shop.db import make_engine
from tests.integration.conftest import (
    API_TOKEN,
    KEPT_STORE,
    MODEL,
    RASA,
    ROOT,
    Chat,
    api,
    env_for,
    free_port,
    running_action_server,
    seeded_db,
    stop,
    wait_for,
)


@contextmanager
def rasa(endpoints: Path, db_url: str, log: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(RASA), "run", "-m", str(MODEL), "--enable-api", f"--auth-token={API_TOKEN}",
         "--interface", "127.0.0.1", "--port", str(port), "--endpoints", str(endpoints),
         "--credentials", str(ROOT / "credentials.yml")],
        cwd=ROOT, env=env_for(db_url), stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    server = f"http://127.0.0.1:{port}"
    try:
        wait_for(api(server, "/status"), process, log)  # 409 until the model is loaded, then 200
        yield server
    finally:
        stop(process)


def test_a_restart_loses_nothing_and_analytics_reads_it(tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    db_url = seeded_db(tmp_path)
    sender = f"kept-{secrets.token_hex(12)}"  # the REST channel takes random ids of 16-64 characters
    started = system_clock()
    with running_action_server(db_url, tmp_path) as endpoints:
        assert yaml.safe_load(endpoints.read_text())["tracker_store"]["type"] == KEPT_STORE
        with rasa(endpoints, db_url, tmp_path / "rasa-1.log") as server:
            chat = Chat(server, sender)
            assert chat.texts("包邮吗")
            assert "人工" in chat.texts("转人工")
        with rasa(endpoints, db_url, tmp_path / "rasa-2.log") as server:  # a new process, the same store
            with urllib.request.urlopen(api(server, f"/conversations/{sender}/tracker"), timeout=30) as response:
                tracker = json.load(response)
    said = [event.get("text") for event in tracker["events"] if event.get("event") == "user"]
    assert said == ["包邮吗", "转人工"]
    assert tracker["paused"] is True
    store = tracker_engine(tracker_db_url(endpoints))
    since, until = started - timedelta(minutes=1), system_clock() + timedelta(minutes=1)
    (conversation,) = load_conversations(store, since, until)
    assert conversation.handed_off and [m.text for m in conversation.messages] == ["包邮吗", "转人工"]
    period = load_period(store, make_engine(db_url), since, until)
    assert period.handoff.part == 1 and period.handoff_reasons == {"asked_for_human": 1}
    assert period.still_waiting == 1  # its ticket is open: nobody at the desk has claimed it
