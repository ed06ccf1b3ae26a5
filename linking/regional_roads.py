# SPDX-License-Identifier: EUPL-1.2
"""Regional roads, derived: the real data has no such layer, but OSIRIS worksites name their
road manager. The derivation is a materialized view, rebuilt after each load or import."""

from __future__ import annotations

import psycopg
from psycopg import sql

from geo.errors import Unavailable
from layers.catalogue import Catalogue
from layers.responsibility import Responsibility
from linking.sqlfiles import render
from versioning.database import constant, scalar, statements
from versioning.schema import MIGRATION_LOCK

VIEW = "regional_road"


def refresh_regional_roads(conn: psycopg.Connection, catalogue: Catalogue,
                           rules: Responsibility) -> int:
    """(Re)build the derived regional roads; how many street names were found regional."""
    rr = rules.regional_roads
    spec = catalogue.layer(rr.layer)
    for field in (rr.manager_field, rr.streets_field):
        if spec.attributes.get(field) != "text":
            raise Unavailable(f"regional roads: layer {spec.id!r} has no text attribute "
                              f"{field!r}", hint="fix regional_roads in responsibility.yml")
    composed = render("regional_road", view=VIEW, source=spec.table, manager=rr.manager_field,
                      streets=rr.streets_field, regional=constant(rr.regional_manager))
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        for stmt in statements(composed, conn):
            conn.execute(stmt)  # type: ignore[arg-type]
    return int(scalar(conn, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(VIEW))))


def ensure_regional_roads(conn: psycopg.Connection, catalogue: Catalogue,
                          rules: Responsibility) -> None:
    """Build the derived regional roads if they do not exist yet."""
    if scalar(conn, "SELECT to_regclass(%s)", (VIEW,)) is None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            if scalar(conn, "SELECT to_regclass(%s)", (VIEW,)) is None:
                refresh_regional_roads(conn, catalogue, rules)
