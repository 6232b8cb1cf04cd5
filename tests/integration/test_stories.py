"""`rasa test core` on the test stories: every flow's happy and unhappy path.

The stories of all STORIES files run in one `rasa test core` (the model is loaded once, not once per
file) against a freshly seeded shop of its own, so stories of different files must not need the same
order untouched. It runs twice, side by side (one core each), each run with its own shop and action
server: once with Xiaoer's runtime patches and once with stock Rasa's runtime (`XIAOER_STOCK_RUNTIME=1`,
addons/runtime): the speed patches must not change a single prediction.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import MODEL, RASA, ROOT, seeded_db, start_action_server, stop, wait_for

STORIES = ("tests/test_stories.yml", "tests/test_stories_aftersales.yml", "tests/test_stories_more.yml")
RUNTIMES = {"patched": "0", "stock": "1"}
TIMEOUT_S = 600


@dataclass
class StoryRun:
    returncode: int
    out: Path
    log: Path

    def detail(self) -> str:
        failed = self.out / "failed_test_stories.yml"
        return failed.read_text() if failed.exists() else self.log.read_text()[-6000:]


def stories_folder(folder: Path) -> Path:
    """A folder holding exactly the STORIES files (`rasa test core` reads every file of a folder)."""
    folder.mkdir()
    for stories in STORIES:
        shutil.copy(ROOT / stories, folder / Path(stories).name)
    return folder


@pytest.fixture(scope="module")
def story_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, StoryRun]]:
    """Both runtimes' runs, started together and waited for."""
    if not MODEL.exists():
        pytest.skip("no trained model at models/current.tar.gz: `make test` trains it first (or run `make train`)")
    stories = stories_folder(tmp_path_factory.mktemp("stories") / "all")
    with ExitStack() as servers:
        started = {}
        for runtime in RUNTIMES:
            folder = tmp_path_factory.mktemp(f"stories-{runtime}")
            process, health, endpoints = start_action_server(seeded_db(folder), folder)
            servers.callback(stop, process)
            started[runtime] = (folder, process, health, endpoints)
        tests = {}
        for runtime, (folder, process, health, endpoints) in started.items():
            wait_for(health, process, folder / "actions.log")
            log = folder / "rasa_test.log"
            tests[runtime] = subprocess.Popen(
                [str(RASA), "test", "core", "--stories", str(stories), "-m", str(MODEL), "--endpoints",
                 str(endpoints), "--fail-on-prediction-errors", "--out", str(folder / "out")],
                cwd=ROOT, env={**os.environ, "XIAOER_STOCK_RUNTIME": RUNTIMES[runtime]},
                stdout=log.open("w"), stderr=subprocess.STDOUT,
            )
            servers.callback(stop, tests[runtime])
        yield {runtime: StoryRun(test.wait(timeout=TIMEOUT_S), started[runtime][0] / "out",
                                 started[runtime][0] / "rasa_test.log") for runtime, test in tests.items()}


def test_every_stories_file_is_run() -> None:
    assert sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("tests/test_stories*.yml")) == sorted(STORIES)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_stories_pass_end_to_end(runtime: str, story_runs: dict[str, StoryRun]) -> None:
    run = story_runs[runtime]
    assert run.returncode == 0, run.detail()
