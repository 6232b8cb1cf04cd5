"""A loaded RulePolicy remembers, per current dialogue state, which rules match it.

Reason: for every prediction Rasa tests all rules against the current state, then the survivors
against each earlier state. The first test depends only on the rule and the current state, and
the lookup of a loaded policy never changes, so which rules survive it is remembered per state.
Figure: a quarter of a message's time, ~2 ms a message (docs/benchmarks.md, decision 8).
Order: only a RulePolicy loaded after this is installed is marked as loaded (predict-only), so the
carrier policy must come before RulePolicy in config.yml; `XiaoerRuntime.load` checks it.
Test: tests/addons/test_model_runtime.py (the same rules as Rasa's for every state of the test
stories), tests/addons/runtime/test_carrier.py (the order check).
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.rule_policy import RulePolicy

MAX_CACHED_STATES = 10_000

_original_possible_keys = RulePolicy._get_possible_keys
_original_load = RulePolicy.load
_own_load = RulePolicy.__dict__.get("load")  # None: RulePolicy inherits its `load`


def _state_key(state: dict[str, Any]) -> tuple:
    """A hashable copy of a dialogue state ({"user": {...}, "slots": {...}, ...})."""
    return tuple(sorted((part, tuple(sorted(values.items()))) for part, values in state.items()))


def possible_keys_first_step_cached(self: RulePolicy, lookup: dict[str, str], states: list[dict]) -> set[str]:
    """RulePolicy._get_possible_keys for a loaded (never again trained) policy; the rest is Rasa's."""
    if not getattr(self, "_xiaoer_loaded", False) or not states:
        return _original_possible_keys(self, lookup, states)
    try:
        key = _state_key(states[-1])
    except TypeError:  # an unhashable value: no caching for this state
        return _original_possible_keys(self, lookup, states)
    cache: dict[tuple, frozenset[str]] = self.__dict__.setdefault("_xiaoer_first_step", {}).setdefault(id(lookup), {})
    survivors = cache.get(key)
    if survivors is None:
        if len(cache) >= MAX_CACHED_STATES:
            cache.clear()
        survivors = cache[key] = frozenset(k for k in lookup if self._is_rule_applicable(k, 0, states[-1]))
    possible = set(survivors)
    for turn, state in enumerate(reversed(states[:-1]), start=1):
        if not possible:
            break
        possible = {k for k in possible if self._is_rule_applicable(k, turn, state)}
    return possible


def _load_rule_policy(cls: type[RulePolicy], *args: Any, **kwargs: Any) -> RulePolicy:
    policy = _original_load.__func__(cls, *args, **kwargs)
    policy._xiaoer_loaded = True  # predict-only from here on: its rule lookup is fixed
    return policy


def install() -> None:
    RulePolicy._get_possible_keys = possible_keys_first_step_cached  # type: ignore[method-assign]
    RulePolicy.load = classmethod(_load_rule_policy)  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    RulePolicy._get_possible_keys = _original_possible_keys  # type: ignore[method-assign]
    if _own_load is None:
        if "load" in RulePolicy.__dict__:
            del RulePolicy.load
    else:
        RulePolicy.load = _own_load  # type: ignore[method-assign]
