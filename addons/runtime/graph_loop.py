"""The model's graph (NLU pipeline, policies) runs as a plain loop over a cached topological order.

Reason: Rasa serves with dask's synchronous scheduler anyway, but builds a dask graph and a minimal
schema for every message, which cost more than running the ten NLU nodes.
Figure: part of decision 7 in docs/benchmarks.md (Rasa CPU per message ~17 → ~12 ms with the pool
and the slim domain).
Test: tests/addons/test_model_runtime.py (the model parses the same as with dask).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

_original_run = DaskGraphRunner.run


def run_in_order(self: DaskGraphRunner, inputs: dict[str, Any] | None = None,
                 targets: list[str] | None = None) -> dict[str, Any]:
    """DaskGraphRunner.run without dask: the nodes in a cached topological order, one after another."""
    run_targets = targets or self._graph_schema.target_names
    results: dict[str, Any] = {}
    if inputs:
        self._add_inputs_to_graph(inputs, dict.fromkeys(self._graph_schema.nodes))
        results = {name: (name, value) for name, value in inputs.items()}
    nodes = self._graph_schema.nodes
    try:
        for name in _order(self, tuple(run_targets)):
            results[name] = self._instantiated_nodes[name](*(results[need] for need in nodes[name].needs.values()))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(results[target] for target in run_targets)


def _order(runner: DaskGraphRunner, targets: tuple[str, ...]) -> list[str]:
    """Dependencies before dependants, for the nodes the targets need (cached per runner and targets)."""
    cache = runner.__dict__.setdefault("_xiaoer_orders", {})
    if targets not in cache:
        nodes, ordered, seen = runner._graph_schema.nodes, [], set()

        def visit(name: str) -> None:
            if name in seen or name not in nodes:  # not a node: a run input
                return
            seen.add(name)
            for need in nodes[name].needs.values():
                visit(need)
            ordered.append(name)

        for target in targets:
            visit(target)
        cache[targets] = ordered
    return cache[targets]


def install() -> None:
    DaskGraphRunner.run = run_in_order  # type: ignore[method-assign]


def uninstall() -> None:
    DaskGraphRunner.run = _original_run  # type: ignore[method-assign]
