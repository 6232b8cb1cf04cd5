"""The domain sent with every action call leaves out the response texts.

Reason: Rasa sends the whole domain with every action call: 62 KB here, 53 KB of it response texts,
which actions never read (they name responses and Rasa renders them). Only the `utter_label_*`
responses go along, because actions/wording.py builds data labels (statuses, reasons) from them.
The slim domain is computed once per loaded domain.
Figure: with the pool (action_endpoint), Rasa CPU per message ~17 → ~12 ms (docs/benchmarks.md, decision 7).
Test: tests/addons/runtime/test_slim_action_domain.py (the call is Rasa's but for the domain's responses).
"""

from __future__ import annotations

from typing import Any

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

LABEL_PREFIX = "utter_label_"  # responses the actions read (actions/wording.py)

_original_call_format = RemoteAction._action_call_format
_slim_domains: dict[int, tuple[Domain, dict[str, Any]]] = {}


def slim_domain(domain: Domain) -> dict[str, Any]:
    """domain.as_dict() without response texts other than labels; computed once per Domain object."""
    cached = _slim_domains.get(id(domain))
    if cached is None or cached[0] is not domain:  # the id of a domain gone may recur
        data = dict(domain.as_dict())  # Rasa 3.6 returns its own _data: a copy, or the domain loses its texts
        data["responses"] = {k: v for k, v in data.get("responses", {}).items() if k.startswith(LABEL_PREFIX)}
        cached = _slim_domains[id(domain)] = (domain, data)
    return cached[1]


def call_format_with_slim_domain(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict:
    """Rasa's `_action_call_format`, with the slim domain where Rasa puts `domain.as_dict()`."""
    body = {"next_action": self._name, "sender_id": tracker.sender_id,
            "tracker": tracker.current_state(EventVerbosity.ALL), "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        body["domain"] = slim_domain(domain)
    return body


def install() -> None:
    RemoteAction._action_call_format = call_format_with_slim_domain  # type: ignore[method-assign]


def uninstall() -> None:
    RemoteAction._action_call_format = _original_call_format  # type: ignore[method-assign]
