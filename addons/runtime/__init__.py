"""Xiaoer's changes to Rasa 3.6.21's runtime: one module per change, each with its reason, figure and test.

Rasa 3.6 has no hooks for these, so `XiaoerRuntime` (listed under `policies` in config.yml, before
RulePolicy, so `rasa run`, `rasa shell` and `rasa test` all load it) installs them once per process.
It never predicts.

Behaviours (what the assistant does):
- polite_failure: a failed custom action is answered with `utter_system_busy`, not silence.
- session_window: a long conversation starts a new session every 400 events (bounded cost a message).
- paused_reply: a message while the conversation waits for an agent hears so (once every few minutes).
- addons.input_text: full-width digits and Latin letters of every message read as ASCII.
- addons.typed_buttons: a button's title typed instead of tapped is read as that button.
- addons.answers: the message after a question is first read as an answer to that question.
- addons.language: the message's language entity only when it changes the conversation's language.

Speed (each keeps Rasa's behaviour, tests/addons proves it, and only removes work):
- action_reply_validation: the action server's replies checked by validators compiled once.
- action_endpoint: pooled keep-alive connections to the action server (that endpoint only); no call
  is ever sent twice.
- slim_action_domain: action calls carry the domain without response texts (labels excepted).
- graph_loop: the model's graph run as a plain loop instead of a dask graph per message.
- gc_freeze: the loaded model frozen out of garbage collection at the first message.
- rule_lookup: RulePolicy remembers which rules match each current state.
- tracker_copy, past_states: trackers copied, and their dialogue states carried forward, without
  replaying the whole conversation.
- event_types, slot_copy, domain_is_empty, slot_mapping_answers, quiet_action_log: answers Rasa
  recomputes for every message remembered, copies it makes for nothing skipped (each small; together
  they were worth keeping in the A/B of issue 29, docs/benchmarks.md).

Switches: the patches install only on Rasa 3.6.21, the version they were written and tested against;
any other version runs stock Rasa with one warning. `XIAOER_STOCK_RUNTIME=1` leaves out the speed
patches (stock Rasa's runtime with Xiaoer's behaviours), for comparison and debugging; the test suite
runs the conversation tests that way too. `XIAOER_RUNTIME_OFF=name,name` leaves out single patches,
for A/B runs (`python -m bench.ab`).

Adding a change: a module with `install()` and `uninstall()` and a docstring giving its reason, figure
and test, and one line in BEHAVIOURS or SPEED below.
"""

from __future__ import annotations

import importlib
import logging
import os
import warnings
from typing import Any

import rasa
from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"  # the version every module here was written and tested against
STOCK_SWITCH = "XIAOER_STOCK_RUNTIME"
OFF_SWITCH = "XIAOER_RUNTIME_OFF"

BEHAVIOURS: tuple[str, ...] = (
    "addons.runtime.polite_failure",
    "addons.runtime.session_window",
    "addons.runtime.paused_reply",
    "addons.input_text",
    "addons.typed_buttons",
    "addons.answers",  # after typed_buttons: a typed button stays that button
    "addons.language",  # after answers: the language entity said once, when the language changes
)
SPEED: tuple[str, ...] = (
    "addons.runtime.action_reply_validation",
    "addons.runtime.action_endpoint",
    "addons.runtime.slim_action_domain",
    "addons.runtime.graph_loop",
    "addons.runtime.gc_freeze",  # after graph_loop: it wraps whichever graph run is in place
    "addons.runtime.rule_lookup",
    "addons.runtime.tracker_copy",
    "addons.runtime.past_states",
    "addons.runtime.event_types",
    "addons.runtime.slot_copy",
    "addons.runtime.domain_is_empty",
    "addons.runtime.slot_mapping_answers",
    "addons.runtime.quiet_action_log",
)

_installed: list[str] = []  # the modules installed in this process, in order


def short_name(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def selected(environ: dict[str, str] | os._Environ[str] | None = None) -> list[str]:
    """The modules to install under these environment switches (Rasa's version aside)."""
    environ = os.environ if environ is None else environ
    chosen = list(BEHAVIOURS)
    if environ.get(STOCK_SWITCH, "").strip() not in ("1", "true", "yes"):
        chosen += SPEED
    off = {name.strip() for name in environ.get(OFF_SWITCH, "").split(",") if name.strip()}
    unknown = off - {short_name(module) for module in (*BEHAVIOURS, *SPEED)}
    if unknown:
        logger.warning("%s names no runtime patch: %s", OFF_SWITCH, ", ".join(sorted(unknown)))
    return [module for module in chosen if short_name(module) not in off]


def install() -> list[str]:
    """Install the selected patches once per process; returns the modules installed."""
    if _installed:
        return list(_installed)
    if rasa.__version__ != RASA_VERSION:
        if not _installed_nothing_warned:
            _installed_nothing_warned.append(True)
            warnings.warn(f"Xiaoer's runtime patches are written for Rasa {RASA_VERSION}, this is Rasa "
                          f"{rasa.__version__}: running stock Rasa (no polite busy reply, typed buttons or "
                          f"full-width input, and none of the speed-ups).", UserWarning, stacklevel=2)
        return []
    for module in selected():
        importlib.import_module(module).install()
        _installed.append(module)
    logger.debug("runtime patches installed: %s", ", ".join(short_name(module) for module in _installed))
    return list(_installed)


_installed_nothing_warned: list[bool] = []


def uninstall() -> None:
    """Put Rasa's own methods back (tests; a process normally keeps its patches)."""
    for module in reversed(_installed):
        uninstaller = getattr(importlib.import_module(module), "uninstall", None)
        if uninstaller is not None:
            uninstaller()
    _installed.clear()


def check_loads_before_rule_policy(execution_context: ExecutionContext) -> None:
    """rule_lookup marks a RulePolicy as loaded only if it loads after the patch is installed, that is
    after this policy: a RulePolicy listed first would silently run without it."""
    nodes = list(execution_context.graph_schema.nodes.items())
    mine = next((i for i, (name, _) in enumerate(nodes) if name == execution_context.node_name), None)
    rule_policies = [i for i, (_, node) in enumerate(nodes) if isinstance(node.uses, type)
                     and issubclass(node.uses, RulePolicy)]
    if mine is not None and any(i < mine for i in rule_policies):
        raise InvalidConfigException(
            "addons.runtime.XiaoerRuntime must be listed before RulePolicy under `policies` in config.yml: "
            "it installs the patches RulePolicy is loaded with.")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class XiaoerRuntime(Policy):
    """Carrier of the patches above: installing them is its whole job; it predicts nothing."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 1}  # irrelevant: it never predicts

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any | None = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        install()

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> XiaoerRuntime:
        check_loads_before_rule_policy(execution_context)
        return cls(config, model_storage, resource, execution_context)

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict | None = None, **kwargs: Any
    ) -> PolicyPrediction:
        return self._prediction(self._default_predictions(domain))
