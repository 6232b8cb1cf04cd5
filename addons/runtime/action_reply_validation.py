"""The action server's replies are checked by validators compiled once.

Reason: Rasa checks every reply with `jsonschema.validate`, which first re-checks the schema itself
against the JSON-Schema meta-schema, then tries each event against all 23 event schemas: 70 ms per
custom action here, most of a message's time (docs/benchmarks.md, decision 6).
Figure: a typical reply (3 events, 1 response) 123 → 7 µs, the same verdicts as Rasa's on 260 event
samples (decision 14).
Test: tests/addons/runtime/test_action_reply_validation.py (Rasa's verdict for every event type, and
each again with every field of a wrong type).
"""

from __future__ import annotations

from typing import Any

import fastjsonschema
from rasa.core.actions.action import RemoteAction

_original_validate = RemoteAction._validate_action_result

_RESPONSE_SHAPE = {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}},
                                                    "responses": {"type": "array", "items": {"type": "object"}}}}
_validators: dict[str, Any] = {}


def compiled_validators() -> dict[str, Any]:
    """One compiled validator for the response's shape and one per event type.

    Rasa's event schema is `oneOf` 23 sub-schemas, each pinning `event` to a distinct constant:
    an event is valid iff it matches the base schema and the one sub-schema of its own type,
    so checking that one is the same test as the `oneOf`, without trying the other 22.
    No defaults are filled in and, as with Rasa's jsonschema call, `format` is not checked.
    """
    if not _validators:
        from rasa.shared.utils.schemas.events import EVENT_SCHEMA

        def compile_(schema: dict[str, Any]) -> Any:
            return fastjsonschema.compile(schema, use_default=False, use_formats=False)

        base = {key: value for key, value in EVENT_SCHEMA.items() if key != "oneOf"}
        _validators["(response)"] = compile_(_RESPONSE_SHAPE)
        for sub_schema in EVENT_SCHEMA["oneOf"]:
            name = sub_schema["properties"]["event"]["const"]
            _validators[name] = compile_({"allOf": [base, sub_schema]})
    return _validators


def validate_quickly(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's `_validate_action_result`, fast for valid replies; anything doubtful gets Rasa's own check."""
    validators = compiled_validators()
    try:
        validators["(response)"](result)
        for event in result.get("events") or []:
            validators[event["event"]](event)  # KeyError: no or unknown event type
    except (fastjsonschema.JsonSchemaException, KeyError, TypeError):
        return _original_validate(self, result)  # raises Rasa's ValidationError
    return True


def install() -> None:
    RemoteAction._validate_action_result = validate_quickly  # type: ignore[method-assign]
    compiled_validators()  # now, not during the first shopper's first action (5 ms)


def uninstall() -> None:
    RemoteAction._validate_action_result = _original_validate  # type: ignore[method-assign]
