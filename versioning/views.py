# SPDX-License-Identifier: EUPL-1.2
"""The read-only views served as collections: public incidents and the aggregates."""

from __future__ import annotations

import psycopg

from layers.catalogue import Catalogue
from versioning.database import render, statements
from versioning.schema import MIGRATION_LOCK

# the layers the views read, by their part in the views
VIEW_LAYERS = {"districts": "districts", "streets": "streets", "stations": "air_quality_stations",
               "no2_points": "no2_points", "worksites": "worksites"}
VIEWS = ("incident_public", "incidents_district_month", "no2_district_year", "worksite_links",
         "worksites_per_street")


def ensure_views(conn: psycopg.Connection, catalogue: Catalogue) -> None:
    """Create or replace the views (the layers' tables must exist)."""
    tables = {part: catalogue.layer(layer_id).table for part, layer_id in VIEW_LAYERS.items()}
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        for stmt in statements(render("views", **tables), conn):
            conn.execute(stmt)  # type: ignore[arg-type]
