# SPDX-License-Identifier: EUPL-1.2
"""The one error shape of Strata.

Every error a user can cause is a :class:`StrataError` carrying a machine code, a message
that says what was wrong and a hint that says how to fix it. The CLI turns it into a message
and a named exit code; the HTTP edge into a status and an OGC exception body. The mapping
lives in one table per edge (``services``), never in the raising code.
"""

from __future__ import annotations


class StrataError(Exception):
    """Base class: ``code`` names the error, ``message`` says what, ``hint`` says how to fix."""

    code = "StrataError"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def as_dict(self) -> dict[str, str]:
        """The error as the one body shape used everywhere: code, description, hint."""
        body = {"code": self.code, "description": self.message}
        if self.hint:
            body["hint"] = self.hint
        return body


class InvalidInput(StrataError):
    """A parameter, a date, a file or a row the user gave us is not acceptable."""

    code = "InvalidParameterValue"


class NotFound(StrataError):
    """An unknown layer, feature or edition."""

    code = "NotFound"


class Conflict(StrataError):
    """The request contradicts the store: a backdated edition, a concurrent import."""

    code = "Conflict"


class Unavailable(StrataError):
    """A system component (PostgreSQL, PostGIS, GDAL) is missing or not running."""

    code = "ServiceUnavailable"


def by_class[T](table: dict[type[StrataError], T], error: StrataError, default: T) -> T:
    """What ``table`` says for ``error``'s class, or its nearest base class (each edge keeps
    one such table: exit codes for the CLI, HTTP statuses for the service).

    >>> by_class({NotFound: 404}, NotFound("x"), 500), by_class({}, Conflict("x"), 500)
    (404, 500)
    """
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return default
