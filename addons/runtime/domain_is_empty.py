"""Whether the domain is empty (asked for every message) is computed once per domain.

Reason: Domain.is_empty compares the whole domain's as_dict() with an empty one's, for every message.
Figure: 1.7 % of Rasa's time under load, 48 → 0.5 µs (docs/benchmarks.md, decision 15).
Test: tests/addons/runtime/test_caches.py.
"""

from __future__ import annotations

from rasa.shared.core.domain import Domain

_original_is_empty = Domain.is_empty


def is_empty_remembered(self: Domain) -> bool:
    """Domain.is_empty compares the whole domain's as_dict() with an empty one's: for every message
    (processor._check_for_unseen_features), 1.7 % of Rasa's time. A loaded domain does not change."""
    known = self.__dict__.get("_xiaoer_is_empty")
    if known is None:
        known = self.__dict__["_xiaoer_is_empty"] = _original_is_empty(self)
    return known


def install() -> None:
    Domain.is_empty = is_empty_remembered  # type: ignore[method-assign]


def uninstall() -> None:
    Domain.is_empty = _original_is_empty  # type: ignore[method-assign]
