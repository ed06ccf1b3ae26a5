# SPDX-License-Identifier: EUPL-1.2
"""Text from outside that PostgreSQL cannot hold, found before it is bound.

>>> unstorable("Ixelles"), unstorable("a\\x00b"), unstorable("a\\ud800")
(False, True, True)
"""

from __future__ import annotations


def unstorable(text: str) -> bool:
    """Whether ``text`` holds what a PostgreSQL text cannot: a NUL character, or half of a
    UTF-16 pair (JSON's ``\\u0000`` and a lone ``\\ud800`` decode to them)."""
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)
