# SPDX-License-Identifier: EUPL-1.2
"""Reading the public views (reports, aggregates, links) as OGC API Features pages, with the
parameters of the layers: ``bbox`` (``bbox-crs``), ``datetime`` on the view's date column,
``crs``, ``properties``, ``sortby``, property equality, CQL2 ``filter`` (the translator of
:mod:`versioning.filters`, over the view's columns), ``skipGeometry``. GeoJSON text is built
by PostgreSQL, as for the layers; every value is bound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from geo.crs import CrsInfo
from linking.sqlfiles import render
from versioning.database import constant
from versioning.filters import Fields
from versioning.pages import Params, bbox_condition
from versioning.reading import geojson_geometry_sql

# PostgreSQL types -> the kinds of the layers' attributes
PG_KINDS = {"integer": "integer", "bigint": "integer", "smallint": "integer",
            "double precision": "double", "numeric": "double", "real": "double",
            "boolean": "boolean", "date": "date", "timestamp with time zone": "timestamp",
            "json": "json", "jsonb": "json"}


@dataclass(frozen=True)
class ViewSpec:
    """A collection served from a view: its key column, its date column (or None), the kind
    of each column (the geometry ``geom`` aside) and its geometry type."""

    id: str
    view: str
    key: str
    time_field: str | None
    kinds: dict[str, str]
    geometry_type: str | None

    @property
    def fields(self) -> Fields:
        """What a filter may name: every column, and ``geometry``."""
        return Fields.of_columns(self.id, self.kinds)


def view_spec(conn: psycopg.Connection, collection: str, view: str, key: str,
              time_field: str | None) -> ViewSpec:
    """The spec of ``view`` as the collection ``collection``, read from the catalogue of the
    database."""
    rows = conn.execute(render("view_columns"), {"view": view}).fetchall()
    kinds = {name: PG_KINDS.get(kind, "text") for name, kind, _ in rows if name != "geom"}
    geometry = next((g for _, _, g in rows if g), None)
    return ViewSpec(collection, view, key, time_field, kinds, geometry)


@dataclass
class ViewQuery:
    """What a page of a view asks (values already checked by the route)."""

    crs: CrsInfo
    limit: int = 10
    offset: int = 0
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: CrsInfo | None = None
    properties: list[str] | None = None
    sortby: list[tuple[str, bool]] = field(default_factory=list)
    filter: tuple[sql.Composable, dict[str, Any]] | None = None
    equals: dict[str, Any] = field(default_factory=dict)
    skip_geometry: bool = False


def feature_sql(spec: ViewSpec, crs: CrsInfo, properties: list[str] | None = None,
                skip_geometry: bool = False) -> sql.Composed:
    """A row ``v`` of the view as GeoJSON Feature text (its columns as properties)."""
    names = list(spec.kinds) if properties is None else properties
    props = sql.SQL(", ").join(sql.SQL("{}, v.{}").format(constant(n), sql.Identifier(n))
                               for n in names)
    geometry = sql.SQL("'null'") if skip_geometry else sql.SQL("coalesce({}, 'null')").format(
        geojson_geometry_sql("v.geom", crs))
    return sql.SQL(
        "'{{\"type\":\"Feature\",\"id\":' || to_json(v.{key})::text || ',\"geometry\":' || "
        "{geometry} || ',\"properties\":' || json_build_object({props})::text || '}}'").format(
        key=sql.Identifier(spec.key), geometry=geometry, props=props)


def view_page(conn: psycopg.Connection, spec: ViewSpec, q: ViewQuery) -> tuple[str, int, int]:
    """One page of the view for ``q``: the features' text (comma-joined), how many, and how
    many rows match in all."""
    params = Params(limit=q.limit, offset=q.offset)
    where: list[sql.Composable] = [sql.SQL("true")]
    if q.interval is not None and spec.time_field is not None:
        start, end = q.interval
        column = sql.Identifier(spec.time_field)
        # a date column: the days of the city the instants fall in
        day = "city_time({})::date" if spec.kinds[spec.time_field] == "date" else "{}"
        if start is not None:
            where.append(sql.SQL("v.{} >= " + day).format(column, params.bind(start)))
        if end is not None:
            where.append(sql.SQL("v.{} <= " + day).format(column, params.bind(end)))
    if q.bbox is not None and q.bbox_crs is not None:
        where.append(bbox_condition(conn, q.bbox, q.bbox_crs, params))
    for name, value in q.equals.items():
        where.append(sql.SQL("v.{} = {}").format(sql.Identifier(name), params.bind(value)))
    if q.filter is not None:
        where.append(sql.SQL("({})").format(q.filter[0]))
        params.update(q.filter[1])
    order = [sql.SQL("v.{} {}").format(sql.Identifier(c), sql.SQL("DESC" if d else "ASC"))
             for c, d in q.sortby]
    order.append(sql.SQL("v.{}").format(sql.Identifier(spec.key)))
    query = render("view_page", view=spec.view,
                   feature=feature_sql(spec, q.crs, q.properties, q.skip_geometry),
                   where=sql.SQL(" AND ").join(where), order=sql.SQL(", ").join(order))
    text, returned, matched = conn.execute(query, params).fetchone() or ("", 0, 0)
    return text or "", int(returned or 0), int(matched or 0)


def view_item(conn: psycopg.Connection, spec: ViewSpec, key: str, crs: CrsInfo) -> str | None:
    """The row of the view whose key is ``key``, as GeoJSON Feature text (None: no such)."""
    row = conn.execute(render("view_item", view=spec.view, key=spec.key,
                              feature=feature_sql(spec, crs)), {"key": key}).fetchone()
    return None if row is None else str(row[0])
