"""`make bench-smoke` must keep working: the whole harness on a few messages.

Uses bench/out/models/*.tar.gz or models/current.tar.gz (which `make test` trains first);
without our model it trains a tiny-epoch one. The baseline is never trained here (a minute of
the suite): it runs when bench/out/models has one, and is skipped, saying so, otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.common import ROOT
from bench.smoke import SMOKE_DIR


@pytest.mark.timeout(900)
def test_bench_smoke_runs_end_to_end() -> None:
    result = subprocess.run([sys.executable, "-m", "bench", "smoke", "--baseline-train-timeout", "0"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads((SMOKE_DIR / "results.json").read_text(encoding="utf-8"))
    assert "ours" in results
    ours = results["ours"]
    assert ours["quality"]["holdout"]["n"] > 0
    assert ours["speed"]["runs"][0]["sequential"]["messages"] > 0
    assert ours["speed"]["tput_rasa_cpu_ms"] > 0 and ours["speed"]["tput_actions_cpu_ms"] > 0
    report = (SMOKE_DIR / "report.md").read_text(encoding="utf-8")
    assert "| metric | ours | baseline |" in report and "CPU per message under load, Rasa server" in report
