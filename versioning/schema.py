# SPDX-License-Identifier: EUPL-1.2
"""Prepare a database for the store: core tables (migrations) and one table per layer."""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from geo.city import CITY_TZ_NAME
from geo.crs import CRS84
from geo.errors import Unavailable
from layers.catalogue import Catalogue, LayerSpec
from versioning.database import constant, render, statements
from versioning.reading import geojson_geometry_sql

SQL_TYPES = {
    "text": "text", "integer": "bigint", "double": "double precision", "boolean": "boolean",
    "date": "date", "timestamp": "timestamptz", "json": "jsonb",
}
KEY_TYPES = {"integer": "bigint", "text": "text"}
MIGRATION_LOCK = 0x5354524154  # "STRAT"
# the newest version migrations.sql records; a store below it is migrated on first use
# (3: the history trigger refuses any change of a version but its closing; 4: the temporal
# rules as SQL functions read_at, alive_at, lifespan_end, city_time; 5: raster surfaces;
# 6: the WAL position of each edition, for reads on standbys; 7: linking's key_failure;
# 8: linking's views made again, their aggregates' geometry typed; 9: every layer table keeps
# its GeoJSON in CRS84, recorded by prepare once every layer table has it)
SCHEMA_VERSION = 9


def schema_version(conn: psycopg.Connection) -> int:
    """The newest migration recorded in the connection's schema (0 for none)."""
    if conn.execute("SELECT to_regclass('schema_migration')").fetchone() == (None,):
        return 0
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_migration"
                            ).fetchone()[0])  # type: ignore[index]


def migrate(conn: psycopg.Connection, schema: str) -> None:
    """Create or update the core tables of ``schema``; safe to run again, and concurrently."""
    with conn.transaction():
        try:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            for stmt in statements(render("migrations", schema=schema,
                                          city_tz=constant(CITY_TZ_NAME)), conn):
                conn.execute(stmt)  # type: ignore[arg-type]
        except psycopg.errors.FeatureNotSupported as exc:
            raise Unavailable(f"PostGIS is not available in this database: {exc}",
                              hint="install PostGIS 3 (postgresql-15-postgis-3)") from None
        except psycopg.errors.UndefinedFile as exc:
            raise Unavailable(f"PostGIS is not installed on the database server: {exc}",
                              hint="install PostGIS 3 (postgresql-15-postgis-3)") from None


def ensure_layer(conn: psycopg.Connection, spec: LayerSpec) -> None:
    """Create the layer's table (a view for a derived layer) and register it; add columns
    for new attributes."""
    if spec.derived_from:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(render(f"view_{spec.id}", table=spec.table))
            _register(conn, spec)
        return
    t = spec.table
    parts = render(
        "layer_table", table=t, key_type=sql.SQL(KEY_TYPES[spec.key.type]),
        geometry_type=sql.SQL(spec.geometry_type), trigger=f"{t}_append_only",
        fk_edition=f"{t}_edition_fk",
        ix_fid_from=f"{t}_fid_from", ix_current=f"{t}_fid_current", ix_from=f"{t}_sys_from",
        ix_to=f"{t}_sys_to", ix_geom=f"{t}_geom", ix_geom_current=f"{t}_geom_current",
        crs84_geojson=geojson_geometry_sql("geom", CRS84))
    with conn.transaction():
        # DDL "IF NOT EXISTS" races between sessions: one preparer at a time
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        for stmt in statements(parts, conn):
            conn.execute(stmt)  # type: ignore[arg-type]
        for name, kind in spec.attributes.items():
            conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                sql.Identifier(t), sql.Identifier(name), sql.SQL(SQL_TYPES[kind])))
        _register(conn, spec)


def _register(conn: psycopg.Connection, spec: LayerSpec) -> None:
    conn.execute(
        "INSERT INTO layer (id, table_name, key_name, spec) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET spec = excluded.spec",
        (spec.id, spec.table, spec.key.name,
         json.dumps(spec.model_dump(mode="json", by_alias=True))))


def prepare(conn: psycopg.Connection, schema: str, catalogue: Catalogue) -> None:
    """Everything a fresh database needs: core tables and every layer's table."""
    migrate(conn, schema)
    # derived layers (views) after the layers they read
    for spec in sorted(catalogue.layers.values(), key=lambda s: bool(s.derived_from)):
        ensure_layer(conn, spec)
    with conn.transaction():
        conn.execute(render("schema_version"), {"version": SCHEMA_VERSION})
