# SPDX-License-Identifier: EUPL-1.2
"""Connections, SQL files and identifier quoting for the versioned store.

SQL lives in ``versioning/sql/*.sql``, loaded with :mod:`importlib.resources`; identifiers
are filled in by :func:`render` (psycopg quotes them), values are always bound.

Comment lines are removed when a file is loaded, before any ``{placeholder}`` is filled: a
placeholder in a comment would otherwise be filled too, and a newline inside the filled text
would end the comment (the injection of issue 9). Only the ``-- statement`` markers stay.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

import psycopg
from psycopg import sql

from geo.city import CITY_TZ_NAME
from geo.errors import Unavailable

DEFAULT_SCHEMA = "strata"
STATEMENT_MARK = "-- statement"
_COMMENT_LINE = re.compile(r"^[ \t]*--(?! statement[ \t]*$).*$", re.MULTILINE)
_NAME = re.compile(r"^\w[\w ./:-]{0,127}$")


def strip_comments(text: str) -> str:
    r"""SQL text without its comment lines (the ``-- statement`` markers stay).

    >>> strip_comments("-- {where} is filled\nSELECT 1\n-- statement\nSELECT 2")
    '\nSELECT 1\n-- statement\nSELECT 2'
    """
    return _COMMENT_LINE.sub("", text)


@cache
def load_sql(name: str, package: str = "versioning") -> str:
    """The text of ``<package>/sql/<name>.sql``, comment lines removed."""
    return strip_comments(
        resources.files(package).joinpath("sql", f"{name}.sql").read_text("utf-8"))


def constant(value: int | float | str) -> sql.Literal:
    """A constant of the code or of the validated catalogue (an EPSG code, a decimal count,
    a property name from ``layers.yml``) as SQL text, where a statement cannot take a bound
    parameter (DDL, ``COPY``, a JSON key built once per layer). Never for a request's value:
    those are bound. Refuses anything but a finite number or a short plain name.

    >>> constant(31370).as_string()
    '31370'
    >>> constant("name'; DROP TABLE x; --")
    Traceback (most recent call last):
    ...
    ValueError: not a constant of the code: "name'; DROP TABLE x; --"
    """
    if isinstance(value, bool) or not (
            (isinstance(value, int | float) and math.isfinite(value))
            or (isinstance(value, str) and _NAME.match(value))):
        raise ValueError(f"not a constant of the code: {value!r}")
    return sql.Literal(value)


def render(name: str, **identifiers: Any) -> sql.Composed:
    """An SQL file with ``{placeholders}`` filled: str -> quoted identifier, else as given."""
    return render_in("versioning", name, **identifiers)


def render_in(package: str, name: str, **identifiers: Any) -> sql.Composed:
    """:func:`render` for the SQL files of another package (``linking``)."""
    args = {k: sql.Identifier(v) if isinstance(v, str) else v for k, v in identifiers.items()}
    return sql.SQL(load_sql(name, package)).format(**args)  # type: ignore[arg-type]


def statements(composed: sql.Composed, conn: psycopg.Connection) -> list[str]:
    """Split a rendered multi-statement file on ``-- statement`` markers."""
    text = composed.as_string(conn)
    return [s.strip() for s in text.split(STATEMENT_MARK) if s.strip()]


@contextmanager
def connect(dsn: str, schema: str = DEFAULT_SCHEMA, autocommit: bool = True,
            application: str = "strata") -> Iterator[psycopg.Connection]:
    """A connection whose search_path is the store's schema (then public, for PostGIS)."""
    try:
        conn = psycopg.connect(dsn, autocommit=autocommit, connect_timeout=10,
                               application_name=application)
    except psycopg.OperationalError as exc:
        raise Unavailable(f"cannot connect to the database: {str(exc).strip()}",
                          hint="start the local database with `strata db up`, or set "
                               "STRATA_DATABASE_URL") from None
    try:
        conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema)))
        # instants come back in the city's time: a date means a Brussels day
        conn.execute("SELECT set_config('TimeZone', %s, false)", (CITY_TZ_NAME,))
        conn.execute("SET jit = off")
        # every write is durable when acknowledged, whatever the server's default
        conn.execute("SET synchronous_commit = on")
        if not autocommit:
            conn.commit()
        yield conn
    finally:
        conn.close()


def scalar(conn: psycopg.Connection, query: Any, params: Any = None) -> Any:
    """The first column of the first row of ``query`` (None when there is no row)."""
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]
