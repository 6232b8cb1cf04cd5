"""Eligibility is the shop's to decide: actions ask shop.services (eligibility and the write services)
and word the answer. This keeps it so by reading actions/ itself."""

from __future__ import annotations

import re
from pathlib import Path

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
ORDER_STATUSES = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")
LITERAL = re.compile(r"""["']([a-z_]+)["']""")
SLOT_WRITE = re.compile(r"tracker\.slots\[[^\]]+\]\s*=")
# Writes into the tracker's slots not yet turned into arguments or returned slots (issue 29), per file:
# the count may only go down.
SLOT_WRITES_LEFT = {"order_forms.py": 4, "logistics.py": 1, "returns.py": 2, "items.py": 1}


def _code_lines(path: Path) -> list[tuple[int, str]]:
    return [(number, line.split("#", 1)[0]) for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)]


def test_no_action_decides_which_order_statuses_a_flow_takes() -> None:
    # Two order statuses on one line of actions/ is a set of statuses: a rule (shop.services.eligibility).
    found = [f"{path.name}:{number}: {line.strip()}" for path in sorted(ACTIONS.glob("*.py"))
             for number, line in _code_lines(path)
             if len({word for word in LITERAL.findall(line) if word in ORDER_STATUSES}) >= 2]
    assert found == []


def test_actions_do_not_write_into_the_trackers_slots() -> None:
    # An action passes values as arguments or returns SlotSet events; a write into tracker.slots is a
    # hidden argument that the next reader of the slot cannot see coming.
    writes = {path.name: sum(bool(SLOT_WRITE.search(line)) for _, line in _code_lines(path))
              for path in sorted(ACTIONS.glob("*.py"))}
    over = {name: count for name, count in writes.items() if count > SLOT_WRITES_LEFT.get(name, 0)}
    assert over == {}
