"""A serving tracker's dialogue states are carried forward as its events grow.

Reason: to list a tracker's dialogue states Rasa replays the whole conversation into a fresh tracker,
for every prediction: RulePolicy asks twice right after a user message and again after every action,
when only the newest events are new. The states are a function of the applied events and the domain
alone, so the replay is kept on the tracker (a serving tracker lives for one message) and carried on
over the events added since; when earlier events stop applying (a form ran again, an undo, a
restart) it starts over. Every caller gets its own copy.
Figure: see docs/benchmarks.md, decisions 18 and 20, and the A/B of issue 29 there.
Test: tests/addons/runtime/test_trackers.py (Rasa's states after every event of a growing tracker),
tests/addons/test_model_runtime.py (Rasa's rule predictions).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker

_original_past_states = DialogueStateTracker.past_states


def _copy_states(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """States are dicts of dicts of immutable values; the featurizers delete keys at both levels."""
    return [{part: dict(values) for part, values in state.items()} for state in states]


@dataclasses.dataclass
class _StatesSoFar:
    """Where Rasa's `states_for_tracker_history` got to: the applied events it replayed, the tracker
    they made, the state before each action among them and the state after the last one."""

    domain: Domain
    omit_unset_slots: bool
    applied: list[Event]
    replay: DialogueStateTracker
    states: list[dict[str, Any]]
    final: dict[str, Any] | None = None


def _extends(applied: list[Event], earlier: list[Event]) -> bool:
    """Whether `applied` is `earlier` (the same event objects) with events added at the end."""
    if len(applied) < len(earlier):
        return False
    return all(now is before for now, before in zip(applied, earlier, strict=False))


def _state_now(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> dict[str, Any]:
    return domain._clean_state(domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots))


def past_states_remembered(
    self: DialogueStateTracker, domain: Domain, omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False, rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Rasa replays the whole conversation into a fresh tracker to list its dialogue states, for every
    prediction: RulePolicy asks twice right after a user message, and again after every action, when
    only the newest events are new. The states are a function of the applied events and the domain
    alone, so the replay is kept on the tracker (a serving tracker lives for one message) and carried
    on over the events added since; when earlier events stop applying (a form ran again, an undo, a
    restart) it starts over. Every caller gets its own copy."""
    if type(self) is not DialogueStateTracker or ignore_rule_only_turns or self._max_event_history is not None:
        # training's trackers cache their own way; rule-only turns carry state across turns; a cut
        # history is replayed by Rasa from what is left
        return _original_past_states(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    applied = self.applied_events()
    known: _StatesSoFar | None = self.__dict__.get("_xiaoer_states")
    if (known is None or known.domain is not domain or known.omit_unset_slots != omit_unset_slots
            or not _extends(applied, known.applied)):
        known = _StatesSoFar(domain, omit_unset_slots, [], self.init_copy(), [])
        self._xiaoer_states = known  # type: ignore[attr-defined]
    if known.final is None or len(applied) > len(known.applied):
        for event in applied[len(known.applied):]:  # what generate_all_prior_trackers does
            if isinstance(event, ActionExecuted):
                known.states.append(_state_now(domain, known.replay, omit_unset_slots))
            known.replay.update(event)
        known.applied = applied
        known.final = _state_now(domain, known.replay, omit_unset_slots)
    return _copy_states([*known.states, known.final])


def install() -> None:
    DialogueStateTracker.past_states = past_states_remembered  # type: ignore[method-assign]


def uninstall() -> None:
    DialogueStateTracker.past_states = _original_past_states  # type: ignore[method-assign]
