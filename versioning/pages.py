# SPDX-License-Identifier: EUPL-1.2
"""Pages of features for the OGC API: the map at an instant (or every version alive in an
interval), filtered by a bounding box, sorted, paged; GeoJSON text built by PostgreSQL.

Paging: ``offset`` works as the standard says; ``next`` links carry a keyset cursor
(``after=<last key>``) so that a page deep in a layer costs what the first one costs.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from geo.crs import CRS84, STORAGE_EPSG, CrsInfo, storage_domain
from layers.catalogue import LayerSpec
from versioning.database import render
from versioning.filters import LIFESPAN
from versioning.reading import feature_sql


@dataclass
class PageQuery:
    """What a client asked for."""

    at: dt.datetime | None = None  # an instant (None: now)
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: CrsInfo = CRS84
    crs: CrsInfo = CRS84
    limit: int = 10
    offset: int = 0
    after: Any = None
    properties: list[str] | None = None
    sortby: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    # a CQL2 condition on ``v`` and its bound parameters (versioning.filters.to_sql)
    filter: tuple[sql.Composable, dict[str, Any]] | None = None
    equals: dict[str, Any] = field(default_factory=dict)  # column (or lifespan end) -> value
    skip_geometry: bool = False
    # several versions of a feature (an interval): ids key@start, unique (the profile
    # versions-as-features-unique-ids), or the key alone (versions-as-features)
    unique_ids: bool = True


@dataclass
class Page:
    """A page: the features' JSON text (comma-joined), how many, the last key."""

    features: str
    returned: int
    last_key: Any


class Params(dict[str, Any]):
    """The bound parameters of a query being composed: :meth:`bind` adds a value and gives
    its placeholder, so no value ever becomes SQL text."""

    def bind(self, value: Any, prefix: str = "p") -> sql.Placeholder:
        name = f"{prefix}_{len(self)}"
        self[name] = value
        return sql.Placeholder(name)


def bbox_sql(bbox: tuple[float, float, float, float], crs: CrsInfo,
             params: Params) -> sql.Composed:
    """The bbox as a densified polygon in storage CRS (its edges curve once reprojected:
    transforming two corners only misses features near the edges); values bound. It is cut
    first to where the storage CRS can take it (``storage_domain``: a box reaching a pole
    would not project); a box of no width or height is the line or point it is; a box
    wholly outside is empty (it meets nothing)."""
    x1, y1, x2, y2 = bbox
    if crs.flipped:
        x1, y1, x2, y2 = y1, x1, y2, x2
    dx1, dy1, dx2, dy2 = storage_domain(crs.epsg)
    x1, y1, x2, y2 = max(x1, dx1), max(y1, dy1), min(x2, dx2), min(y2, dy2)
    if x1 > x2 or y1 > y2:
        return sql.Composed([sql.SQL("ST_GeomFromText('POLYGON EMPTY', {})").format(
            params.bind(STORAGE_EPSG, "bbox"))])
    step = max(abs(x2 - x1), abs(y2 - y1)) / 64 or 1
    # ST_Envelope of the diagonal: a polygon, or the line or the point of a flat box (a
    # flat polygon is no geometry GEOS takes)
    env = sql.SQL("ST_Segmentize(ST_Envelope(ST_SetSRID(ST_MakeLine(ST_MakePoint({}, {}), "
                  "ST_MakePoint({}, {})), {})), {})").format(
        *(params.bind(v, "bbox") for v in (x1, y1, x2, y2, crs.epsg, step)))
    if crs.epsg != STORAGE_EPSG:
        env = sql.SQL("ST_Transform({}, {})").format(env, params.bind(STORAGE_EPSG, "bbox"))
    return sql.Composed([env])


_AREAS: OrderedDict[tuple[Any, ...], tuple[bytes, bytes | None]] = OrderedDict()
_AREAS_LOCK = threading.Lock()
AREAS_KEPT = 1024


def bbox_condition(conn: psycopg.Connection, bbox: tuple[float, float, float, float],
                   crs: CrsInfo, params: Params) -> sql.Composed:
    """The condition "``v.geom`` meets the bbox", values bound. The bbox's area in storage CRS
    (``bbox_sql``) and a rectangle inside it are made by PostGIS once per box (the last
    AREAS_KEPT boxes are kept: a client paging through a box, or many asking for the same,
    costs no projection); a feature whose box lies in the rectangle meets the area without the
    exact test, which the others pass (in a 1 km² box, most features: ST_Intersects costs a
    microsecond each)."""
    key = (bbox, crs.epsg, crs.flipped)
    with _AREAS_LOCK:
        kept = _AREAS.get(key)
        if kept is not None:
            _AREAS.move_to_end(key)
    if kept is None:
        made = Params()
        row = conn.execute(render("bbox_area", area=bbox_sql(bbox, crs, made)), made,
                           prepare=False).fetchone()
        kept = (bytes(row[0]), None if row[1] is None else bytes(row[1]))  # type: ignore[index]
        with _AREAS_LOCK:
            _AREAS[key] = kept
            while len(_AREAS) > AREAS_KEPT:
                _AREAS.popitem(last=False)
    area, inner = (None if wkb is None else sql.SQL("ST_GeomFromWKB({}, {})").format(
        params.bind(wkb, "bbox"), params.bind(STORAGE_EPSG, "bbox")) for wkb in kept)
    if inner is None:
        return sql.SQL("v.geom && {0} AND ST_Intersects(v.geom, {0})").format(area)
    return sql.SQL("v.geom && {0} AND (v.geom @ {1} OR ST_Intersects(v.geom, {0}))").format(
        area, inner)


def page(conn: psycopg.Connection, spec: LayerSpec, q: PageQuery) -> Page:
    """One page of features for ``q``."""
    params = Params(limit=q.limit, offset=q.offset)
    where: list[sql.Composable] = []
    if q.interval is not None:
        start, end = q.interval
        if end is not None:
            where.append(sql.SQL("v.sys_from <= {}").format(params.bind(end)))
        if start is not None:
            where.append(sql.SQL("v.sys_to > {}").format(params.bind(start)))
        if not where:
            where.append(sql.SQL("true"))
    else:
        at = params.bind(q.at or dt.datetime.now(dt.UTC))
        where.append(sql.SQL("v.sys_from <= {0} AND v.sys_to > {0}").format(at))
    if q.bbox is not None:
        where.append(bbox_condition(conn, q.bbox, q.bbox_crs, params))
    if q.filter is not None:
        where.append(sql.SQL("({})").format(q.filter[0]))
        params.update(q.filter[1])
    for column, value in q.equals.items():  # a column, or one of the lifespan's ends
        where.append(sql.SQL("{} = {}").format(
            LIFESPAN.get(column) or sql.SQL("v.{}").format(sql.Identifier(column)),
            params.bind(value)))
    if q.after is not None and not q.sortby:
        where.append(sql.SQL("v.fid > {}").format(params.bind(q.after)))
    order: list[sql.Composable] = [
        sql.SQL("v.{} {}").format(sql.Identifier(c), sql.SQL("DESC" if d else "ASC"))
        for c, d in q.sortby]
    order.append(sql.SQL("v.fid"))
    if q.interval is not None:
        order.append(sql.SQL("v.sys_from"))
    # a bounding box or a filter reads the rows anyway: read once (features_page_read.sql),
    # planned for these values (how many rows they select decides between the spatial
    # index and the key's order; a prepared statement's generic plan guesses, and once
    # guessed wrong on the bench's 1 km² box: 20 times slower)
    selective = q.bbox is not None or q.filter is not None or bool(q.equals)
    query = render("features_page_read" if selective else "features_page", table=spec.table,
                   feature=feature_sql(spec, q.crs, q.properties,
                                       q.interval is not None and q.unique_ids,
                                       q.skip_geometry),
                   where=sql.SQL(" AND ").join(where), order=sql.SQL(", ").join(order))
    text, returned, last = conn.execute(query, params, prepare=False if selective else None
                                        ).fetchone() or ("", 0, None)
    return Page(text or "", int(returned or 0), last)


def timeline(conn: psycopg.Connection, spec: LayerSpec, key: Any, at: dt.datetime | None,
             crs: CrsInfo) -> list[tuple[str | None, dt.datetime, dt.datetime | None]]:
    """Every version of ``key`` as (feature JSON, from, to), oldest first, in one query; only
    the version alive at ``at`` (now when None) carries its JSON, the others None."""
    moment = at or dt.datetime.now(dt.UTC)
    query = sql.SQL(
        "SELECT CASE WHEN v.sys_from <= %(at)s AND v.sys_to > %(at)s THEN {feature} END, "
        "v.sys_from, lifespan_end(v.sys_to) "
        "FROM {table} AS v WHERE v.fid = %(key)s ORDER BY v.sys_from").format(
        feature=feature_sql(spec, crs), table=sql.Identifier(spec.table))
    return [tuple(r) for r in conn.execute(query, {"key": key, "at": moment})]  # type: ignore[misc]


def versions_of(conn: psycopg.Connection, spec: LayerSpec, key: Any, crs: CrsInfo
                ) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
    """Every version of ``key``: (feature JSON with a versioned id, from, to)."""
    query = sql.SQL(
        "SELECT {feature}, v.sys_from, lifespan_end(v.sys_to) FROM {table} AS v "
        "WHERE v.fid = %(key)s ORDER BY v.sys_from").format(
        feature=feature_sql(spec, crs, versioned_id=True), table=sql.Identifier(spec.table))
    return [tuple(r) for r in conn.execute(query, {"key": key})]  # type: ignore[misc]


def editions_in_force(conn: psycopg.Connection, spec: LayerSpec, at: dt.datetime
                      ) -> list[tuple[int, str, int, dt.datetime, dt.datetime]]:
    """(id, layer, features, valid_from, imported_at) of the editions that make the layer
    at ``at``."""
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        render("editions_in_force"), {"layers": list(spec.edition_layers), "at": at})]


def features_alive(conn: psycopg.Connection, spec: LayerSpec, at: dt.datetime) -> int:
    """How many features the layer had at ``at``, from the edition records (no COUNT)."""
    return sum(e[2] for e in editions_in_force(conn, spec, at))


def latest_edition(conn: psycopg.Connection, spec: LayerSpec) -> tuple[int, dt.datetime] | None:
    """(id, valid_from) of the newest edition the layer is made of; None before any."""
    row = conn.execute(render("latest_edition"), {"layers": list(spec.edition_layers)}
                       ).fetchone()
    return (row[0], row[1]) if row else None
