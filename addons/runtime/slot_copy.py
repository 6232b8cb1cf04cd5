"""Slots are copied by a direct shallow copy of their attributes, which is what `copy.copy` does.

Reason: Rasa copies every slot for each tracker it builds, about ten trackers a message; the generic
`__reduce_ex__` round trip of `copy.copy` is three times slower.
Figure: ~0.4 ms a message (docs/benchmarks.md, decision 11); restored after the A/B of issue 29.
Test: tests/addons/runtime/test_caches.py (copies equal copy.copy's and are independent).
"""

from __future__ import annotations

from rasa.shared.core.slots import Slot

_had_copy = "__copy__" in Slot.__dict__


def copy_slot(slot: Slot) -> Slot:
    """What copy.copy does for a slot (a shallow copy of its __dict__), without the generic
    __reduce_ex__ round trip: Rasa copies every slot for each tracker it builds, about ten
    trackers a message."""
    duplicate = object.__new__(type(slot))
    duplicate.__dict__.update(slot.__dict__)
    return duplicate


def install() -> None:
    Slot.__copy__ = copy_slot  # type: ignore[attr-defined]


def uninstall() -> None:
    if not _had_copy and "__copy__" in Slot.__dict__:
        del Slot.__copy__
