"""`rasa test core` on tests/test_stories.yml: every flow's happy and unhappy path."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import MODEL, RASA, ROOT


def test_stories_pass_end_to_end(fresh_endpoints_file: Path, tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    result = subprocess.run(
        [str(RASA), "test", "core", "--stories", "tests/test_stories.yml", "-m", str(MODEL),
         "--endpoints", str(fresh_endpoints_file), "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, detail
