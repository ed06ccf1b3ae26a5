# SPDX-License-Identifier: EUPL-1.2
"""This package's tables (reference tables, Open311 reports and API keys) and the service's
roles, made after the store's own (:func:`versioning.schema.prepare`)."""

from __future__ import annotations

import psycopg

from linking.roles import ensure_roles
from linking.sqlfiles import render
from versioning.database import statements
from versioning.schema import MIGRATION_LOCK


def prepare(conn: psycopg.Connection, schema: str) -> None:
    """Create or update this package's tables in ``schema`` and grant the service's roles
    what they need; safe to run again, and concurrently."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        for stmt in statements(render("migrations", schema=schema), conn):
            conn.execute(stmt)  # type: ignore[arg-type]
        ensure_roles(conn, schema)
