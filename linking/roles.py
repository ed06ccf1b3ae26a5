# SPDX-License-Identifier: EUPL-1.2
"""The service's database roles: ``strata_reader`` (every read of the API),
``strata_reporter`` (Open311: reads, checks API keys, inserts reports) and ``strata_linker``
(the link process: reads, and temporary tables). Their grants are in ``sql/roles.sql``.

Their passwords derive from the store owner's (HMAC-SHA-256 of the role's name): whoever
holds the owner's URL (``strata db up`` writes it; ``STRATA_DATABASE_URL``) can reach the
roles, and nothing else is to be kept. An owner without a password (peer authentication,
``.pgpass``) leaves the roles without one: give their URLs in the settings then.
"""

from __future__ import annotations

import hashlib
import hmac

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from linking.sqlfiles import render
from versioning.database import constant, statements


def sql_password(role: str, password: str) -> sql.Composed:
    """``ALTER ROLE role PASSWORD ...`` (DDL takes no bound parameter: a digest made here)."""
    return sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), constant(password))

READER, REPORTER, LINKER = "strata_reader", "strata_reporter", "strata_linker"
ROLES = (READER, REPORTER, LINKER)


def role_password(owner_password: str | None, role: str) -> str | None:
    """The password of ``role``, derived from the owner's (None without one).

    >>> role_password("s3cret", "strata_reader")[:12]
    '975d2ce7fc98'
    """
    if not owner_password:
        return None
    return hmac.new(owner_password.encode(), role.encode(), hashlib.sha256).hexdigest()


def role_url(owner_url: str, role: str) -> str:
    """The owner's URL, as ``role``."""
    info = conninfo_to_dict(owner_url)
    password = role_password(info.pop("password", None), role)  # type: ignore[arg-type]
    info["user"] = role
    if password:
        info["password"] = password
    return make_conninfo("", **info)


def ensure_roles(conn: psycopg.Connection, schema: str) -> None:
    """The roles, their grants on ``schema``, and their passwords."""
    composed = render("roles", schema=schema, database=conn.info.dbname)
    for stmt in statements(composed, conn):
        conn.execute(stmt)  # type: ignore[arg-type]
    set_passwords(conn)


def set_passwords(conn: psycopg.Connection, owner_password: str | None = None) -> None:
    """Give each existing role its password, derived from the owner's (by default, the one
    this connection used)."""
    owner_password = owner_password or conn.info.password
    existing = {r[0] for r in conn.execute(
        "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (list(ROLES),))}
    for role in ROLES:
        password = role_password(owner_password, role)
        if password and role in existing:
            conn.execute(sql_password(role, password))
