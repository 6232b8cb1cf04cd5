"""At the first message, every object loaded so far is frozen out of garbage collection.

Reason: a full collection walks the millions of objects TensorFlow, scikit-learn and the model leave
behind: up to 240 ms, in the middle of some shopper's message.
Figure: single messages stalled for up to 247 ms (the p99 of a run) before (docs/benchmarks.md, decision 9).
The young generation is then collected every 20,000 net allocations, not 700 (decision 24).
How: the graph runner's `run` is wrapped until its first call (the model is loaded by then), which
freezes and then puts back the `run` it wrapped: nothing is left on the path of later messages.
Test: tests/addons/runtime/test_gc_freeze.py.
"""

from __future__ import annotations

import gc
from typing import Any

from rasa.engine.runner.dask import DaskGraphRunner

_wrapped: list[Any] = []  # the run method in place when installed (Rasa's, or graph_loop's)


# Objects (net of those freed) allocated before the collector scans the young generation. Python's
# 700 made it scan about 2,300 times in 20 s of 50 shoppers (0.28 ms of a message's ~5 ms); with
# 20,000, 8 times: almost everything a message allocates is freed by reference counting first.
YOUNG_GENERATION_THRESHOLD = 20_000


def _freeze_then_run(self: DaskGraphRunner, *args: Any, **kwargs: Any) -> Any:
    run = _wrapped[0] if _wrapped else DaskGraphRunner.run
    DaskGraphRunner.run = run  # type: ignore[method-assign]  # once only
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
    return run(self, *args, **kwargs)


def install() -> None:
    if DaskGraphRunner.run is not _freeze_then_run:
        _wrapped[:] = [DaskGraphRunner.run]
        DaskGraphRunner.run = _freeze_then_run  # type: ignore[method-assign]


def uninstall() -> None:
    if DaskGraphRunner.run is _freeze_then_run and _wrapped:
        DaskGraphRunner.run = _wrapped[0]  # type: ignore[method-assign]
