"""Xiaoer's fixes to Rasa 3.6's runtime, installed by every process that loads the model.

Rasa 3.6 has no hooks for these, so `XiaoerRuntime` (listed under `policies` in config.yml, so
`rasa run`, `rasa shell` and `rasa test` all load it) patches these once per process. Each keeps
Rasa's behaviour (tests/addons prove it) and only removes work. It never predicts.

1. A failed custom action (server down, timeout, crash) is answered with `utter_system_busy`,
   which offers a human, instead of silence.
2. The action server's reply is checked against Rasa's schema with validators compiled once
   (fastjsonschema), one per event type. Rasa calls `jsonschema.validate`, which re-checks the schema itself
   against the JSON-Schema meta-schema on every call (70 ms per custom action here, most of a
   message's time), then tries each event against all 23 event schemas.
3. Calls to the action server reuse pooled keep-alive connections instead of a new session and
   TCP connection per call. Idle connections are dropped after 2 s, before the action server's own
   5 s keep-alive limit, so a request is not written into a connection the server is closing; if
   that happens anyway, it is sent once more. The request body is encoded with ujson. Plain JSON
   POSTs (every action call) go through the small HTTP/1.1 client in addons/action_client.py
   (a sixth of the time aiohttp took); anything else through one pooled aiohttp session per event
   loop and endpoint.
4. The domain sent with every action call leaves out the response texts (53 of its 62 KB here):
   actions name responses and Rasa renders them. Only the `utter_label_*` responses go along,
   because actions/wording.py builds data labels (statuses, reasons) from them. It is encoded once;
   the tracker state in the call is built without deep-copying the active form's trigger message.
5. The graph (NLU pipeline, policies) runs as a plain loop over a cached topological order
   instead of building a dask graph per message (Rasa uses dask's synchronous scheduler anyway).
6. Event classes are looked up by name once, not by walking every Event subclass per event.
7. A loaded RulePolicy remembers, per current dialogue state, which rules match it, instead of
   testing all rules against it for every prediction (a quarter of a message's time here).
8. At the first message, every object loaded so far is frozen out of garbage collection, so a full
   collection does not stall a message for up to 240 ms walking the loaded libraries and model.
9. Slots are copied (once per slot for every tracker Rasa builds) by a direct shallow copy of their
   attributes, which is what `copy.copy` does, three times faster.
10. The in-memory and Redis tracker stores write and read each conversation's JSON with ujson
   (twice as fast as the json module; Rasa does both for every message).
11. Without debug logging, the events of each action are not deep-copied for two debug lines.
12. Whether the domain is empty (asked for every message) is computed once per domain.
13. Whether a slot's entity mapping is unique to its form is computed once per domain and mapping.
14. A serving tracker's dialogue states are carried forward as its events grow, instead of replaying
   the whole conversation for every prediction (RulePolicy asked twice after every user message and
   again after every action).
15. A tracker is copied (before every action) by taking over its state instead of replaying all its
   events into a new tracker.
16. The in-memory and Redis stores return a conversation's last session without replaying all its
   events a second time (Rasa rebuilt every session to return the last one, or the one it had).
17. A form's temporary tracker (built twice a form turn) is a copy of the current one with the new
   events added, instead of a replay of the whole conversation.
18. Whether a slot mapping takes the message's intent (asked for every mapping of every slot on every
   message) is answered once per mapping, active form and intent.

Besides these, `install` also makes every incoming message's full-width digits and Latin letters
ASCII (addons/input_text.py), and reads a button's title typed instead of tapped as that button
(addons/typed_buttons.py): changes of behaviour, tested as such.

Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import copy
import dataclasses
import gc
import json
import logging
import weakref
from collections import deque
from typing import Any

import aiohttp
import fastjsonschema
import rasa
import ujson
from rasa.core.actions.action import (
    Action,
    ActionExecutionRejection,
    ActionExtractSlots,
    RemoteAction,
    create_bot_utterance,
)
from rasa.core.actions.forms import FormAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SerializedTrackerAsText, TrackerStore
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.constants import ACTION_SESSION_START_NAME, REQUESTED_SLOT
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    BotUttered,
    Event,
    Restarted,
    SlotSet,
    UserUttered,
    split_events,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.slot_mappings import SlotMapping
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from addons import action_client, input_text, typed_buttons

logger = logging.getLogger(__name__)

BUSY_RESPONSE = "utter_system_busy"
IDLE_CONNECTION_SECONDS = 2.0  # below Sanic's KEEP_ALIVE_TIMEOUT (5 s) on the action server

LABEL_PREFIX = "utter_label_"  # responses the actions read (actions/wording.py)

_original_run = RemoteAction.run
_original_request = EndpointConfig.request
_original_call_format = RemoteAction._action_call_format
_original_validate = RemoteAction._validate_action_result
_original_graph_run = DaskGraphRunner.run
_original_resolve_event = Event.resolve_by_type
_original_possible_keys = RulePolicy._get_possible_keys
_original_rule_load = RulePolicy.load.__func__
_original_deserialise = TrackerStore.deserialise_tracker
_original_log_action = MessageProcessor._log_action_on_tracker
_original_is_empty = Domain.is_empty
_original_unique_check = ActionExtractSlots._fails_unique_entity_mapping_check
_original_past_states = DialogueStateTracker.past_states
_original_copy = DialogueStateTracker.copy
_original_memory_retrieve = InMemoryTrackerStore._retrieve
_original_redis_retrieve = RedisTrackerStore._retrieve
_original_temporary_tracker = FormAction._temporary_tracker
_original_intent_is_desired = SlotMapping.intent_is_desired


# 1. polite failure ---------------------------------------------------------------------------
async def _run_or_apologise(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list:
    try:
        return await _original_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise  # a form's normal "not for me", not a failure
    except Exception:
        logger.exception("custom action '%s' failed; answering with %s", self.name(), BUSY_RESPONSE)
        response = await nlg.generate(BUSY_RESPONSE, tracker, output_channel.name())
        return [create_bot_utterance(response)] if response else []


# 2. validation without the per-call meta-schema check ------------------------------------------
_RESPONSE_SHAPE = {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}},
                                                    "responses": {"type": "array", "items": {"type": "object"}}}}
_validators: dict[str, Any] = {}


def _compiled_validators() -> dict[str, Any]:
    """One compiled validator for the response's shape and one per event type.

    Rasa's event schema is `oneOf` 23 sub-schemas, each pinning `event` to a distinct constant:
    an event is valid iff it matches the base schema and the one sub-schema of its own type,
    so checking that one is the same test as the `oneOf`, without trying the other 22.
    fastjsonschema turns each schema into Python code once (jsonschema walks the schema on every
    call: 123 vs 7 µs for a typical reply); no defaults are filled in and, as with Rasa's
    jsonschema call, `format` is not checked.
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


def _validate_quickly(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's `_validate_action_result`, fast for valid replies; anything doubtful gets Rasa's own check."""
    validators = _compiled_validators()
    try:
        validators["(response)"](result)
        for event in result.get("events") or []:
            validators[event["event"]](event)  # KeyError: no or unknown event type
    except (fastjsonschema.JsonSchemaException, KeyError, TypeError):
        return _original_validate(self, result)  # raises Rasa's ValidationError
    return True


# 3. pooled connections to the action server ------------------------------------------------------
class _BorrowedSession:
    """Looks like a fresh ClientSession to `async with`, but leaves the pooled one open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info: object) -> None:
        return None


_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, aiohttp.ClientSession]] = (
    weakref.WeakKeyDictionary()
)


def _dumps(body: Any) -> str:
    """ujson (already installed with Sanic) encodes the tracker several times faster than json. The
    slim domain, the same object in every action call, is spliced in already encoded (11.8 of the
    21 KB of a typical call here)."""
    domain = body.get("domain") if type(body) is dict else None
    encoded = _encoded_domains.get(id(domain)) if domain is not None else None
    try:
        if encoded is not None and encoded[0] is domain:
            rest = ujson.dumps({k: v for k, v in body.items() if k != "domain"}, ensure_ascii=False)
            if rest != "{}":
                return f'{rest[:-1]},"domain":{encoded[1]}}}'
        return ujson.dumps(body, ensure_ascii=False)
    except (TypeError, OverflowError, ValueError):  # anything ujson cannot encode: Rasa's own way
        return json.dumps(body)


def _session_key(endpoint: EndpointConfig) -> tuple:
    auth = tuple(sorted(endpoint.basic_auth.items())) if endpoint.basic_auth else ()
    return endpoint.url, tuple(sorted((endpoint.headers or {}).items())), auth


def _close_pool(per_loop: dict[tuple, aiohttp.ClientSession]) -> None:
    """Close a loop's sessions without that loop (it is gone or stopping): no 'Unclosed session' noise."""
    for session in per_loop.values():
        connector = session.connector
        session.detach()
        with contextlib.suppress(Exception):
            if connector is not None:
                connector.close()
    per_loop.clear()


@atexit.register
def _close_all_pools() -> None:
    for per_loop in list(_sessions.values()):
        _close_pool(per_loop)


def _pooled_session(self: EndpointConfig) -> _BorrowedSession:
    loop = asyncio.get_running_loop()
    per_loop = _sessions.get(loop)
    if per_loop is None:
        per_loop = _sessions[loop] = {}
        weakref.finalize(loop, _close_pool, per_loop)
    key = _session_key(self)
    session = per_loop.get(key)
    if session is None or session.closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        connector = aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS)
        session = per_loop[key] = aiohttp.ClientSession(
            headers=self.headers, auth=auth, connector=connector, json_serialize=_dumps,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        )
    return _BorrowedSession(session)


async def _request_resending_once(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
    """Through the pooled aiohttp session; a keep-alive connection the server closed is retried once."""
    try:
        return await _original_request(self, *args, **kwargs)
    except aiohttp.ServerDisconnectedError:
        logger.debug("keep-alive connection to %s was closed by the server; sending again", self.url)
        return await _original_request(self, *args, **kwargs)


async def _request(
    self: EndpointConfig, method: str = "post", subpath: str | None = None,
    content_type: str | None = "application/json", compress: bool = False, **kwargs: Any,
) -> Any:
    """JSON POSTs (every action call) by the small client in addons/action_client.py; the rest by aiohttp."""
    if action_client.handles(self, method, kwargs, compress):
        return await action_client.request(self, _dumps, subpath, content_type, kwargs)
    return await _request_resending_once(self, method, subpath, content_type, compress, **kwargs)


# 4. a slimmer domain for the action server ---------------------------------------------------------
_slim_domains: dict[int, tuple[Domain, dict[str, Any]]] = {}
_encoded_domains: dict[int, tuple[dict[str, Any], str]] = {}  # id(slim domain) -> (it, its JSON)


def _slim_domain(domain: Domain) -> dict[str, Any]:
    """domain.as_dict() without response texts other than labels; computed once per Domain object."""
    cached = _slim_domains.get(id(domain))
    if cached is None or cached[0] is not domain:
        data = domain.as_dict()
        data["responses"] = {k: v for k, v in data.get("responses", {}).items() if k.startswith(LABEL_PREFIX)}
        cached = _slim_domains[id(domain)] = (domain, data)
        _encoded_domains[id(data)] = (data, ujson.dumps(data, ensure_ascii=False))
    return cached[1]


def _tracker_state(tracker: DialogueStateTracker) -> dict[str, Any]:
    """tracker.current_state(EventVerbosity.ALL), without `dataclasses.asdict`'s deep copy of the active
    form's trigger message (3.8 % of Rasa's time under load): the action call is encoded at once and
    dropped, so the state may share that dict with the tracker."""
    loop = tracker.active_loop
    tracker.active_loop = None
    try:
        state = tracker.current_state(EventVerbosity.ALL)
    finally:
        tracker.active_loop = loop
    if loop is not None:
        state["active_loop"] = {field.name: getattr(loop, field.name) for field in dataclasses.fields(loop)}
    return state


def _call_format_with_slim_domain(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict:
    """Rasa's `_action_call_format` with the slim domain (computed once) and `_tracker_state`."""
    body = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": _tracker_state(tracker),
            "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        body["domain"] = _slim_domain(domain)
    return body


# 5. run the graph in a plain loop ------------------------------------------------------------------
def _run_in_order(self: DaskGraphRunner, inputs: dict[str, Any] | None = None,
                  targets: list[str] | None = None) -> dict[str, Any]:
    """DaskGraphRunner.run without dask: the nodes in a cached topological order, one after another.

    Rasa serves with dask's synchronous scheduler anyway; building a dask graph and a minimal schema
    for every message cost more than running the ten NLU nodes.
    """
    _freeze_loaded_objects()
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


_frozen: list[bool] = []
# Objects (net of those freed) allocated before the garbage collector scans the young generation.
# Python's 700 made it scan about 2,300 times in 20 s of 50 shoppers: 0.28 ms of a message's
# ~5 ms. With 20,000 it scanned 8 times (0.015 ms a message): almost everything a message
# allocates is freed by reference counting before the count gets there.
YOUNG_GENERATION_THRESHOLD = 20_000


def _freeze_loaded_objects() -> None:
    """Once, at the first graph run (the model is loaded by then): move every object that exists
    into the garbage collector's permanent generation. A full collection otherwise walks the
    millions of objects TensorFlow, scikit-learn and the model leave behind: up to 240 ms, in the
    middle of some shopper's message. And collect the young generation less often (see the threshold)."""
    if not _frozen:
        _frozen.append(True)
        gc.freeze()
        gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])


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


# 6. event classes looked up once -------------------------------------------------------------------
_event_classes: dict[str, type[Event]] = {}


def _resolve_event_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type, remembered: Rasa walks every Event subclass for each event it reads
    (from the action server and from the tracker store), dozens of times a message."""
    cls = _event_classes.get(type_name)
    if cls is None:
        cls = _original_resolve_event(type_name, default)
        if cls is not None and cls.type_name == type_name:
            _event_classes[type_name] = cls
    return cls


# 7. rule lookup: the first step cached --------------------------------------------------------------
MAX_CACHED_STATES = 10_000


def _state_key(state: dict[str, Any]) -> tuple:
    """A hashable copy of a dialogue state ({"user": {...}, "slots": {...}, ...})."""
    return tuple(sorted((part, tuple(sorted(values.items()))) for part, values in state.items()))


def _possible_keys_first_step_cached(self: RulePolicy, lookup: dict[str, str], states: list[dict]) -> set[str]:
    """RulePolicy._get_possible_keys for a loaded (never again trained) policy.

    Rasa tests every rule against the current state, then the survivors against each earlier state.
    The first test depends only on the rule and the current state, and the lookup of a loaded policy
    never changes, so which rules survive it is remembered per current state. The rest is Rasa's.
    """
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
    policy = _original_rule_load(cls, *args, **kwargs)
    policy._xiaoer_loaded = True  # predict-only from here on: its rule lookup is fixed
    return policy


# 9. slots copied directly -----------------------------------------------------------------------------
def _copy_slot(slot: Slot) -> Slot:
    """What copy.copy does for a slot (a shallow copy of its __dict__), without the generic
    __reduce_ex__ round trip: Rasa copies every slot for each tracker it builds, about ten
    trackers a message."""
    duplicate = object.__new__(type(slot))
    duplicate.__dict__.update(slot.__dict__)
    return duplicate


# 10. tracker store JSON by ujson ------------------------------------------------------------------------
def _serialise_tracker_quickly(tracker: DialogueStateTracker) -> str:
    """SerializedTrackerAsText.serialise_tracker (in-memory and Redis stores) with ujson: the same
    JSON document (not the same bytes), about twice as fast as json.dumps."""
    dialogue = tracker.as_dialogue().as_dict()
    try:
        return ujson.dumps(dialogue, ensure_ascii=False, escape_forward_slashes=False)
    except (TypeError, OverflowError, ValueError):  # anything ujson cannot encode: Rasa's own way
        return json.dumps(dialogue)


def _deserialise_tracker_quickly(self: TrackerStore, sender_id: str, serialised: str | bytes) -> Any:
    """TrackerStore.deserialise_tracker reading the JSON with ujson; anything ujson refuses gets Rasa's own."""
    try:
        data = ujson.loads(serialised)
    except (ValueError, OverflowError, TypeError):
        return _original_deserialise(self, sender_id, serialised)
    tracker = self.init_tracker(sender_id)
    tracker.recreate_from_dialogue(Dialogue.from_parameters(data))
    return tracker


# 11. no deep copies for debug lines nobody reads ---------------------------------------------------
_processor_logger = logging.getLogger(MessageProcessor.__module__)


def _log_action_on_tracker(
    self: MessageProcessor, tracker: DialogueStateTracker, action: Action, events: list[Event] | None,
    prediction: PolicyPrediction,
) -> None:
    """Rasa's `_log_action_on_tracker` deep-copies the events for two debug log lines even when debug
    logging is off (2.3 % of Rasa's time under load). With debug logging on, Rasa's own runs."""
    if _processor_logger.isEnabledFor(logging.DEBUG):
        return _original_log_action(self, tracker, action, events, prediction)
    events = events or []
    if not any(isinstance(event, ActionExecutionRejected) for event in events):
        tracker.update_with_events(prediction.events, self.domain)
        tracker.update(action.event_for_successful_execution(prediction))
    tracker.update_with_events(events, self.domain)
    return None


# 12. "is the domain empty?" answered once per domain -------------------------------------------------
def _is_empty_remembered(self: Domain) -> bool:
    """Domain.is_empty compares the whole domain's as_dict() with an empty one's: for every message
    (processor._check_for_unseen_features), 1.7 % of Rasa's time. A loaded domain does not change."""
    known = self.__dict__.get("_xiaoer_is_empty")
    if known is None:
        known = self.__dict__["_xiaoer_is_empty"] = _original_is_empty(self)
    return known


# 13. which entity mappings are unique to their form: answered once per domain -----------------------
_unique_mapping_answers: dict[tuple, tuple[Domain, dict, bool]] = {}


def _fails_unique_entity_mapping_check(
    self: ActionExtractSlots, slot_name: str, mapping: dict[str, Any], tracker: DialogueStateTracker,
    domain: Domain,
) -> bool:
    """Rasa builds a FormAction and every form's unique entity mappings afresh for each slot mapping of
    each message (2.7 % of Rasa's time under load). Past the checks on the tracker, which stay here,
    the answer depends only on the domain, the form, the slot and the mapping, so it is remembered."""
    if mapping.get("type") != "from_entity" or not tracker.active_loop_name:
        return False
    if tracker.get_slot("requested_slot") == slot_name:
        return False
    key = (id(domain), id(mapping), tracker.active_loop_name, slot_name)
    known = _unique_mapping_answers.get(key)
    if known is None or known[0] is not domain or known[1] is not mapping:  # ids of objects gone can recur
        answer = _original_unique_check(self, slot_name, mapping, tracker, domain)
        known = _unique_mapping_answers[key] = (domain, mapping, answer)
    return known[2]


# 14. a tracker's past states carried forward as its events grow ------------------------------------
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


def _past_states_remembered(
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


# 15. a tracker copied without replaying its events ----------------------------------------------------
def _copy_without_replay(self: DialogueStateTracker) -> DialogueStateTracker:
    """`tracker.copy()` replays every event of the conversation into a fresh tracker; Rasa does it before
    each action it runs (4 % of its time under load). A tracker's state is, by Rasa's own rule, what
    its events make of it, so the copy takes that state over directly: the same event objects, slot
    copies with their values, and what a replayed tracker leaves unset (model and assistant ids, the
    sender source) unset. A tracker whose history is cut (`max_event_history`) is replayed as before:
    there the events no longer make the whole state."""
    if type(self) is not DialogueStateTracker or self._max_event_history is not None or type(self.slots) is not dict:
        return _original_copy(self)
    copied = DialogueStateTracker.__new__(DialogueStateTracker)
    copied._max_event_history = None
    copied.events = deque(self.events)
    copied.sender_id = self.sender_id or DEFAULT_SENDER_ID
    copied.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
    copied.sender_source = None
    copied.is_rule_tracker = self.is_rule_tracker
    copied._paused = self._paused
    copied.followup_action = self.followup_action
    copied.latest_action = dict(self.latest_action) if self.latest_action is not None else None
    # the latest user and bot events, or fresh empty ones where no event set them (as a replay makes)
    copied.latest_message = _logged_or(self.latest_message, self.events, UserUttered.empty)
    copied.latest_bot_utterance = _logged_or(self.latest_bot_utterance, self.events, BotUttered.empty)
    copied.active_loop = copy.copy(self.active_loop)
    copied.model_id = None
    copied.assistant_id = None
    return copied


def _logged_or(event: Event | None, events: deque, empty: Any) -> Any:
    return event if any(logged is event for logged in reversed(events)) else empty()


# 16. the last conversation session without a second replay --------------------------------------------
def _last_session(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """What the in-memory and Redis stores return for the last session. Rasa rebuilds a tracker for every
    session of the conversation (replaying all its events once more) to return the last one, and
    returns the tracker it already had when there is only one session. The sessions are counted
    first here, and only the last one is rebuilt."""
    sessions = split_events(tracker.events, ActionExecuted, {"action_name": ACTION_SESSION_START_NAME},
                            include_splitting_event=True)
    if len(sessions) <= 1:
        return tracker
    return DialogueStateTracker.from_events(tracker.sender_id, sessions[-1], tracker.slots.values(),
                                            sender_source=tracker.sender_source,
                                            max_event_history=tracker._max_event_history)


async def _retrieve_from_memory(self: InMemoryTrackerStore, sender_id: str, fetch_all_sessions: bool) -> Any:
    """InMemoryTrackerStore._retrieve, with `_last_session`."""
    if sender_id not in self.store:
        return None
    tracker = self.deserialise_tracker(sender_id, self.store[sender_id])
    if not tracker or fetch_all_sessions:
        return tracker
    return _last_session(tracker)


async def _retrieve_from_redis(self: RedisTrackerStore, sender_id: str, fetch_all_sessions: bool) -> Any:
    """RedisTrackerStore._retrieve, with `_last_session`."""
    stored = self.red.get(self.key_prefix + sender_id)
    if stored is None:
        return None
    tracker = self.deserialise_tracker(sender_id, stored)
    if not tracker or fetch_all_sessions:
        return tracker
    return _last_session(tracker)


# 17. a form's temporary tracker copied, not replayed ------------------------------------------------
def _temporary_tracker_by_copy(
    self: FormAction, current_tracker: DialogueStateTracker, additional_events: list[Event], domain: Domain,
) -> DialogueStateTracker:
    """A form builds a temporary tracker (to validate slots and to ask for the next one) by replaying
    every event since the last restart, plus a few new ones, into a fresh tracker. Without a restart
    and with the domain's slots, a copy of the current tracker (15.) with the new events added is that
    same tracker; anything else is replayed as Rasa does."""
    if (type(current_tracker) is not DialogueStateTracker or current_tracker._max_event_history is not None
            or list(current_tracker.slots) != [slot.name for slot in domain.slots]
            or any(isinstance(event, Restarted) for event in current_tracker.events)):
        return _original_temporary_tracker(self, current_tracker, additional_events, domain)
    tracker = _copy_without_replay(current_tracker)
    tracker.sender_id = current_tracker.sender_id  # as given, like from_events (a copy fills in a default)
    tracker.is_rule_tracker = False
    for event in [SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)), ActionExecuted(self.name()),
                  *additional_events]:
        tracker.update(event)
    return tracker


# 18. whether a slot mapping takes the message's intent: answered once per mapping, form and intent ------
_intent_answers: dict[tuple, tuple[Domain, dict, bool]] = {}


def _intent_is_desired_remembered(mapping: dict[str, Any], tracker: DialogueStateTracker, domain: Domain) -> bool:
    """Rasa asks this for every mapping of every slot on every message (41 mappings here), rebuilding
    the form's ignored intents each time: 0.1-0.2 ms a message with a form active. The answer depends
    only on the mapping, the domain's forms, the active form and the message's intent."""
    intent = tracker.latest_message.intent.get("name") if tracker.latest_message else None
    key = (id(domain), id(mapping), tracker.active_loop_name, intent)
    known = _intent_answers.get(key)
    if known is None or known[0] is not domain or known[1] is not mapping:  # ids of objects gone can recur
        known = _intent_answers[key] = (domain, mapping, _original_intent_is_desired(mapping, tracker, domain))
    return known[2]


def install() -> None:
    """Idempotent: patch once per process."""
    if RemoteAction.run is not _run_or_apologise:
        RemoteAction.run = _run_or_apologise  # type: ignore[method-assign]
        RemoteAction._validate_action_result = _validate_quickly  # type: ignore[method-assign]
        EndpointConfig.session = _pooled_session  # type: ignore[method-assign,assignment]
        EndpointConfig.request = _request  # type: ignore[method-assign]
        RemoteAction._action_call_format = _call_format_with_slim_domain  # type: ignore[method-assign]
        DaskGraphRunner.run = _run_in_order  # type: ignore[method-assign]
        Event.resolve_by_type = staticmethod(_resolve_event_type)  # type: ignore[method-assign,assignment]
        RulePolicy._get_possible_keys = _possible_keys_first_step_cached  # type: ignore[method-assign]
        RulePolicy.load = classmethod(_load_rule_policy)  # type: ignore[method-assign,assignment]
        Slot.__copy__ = _copy_slot  # type: ignore[attr-defined]
        SerializedTrackerAsText.serialise_tracker = staticmethod(_serialise_tracker_quickly)  # type: ignore[method-assign,assignment]
        TrackerStore.deserialise_tracker = _deserialise_tracker_quickly  # type: ignore[method-assign]
        MessageProcessor._log_action_on_tracker = _log_action_on_tracker  # type: ignore[method-assign]
        Domain.is_empty = _is_empty_remembered  # type: ignore[method-assign]
        ActionExtractSlots._fails_unique_entity_mapping_check = _fails_unique_entity_mapping_check  # type: ignore[method-assign]
        DialogueStateTracker.past_states = _past_states_remembered  # type: ignore[method-assign]
        DialogueStateTracker.copy = _copy_without_replay  # type: ignore[method-assign]
        InMemoryTrackerStore._retrieve = _retrieve_from_memory  # type: ignore[method-assign]
        RedisTrackerStore._retrieve = _retrieve_from_redis  # type: ignore[method-assign]
        FormAction._temporary_tracker = _temporary_tracker_by_copy  # type: ignore[method-assign]
        SlotMapping.intent_is_desired = staticmethod(_intent_is_desired_remembered)  # type: ignore[method-assign,assignment]
    input_text.install()  # full-width digits and letters read as ASCII (a behaviour, not a speed-up)
    typed_buttons.install()  # a button's title typed is read as the button (a behaviour too)
    _compiled_validators()  # now, not during the first shopper's first action (5 ms)


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

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict | None = None, **kwargs: Any
    ) -> PolicyPrediction:
        return self._prediction(self._default_predictions(domain))
