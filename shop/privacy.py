"""Masking helpers: anything personal shown back in a chat is partly hidden.

Chat transcripts are logged and may be shown on shared screens, so phones, names and
street addresses never leave the backend in full.
"""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """``"13812341234" -> "138****1234"``; short/odd input keeps only the last 4 digits."""
    phone = (phone or "").strip()
    if len(phone) == 11:
        return f"{phone[:3]}****{phone[-4:]}"
    return f"****{phone[-4:]}" if len(phone) > 4 else "****"


def mask_name(name: str) -> str:
    """``"张三" -> "张*"``; keeps the surname only."""
    name = (name or "").strip()
    return f"{name[0]}{'*' * (len(name) - 1)}" if len(name) > 1 else name


def mask_street(street: str) -> str:
    """Keep the leading part (road name), hide the rest (house/unit numbers).

    ``"科技园路88号3栋502" -> "科技园路****"``: at most half the text, max 6 characters, is kept.
    """
    street = (street or "").strip()
    if not street:
        return ""
    keep = min(len(street) // 2, 6)
    return f"{street[:keep]}****"
