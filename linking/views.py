# SPDX-License-Identifier: EUPL-1.2
"""The read-only views served as collections: public incidents, the records tied to streets,
and the aggregates."""

from __future__ import annotations

import psycopg
from psycopg import sql

from layers.catalogue import Catalogue
from linking.sqlfiles import render
from versioning.database import constant, statements
from versioning.schema import MIGRATION_LOCK

# the layers the views read, by their part in the views
VIEW_LAYERS = {"districts": "districts", "streets": "streets", "stations": "air_quality_stations",
               "no2_points": "no2_points", "worksites": "worksites", "road_events": "road_events",
               "municipalities": "municipalities", "permits": "permits"}
# view -> (source part, its columns, the street names it gives, its date)
STREET_LINKS = {
    "worksite_links": ("worksites", "w.label, w.status, w.start_date, w.end_date",
                       "w.streets", "w.start_date"),
    "permit_links": ("permits", "w.case_type, w.status, w.object_fr, w.object_nl, w.postcode, "
                                "w.submitted, w.decided",
                     "concat_ws(' - ', w.street_fr, w.street_nl)", "w.submitted"),
    # events name no street field: their label and description often name the street
    "road_event_links": ("road_events", "w.label, w.event_type, w.status, w.starts_at, "
                                        "w.ends_at",
                         "concat_ws(' / ', w.label, w.description)", "w.starts_at"),
}
VIEWS = ("incident_public", "incidents_district_month", "no2_district_year", *STREET_LINKS,
         "no2_station_years", "worksites_per_street")
# the views kept as materialized views: what they read changes only with an edition or a
# reference table, never with a report
MATERIALIZED = (*STREET_LINKS, "no2_district_year")
# the layers and reference tables those read: an edition or a load of one refreshes them
MATERIALIZED_INPUTS = ("worksites", "permits", "road_events", "streets", "municipalities",
                       "districts", "air_quality_stations", "no2_points", "no2_annual_mean")


def ensure_views(conn: psycopg.Connection, catalogue: Catalogue, street_m: float) -> None:
    """Create the views afresh (the layers' tables must exist); records are tied to the
    nearest street within ``street_m`` metres."""
    tables = {part: catalogue.layer(layer_id).table for part, layer_id in VIEW_LAYERS.items()}
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        kinds: dict[str, str] = dict(conn.execute(
            "SELECT c.relname, c.relkind FROM pg_class AS c WHERE c.relname = ANY(%s) "
            "AND c.relnamespace = current_schema()::regnamespace", (list(VIEWS),)).fetchall())
        for view, kind in kinds.items():
            conn.execute(sql.SQL("DROP {} IF EXISTS {} CASCADE").format(
                sql.SQL("MATERIALIZED VIEW" if kind == "m" else "VIEW"), sql.Identifier(view)))
        for view, (part, columns, named, date) in STREET_LINKS.items():
            conn.execute(render("street_links", view=view, source=tables[part],
                                columns=sql.SQL(columns), named=sql.SQL(named),
                                date=sql.SQL(date), within=constant(street_m),
                                **{k: tables[k] for k in
                                                       ("streets", "municipalities",
                                                        "districts")}))
        for stmt in statements(render("views", **tables), conn):
            conn.execute(stmt)  # type: ignore[arg-type]
        for view in MATERIALIZED:
            for stmt in statements(render("view_indexes", view=view, key_index=f"{view}_id",
                                          geom_index=f"{view}_geom"), conn):
                conn.execute(stmt)  # type: ignore[arg-type]


def refresh_views(conn: psycopg.Connection) -> None:
    """Read again what the materialized views hold (after an edition of a layer they read,
    or a load of a reference table), in one transaction and concurrently: readers go on
    reading the old rows while the new ones are computed, then see the new ones."""
    with conn.transaction():
        for view in MATERIALIZED:
            conn.execute(sql.SQL("REFRESH MATERIALIZED VIEW CONCURRENTLY {}").format(
                sql.Identifier(view)))
