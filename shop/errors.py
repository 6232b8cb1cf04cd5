"""Domain errors with stable codes.

The actions layer maps ``DomainError.code`` to a response in the domain (domain/), so codes are a
contract; the ``message`` is for logs and developers only and is never shown to shoppers.
"""

from __future__ import annotations

from typing import Any

#: Every code a service may raise. Kept in one place so docs/tests can enumerate them.
ERROR_CODES: frozenset[str] = frozenset(
    {
        "not_found",
        "illegal_transition",
        "not_eligible",
        "window_expired",
        "category_not_returnable",
        "evidence_required",
        "out_of_stock",
        "sku_not_found",
        "invalid_input",
        "already_shipped",
        "not_paid",
        "not_shipped",
        "invalid_token",
        "token_expired",
        "invalid_import",
        "conflict",
    }
)


class DomainError(Exception):
    """A business rule refused the request; nothing has been written."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r}, **{self.details!r})"


def not_found(what: str = "order") -> DomainError:
    """The one error for "missing" and "not yours": identical so it reveals nothing."""
    return DomainError("not_found", f"{what} not found")


def invalid_input(field: str, message: str) -> DomainError:
    """Validation failure naming the offending field (``details['field']``)."""
    return DomainError("invalid_input", f"{field}: {message}", field=field)
