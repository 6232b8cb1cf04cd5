"""The first graph run freezes the loaded objects once, then leaves the run method it wrapped in place."""

from __future__ import annotations

import gc

from rasa.engine.runner.dask import DaskGraphRunner

from addons.runtime import gc_freeze


def test_the_first_run_freezes_once_and_unwraps(monkeypatch) -> None:  # noqa: ANN001
    calls: list[str] = []

    def run(self: object, *args: object, **kwargs: object) -> str:
        calls.append("run")
        return "result"

    monkeypatch.setattr(DaskGraphRunner, "run", run)
    monkeypatch.setattr(gc_freeze, "_wrapped", [])  # the process's own installation is put back afterwards
    thresholds = gc.get_threshold()
    gc.unfreeze()
    gc_freeze.install()
    try:
        assert DaskGraphRunner.run is gc_freeze._freeze_then_run
        assert DaskGraphRunner.run(object()) == "result"
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (gc_freeze.YOUNG_GENERATION_THRESHOLD, *thresholds[1:])
        assert DaskGraphRunner.run is run  # nothing left on later messages' path
        assert DaskGraphRunner.run(object()) == "result" and calls == ["run", "run"]
    finally:
        gc_freeze.uninstall()
        gc.unfreeze()
        gc.set_threshold(*thresholds)
