"""The action server's port has one place: action_endpoint.url in endpoints.yml."""

from __future__ import annotations

from pathlib import Path

from scripts.actions_port import actions_port

ROOT = Path(__file__).resolve().parent.parent


def test_the_port_is_the_endpoints_files(tmp_path: Path) -> None:
    assert actions_port(ROOT / "endpoints.yml") == 5055
    other = tmp_path / "endpoints.yml"
    other.write_text('action_endpoint:\n  url: "http://127.0.0.1:6123/webhook"\n', encoding="utf-8")
    assert actions_port(other) == 6123


def test_nothing_else_names_a_port_for_the_action_server() -> None:
    for path in (ROOT / "scripts" / "with_actions.sh", ROOT / "Makefile"):
        assert "5055" not in path.read_text(encoding="utf-8"), path
