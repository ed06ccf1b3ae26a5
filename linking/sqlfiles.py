# SPDX-License-Identifier: EUPL-1.2
"""This package's SQL files (``linking/sql/*.sql``), loaded and filled as the store's are
(:mod:`versioning.database`: comment lines dropped, identifiers quoted, values bound)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from versioning import database

PACKAGE = "linking"


def load_sql(name: str) -> str:
    """The text of ``linking/sql/<name>.sql``, comment lines removed."""
    return database.load_sql(name, PACKAGE)


def render(name: str, **identifiers: Any) -> sql.Composed:
    """``linking/sql/<name>.sql`` with its ``{placeholders}`` filled (see
    :func:`versioning.database.render`)."""
    return database.render_in(PACKAGE, name, **identifiers)
