"""Event classes are looked up by name once, not by walking every Event subclass per event.

Reason: Rasa resolves each event it reads (from the action server and the tracker store) by walking
all Event subclasses, dozens of times a message.
Figure: part of decision 7 in docs/benchmarks.md; restored after the A/B of issue 29 (see there).
Test: tests/addons/runtime/test_caches.py (every event type resolves to Rasa's class).
"""

from __future__ import annotations

from rasa.shared.core.events import Event

_original_resolve_event = Event.resolve_by_type


_event_classes: dict[str, type[Event]] = {}


def resolve_event_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type, remembered: Rasa walks every Event subclass for each event it reads
    (from the action server and from the tracker store), dozens of times a message."""
    cls = _event_classes.get(type_name)
    if cls is None:
        cls = _original_resolve_event(type_name, default)
        if cls is not None and cls.type_name == type_name:
            _event_classes[type_name] = cls
    return cls


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    Event.resolve_by_type = _original_resolve_event  # type: ignore[method-assign]
