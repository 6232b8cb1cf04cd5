"""The carrier policy: which patches install under which switches and Rasa versions, and its load-order check."""

from __future__ import annotations

import importlib
import warnings

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema, SchemaNode
from rasa.shared.exceptions import InvalidConfigException

from addons import runtime


def test_every_registered_patch_installs_and_uninstalls_and_says_why() -> None:
    for module_name in (*runtime.BEHAVIOURS, *runtime.SPEED):
        module = importlib.import_module(module_name)
        assert callable(module.install) and callable(module.uninstall), module_name
        if module_name.startswith("addons.runtime."):
            doc = module.__doc__ or ""
            assert "Reason:" in doc and "Test:" in doc, f"{module_name}: reason and test in its docstring"


def test_the_switches_choose_the_patches() -> None:
    everything = [*runtime.BEHAVIOURS, *runtime.SPEED]
    assert runtime.selected({}) == everything
    assert runtime.selected({runtime.STOCK_SWITCH: "1"}) == list(runtime.BEHAVIOURS)
    assert runtime.selected({runtime.OFF_SWITCH: "tracker_copy, past_states"}) == [
        module for module in everything if not module.endswith(("tracker_copy", "past_states"))]


def test_another_rasa_version_runs_stock_rasa_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime.rasa, "__version__", "3.6.22")
    monkeypatch.setattr(runtime, "_installed", [])
    monkeypatch.setattr(runtime, "_installed_nothing_warned", [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert runtime.install() == [] and runtime.install() == []
    assert [str(w.message) for w in caught if "3.6.21" in str(w.message)] != []
    assert len([w for w in caught if "3.6.21" in str(w.message)]) == 1


def test_install_is_idempotent_and_uninstall_puts_rasa_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.actions.action import RemoteAction

    from addons.runtime import polite_failure

    before = runtime.install()  # the patches a model load would have installed
    assert runtime.install() == before
    assert RemoteAction.run is polite_failure._run_or_apologise
    runtime.uninstall()
    try:
        assert RemoteAction.run is polite_failure._original_run
    finally:
        assert runtime.install() == before


def _context(*policies: type) -> ExecutionContext:
    nodes = {f"run_{cls.__name__}{i}": SchemaNode(needs={}, uses=cls, constructor_name="load", fn="predict",
                                                   config={}) for i, cls in enumerate(policies)}
    mine = f"run_XiaoerRuntime{policies.index(runtime.XiaoerRuntime)}"
    return ExecutionContext(GraphSchema(nodes), "model", node_name=mine)


def test_the_carrier_must_load_before_rule_policy() -> None:
    runtime.check_loads_before_rule_policy(_context(runtime.XiaoerRuntime, RulePolicy))  # config.yml's order
    with pytest.raises(InvalidConfigException, match="before RulePolicy"):
        runtime.check_loads_before_rule_policy(_context(RulePolicy, runtime.XiaoerRuntime))
