# SPDX-License-Identifier: EUPL-1.2
"""Reading the past: snapshot at an instant, net changes between two instants, history.

Rows are streamed from server-side cursors in Arrow record batches: memory stays flat
whatever the layer's size. Geometries leave PostGIS as WKB in the asked CRS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pyarrow as pa
from psycopg import sql

from geo.crs import STORAGE_EPSG, SUPPORTED, CrsInfo
from layers.catalogue import LayerSpec
from versioning.database import constant, render, scalar

BATCH = 20_000
ARROW_TYPES = {
    "text": pa.string(), "integer": pa.int64(), "double": pa.float64(),
    "boolean": pa.bool_(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"),
    "json": pa.string(),
}
LIFESPAN = ("beginLifespanVersion", "endLifespanVersion")
Progress = Callable[[int], None]


def geom_sql(column: str, epsg: int, flipped: bool = False) -> sql.Composed:
    """``alias.geom`` in the output CRS; ``flipped`` puts it in the authority's axis order
    (GeoJSON of the OGC API; files keep x/y, as GDAL expects)."""
    alias, name = column.split(".")
    geom: sql.Composable = sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(name))
    if epsg != STORAGE_EPSG:
        geom = sql.SQL("ST_Transform({}, {})").format(geom, constant(epsg))
    if flipped:
        geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
    return sql.Composed([geom])


def feature_sql(spec: LayerSpec, crs: CrsInfo, properties: list[str] | None = None,
                versioned_id: bool = False, skip_geometry: bool = False) -> sql.Composed:
    """A GeoJSON Feature as text, built by PostgreSQL, for the row ``v`` of a layer table.

    Text is concatenated rather than parsed back into json (``ST_AsGeoJSON(...)::json``
    costs a parse per feature)."""
    names = spec.attributes if properties is None else properties
    props = sql.SQL("").join(
        sql.SQL(", {}, v.{}").format(constant(n), sql.Identifier(n)) for n in names)
    ident = (sql.SQL("to_json(v.fid::text || '@' || to_char(v.sys_from AT TIME ZONE 'UTC', "
                     "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))::text") if versioned_id
             else sql.SQL("to_json(v.fid)::text"))
    return sql.SQL(
        "'{{\"type\":\"Feature\",\"id\":' || {ident} || ',\"geometry\":' || "
        "{geometry} || ',\"properties\":' || "
        "json_build_object({key}, v.fid{props}, 'beginLifespanVersion', v.sys_from, "
        "'endLifespanVersion', lifespan_end(v.sys_to)"
        ")::text || '}}'").format(
        ident=ident,
        geometry=sql.SQL("'null'") if skip_geometry else sql.SQL(
            "coalesce(ST_AsGeoJSON({}, {}), 'null')").format(
            geom_sql("v.geom", crs.epsg, crs.flipped), constant(geojson_decimals(crs.epsg))),
        key=constant(spec.key.name), props=props)


def attr_sql(spec: LayerSpec, alias: str, prefix: str = "") -> sql.Composed:
    """The attribute columns of ``alias`` (json as text), renamed with ``prefix``."""
    parts = []
    for name, kind in spec.attributes.items():
        col = sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(name))
        if kind == "json":
            col = sql.SQL("{}::text").format(col)
        parts.append(sql.SQL("{} AS {}").format(col, sql.Identifier(prefix + name)))
    return sql.SQL(", ").join(parts)


def snapshot_schema(spec: LayerSpec) -> pa.Schema:
    """The Arrow schema of a snapshot: key, attributes, lifespan, WKB geometry."""
    key_type = pa.int64() if spec.key.type == "integer" else pa.string()
    fields = [pa.field(spec.key.name, key_type)]
    fields += [pa.field(n, ARROW_TYPES[k]) for n, k in spec.attributes.items()]
    fields += [pa.field(n, ARROW_TYPES["timestamp"]) for n in LIFESPAN]
    fields.append(pa.field("geom", pa.binary()))
    return pa.schema(fields)


def stream(conn: psycopg.Connection, query: sql.Composed, params: dict[str, Any],
           schema: pa.Schema, progress: Progress | None = None) -> Iterator[pa.RecordBatch]:
    """Run ``query`` on a server-side cursor and yield Arrow batches of ``schema``."""
    with conn.transaction(), conn.cursor(name="strata_stream", binary=True) as cur:
        cur.itersize = BATCH
        cur.execute(query, params)
        while rows := cur.fetchmany(BATCH):
            columns = list(zip(*rows, strict=True))
            yield pa.RecordBatch.from_arrays(
                [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                schema=schema)
            if progress:
                progress(len(rows))


def snapshot_query(spec: LayerSpec, epsg: int = STORAGE_EPSG) -> sql.Composed:
    """The SQL of the layer at ``%(at)s``."""
    return render("snapshot", table=spec.table, key=spec.key.name,
                  columns=attr_sql(spec, "v"), geom=geom_sql("v.geom", epsg))


def snapshot(conn: psycopg.Connection, spec: LayerSpec, at: dt.datetime,
             epsg: int = STORAGE_EPSG, progress: Progress | None = None
             ) -> Iterator[pa.RecordBatch]:
    """The layer exactly as it was at ``at``, as Arrow batches (WKB in ``epsg``)."""
    return stream(conn, snapshot_query(spec, epsg), {"at": at}, snapshot_schema(spec), progress)


def geojson_decimals(epsg: int) -> int:
    """Coordinate decimals in GeoJSON: 3 (a millimetre) in metres, 8 in degrees."""
    return 8 if epsg in (4326, 4258) else 3


def snapshot_geojson(conn: psycopg.Connection, spec: LayerSpec, at: dt.datetime,
                     crs: CrsInfo | None = None) -> Iterator[bytes]:
    """The layer at ``at`` as GeoJSON Feature lines (``\\n``-separated), built by PostgreSQL
    and streamed with COPY: no feature passes through Python objects."""
    query = render("snapshot_geojson", table=spec.table, at=sql.Placeholder("at"),
                   feature=feature_sql(spec, crs or SUPPORTED[str(STORAGE_EPSG)]))
    with conn.cursor().copy(query, {"at": at}) as copy:
        for block in copy:
            yield bytes(block)


# -- changes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delta:
    """One net change of one feature: ``added``, ``modified`` or ``deleted``, old and new.

    ``old`` / ``new`` hold the attribute values and ``geom`` (WKB) of the versions alive at
    the window's start and end; one of them is None for an addition or a deletion.
    """

    fid: Any
    action: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    geometry_changed: bool


def changes(conn: psycopg.Connection, spec: LayerSpec, t1: dt.datetime, t2: dt.datetime,
            epsg: int = STORAGE_EPSG, flipped: bool = False) -> Iterator[Delta]:
    """Net changes of ``spec`` in the window (t1, t2], one :class:`Delta` per feature; with
    ``flipped``, geometries in the authority's axis order of ``epsg`` (``geom_sql``)."""
    query = render("changes", table=spec.table,
                   old_columns=attr_sql(spec, "o", "old_"), new_columns=attr_sql(spec, "n", "new_"),
                   old_geom=geom_sql("o.geom", epsg, flipped),
                   new_geom=geom_sql("n.geom", epsg, flipped))
    names = list(spec.attributes)
    with conn.transaction(), conn.cursor(name="strata_changes") as cur:
        cur.itersize = BATCH
        cur.execute(query, {"t1": t1, "t2": t2})
        for row in cur:
            fid, action, old_from, new_from = row[:4]
            n = len(names)
            old_vals, new_vals = row[4:4 + n], row[4 + n:4 + 2 * n]
            old_geom, new_geom, geometry_changed = row[4 + 2 * n:]
            old = None if old_from is None else {
                **dict(zip(names, old_vals, strict=True)), "geom": old_geom,
                "beginLifespanVersion": old_from}
            new = None if new_from is None else {
                **dict(zip(names, new_vals, strict=True)), "geom": new_geom,
                "beginLifespanVersion": new_from}
            yield Delta(fid, action, old, new, bool(geometry_changed))


# -- history ----------------------------------------------------------------------------------
def history(conn: psycopg.Connection, spec: LayerSpec, key: Any,
            epsg: int = STORAGE_EPSG) -> list[dict[str, Any]]:
    """Every version of one feature, oldest first, with INSPIRE lifespans."""
    if spec.key.type == "integer":
        try:
            key = int(key)
        except (TypeError, ValueError):
            return []
    query = render("history", table=spec.table, columns=attr_sql(spec, "v"),
                   geom=geom_sql("v.geom", epsg))
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return list(cur.execute(query, {"fid": key}))


def layer_counts(conn: psycopg.Connection, spec: LayerSpec) -> tuple[int, int]:
    """(current features, versions) of a layer; (0, 0) when it was never imported."""
    if scalar(conn, "SELECT to_regclass(%s)", (spec.table,)) is None:
        return 0, 0
    current, versions = conn.execute(render("layer_counts", table=spec.table)).fetchone() or (0, 0)
    return int(current), int(versions)


def editions(conn: psycopg.Connection, layer_id: str | None = None) -> list[dict[str, Any]]:
    """Recorded editions (all layers, or one), in date order."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return list(cur.execute(render("editions"), {"layer_id": layer_id}))


def extents(conn: psycopg.Connection, specs: list[LayerSpec]
            ) -> dict[str, tuple[list[float] | None, dt.date | None, dt.date | None]]:
    """Per layer: the CRS84 bbox of every version, the first and the last edition date."""
    out = {}
    for spec in specs:
        first, last = conn.execute(
            "SELECT min(edition_date), max(edition_date) FROM edition WHERE layer_id = ANY(%s)",
            (list(spec.edition_layers),)).fetchone() or (None, None)
        bbox = None
        if scalar(conn, "SELECT to_regclass(%s)", (spec.table,)) is not None:
            box = conn.execute(sql.SQL(
                "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
                "(SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 31370), 4326) AS b "
                "FROM {}) AS e").format(sql.Identifier(spec.table))).fetchone()
            if box and box[0] is not None:
                bbox = [round(v, 6) for v in box]
        out[spec.id] = (bbox, first, last)
    return out

