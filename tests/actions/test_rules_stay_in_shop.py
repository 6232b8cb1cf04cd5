"""Eligibility is the shop's to decide: actions ask shop.services (eligibility and the write services)
and word the answer. This keeps it so by reading actions/ itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
ORDER_STATUSES = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")
LITERAL = re.compile(r"""["']([a-z_]+)["']""")
# Ways to change a dict in place: on a tracker's slots, each is a write.
MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__", "__ior__"})


def _code_lines(path: Path) -> list[tuple[int, str]]:
    return [(number, line.split("#", 1)[0]) for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)]


def test_no_action_decides_which_order_statuses_a_flow_takes() -> None:
    # Two order statuses on one line of actions/ is a set of statuses: a rule (shop.services.eligibility).
    found = [f"{path.name}:{number}: {line.strip()}" for path in sorted(ACTIONS.glob("*.py"))
             for number, line in _code_lines(path)
             if len({word for word in LITERAL.findall(line) if word in ORDER_STATUSES}) >= 2]
    assert found == []


def _is_slots(node: ast.AST) -> bool:
    """`<anything>.slots`, or `getattr(<anything>, "slots")`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "slots"
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value == "slots")


def slot_writes(source: str) -> list[int]:
    """Lines of `source` that write into a tracker's slots, or reach them in a way a reader cannot follow:
    an item assigned or deleted (`tracker.slots[k] = v`), a dict method that changes it in place
    (`.slots.update(...)`), the attribute rebound (`tracker.slots = ...`, `|=`), `add_slots`, any setattr
    or delattr, and `tracker.slots` bound to a name (through which the rest would go unseen)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
            if _is_slots(node.value):
                found.append(node.lineno)  # an alias of the slots
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = [node.target] if not isinstance(node, ast.Delete) else list(node.targets)
        elif isinstance(node, ast.NamedExpr) and _is_slots(node.value):
            found.append(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and (
                (func.attr in MUTATORS and _is_slots(func.value)) or func.attr == "add_slots"
            ):
                found.append(node.lineno)
            elif isinstance(func, ast.Name) and func.id in ("setattr", "delattr"):
                found.append(node.lineno)
            elif isinstance(func, ast.Attribute) and func.attr in ("__setattr__", "__delattr__"):
                found.append(node.lineno)
        for target in targets:
            for part in ast.walk(target):
                if _is_slots(part) or (isinstance(part, ast.Subscript) and _is_slots(part.value)):
                    found.append(node.lineno)
                    break
    return sorted(set(found))


def test_actions_do_not_write_into_the_trackers_slots() -> None:
    # An action passes values as arguments or returns SlotSet events; a write into tracker.slots is a
    # hidden argument that the next reader of the slot cannot see coming (issue 29).
    writes = {f"{path.name}:{line}": path.read_text("utf-8").splitlines()[line - 1].strip()
              for path in sorted(ACTIONS.glob("*.py")) for line in slot_writes(path.read_text("utf-8"))}
    assert writes == {}


@pytest.mark.parametrize("line", [
    'tracker.slots["order_id"] = order_no',
    "tracker.slots[key] += 1",
    "del tracker.slots['reason']",
    "tracker.slots.update(new)",
    "tracker.slots.setdefault('x', 1)",
    "tracker.slots.pop('x')",
    "tracker.slots |= {'x': 1}",
    "tracker.slots = {}",
    "getattr(tracker, 'slots')['x'] = 1",
    "slots = tracker.slots",
    "setattr(tracker, 'slots', {})",
    "tracker.add_slots([SlotSet('x', 1)])",
    "object.__setattr__(tracker, 'slots', {})",
])
def test_every_kind_of_slot_write_is_found(line: str) -> None:
    assert slot_writes(f"def f(tracker):\n    x = 1\n    {line}\n") == [3]


@pytest.mark.parametrize("line", [
    "tracker.get_slot('x')", "tracker.slots.get('x')", "dict(tracker.slots.items())",
    "tracker.slots_to_validate()", "x = tracker.slots == {}", "Tracker('s', {**tracker.slots, 'x': 1}, {}, [], "
    "False, None, {}, None)",
])
def test_reading_slots_is_no_write(line: str) -> None:
    assert slot_writes(f"def f(tracker):\n    {line}\n") == []
