"""`rasa test core` on the test stories: every flow's happy and unhappy path.

Each stories file runs against a freshly seeded shop of its own, once with Xiaoer's runtime patches
and once with stock Rasa's runtime (`XIAOER_STOCK_RUNTIME=1`, addons/runtime): the speed patches
must not change a single prediction.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import MODEL, RASA, ROOT

STORIES = ("tests/test_stories.yml", "tests/test_stories_aftersales.yml", "tests/test_stories_more.yml")


@pytest.mark.parametrize("runtime", ["patched", "stock"])
@pytest.mark.parametrize("stories", STORIES)
def test_stories_pass_end_to_end(stories: str, runtime: str, fresh_endpoints_file: Path, tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    result = subprocess.run(
        [str(RASA), "test", "core", "--stories", stories, "-m", str(MODEL),
         "--endpoints", str(fresh_endpoints_file), "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "XIAOER_STOCK_RUNTIME": "1" if runtime == "stock" else "0"},
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, detail
