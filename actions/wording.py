"""Short labels (status names, reason names) live in domain/labels.yml as `utter_label_*` responses.

Actions receive the domain with every run, so trainers can change a label without Python.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.types import DomainDict


def label(domain: DomainDict, kind: str, code: str) -> str:
    """Text of response `utter_label_<kind>_<code>`, or the code itself if none is defined."""
    variations: list[dict[str, Any]] = domain.get("responses", {}).get(f"utter_label_{kind}_{code}", [])
    return str(variations[0].get("text", code)) if variations else code


def money(amount: Any) -> str:
    return f"{amount:.2f}"


def when(value: Any) -> str:
    """Dates and times the way shoppers read them: 11-20 14:03."""
    return value.strftime("%m-%d %H:%M") if hasattr(value, "hour") else value.strftime("%m-%d")


def place(province: str, city: str, district: str) -> str:
    """Province, city and district as one writes them: a municipality (北京市 北京市) is named once."""
    return f"{province}{city if city != province else ''}{district}"
