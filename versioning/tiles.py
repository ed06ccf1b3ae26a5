# SPDX-License-Identifier: EUPL-1.2
"""Vector tiles of the store: the map of an instant, or the changes between two, cut into the
tiles of WebMercatorQuad and encoded as Mapbox Vector Tiles by PostGIS (``ST_AsMVT``).

A tile of a layer holds the versions alive at the instant (``versioning/sql/tile.sql``): the
map of a date is the map of the edition in force then, so two dates under the same editions
give the same bytes (features are encoded in key order). What makes a tile is told by
:func:`editions_state` (the editions in force, and whether a newer one can still come).

Geometry: the tile's area is found once in storage CRS (EPSG:31370) and features are picked
under the GiST index with ``&&``; each picked geometry is simplified by a tolerance of one
tile unit (1/4096 of the tile) in storage metres, brought to Web Mercator and quantised by
``ST_AsMVTGeom`` (extent 4096, buffer 64). Inside one tile the projection from Lambert 72 to
Web Mercator is almost affine: when the best affine map matches the projection within two
tile units over the whole tile (zoom 12 and above in Brussels: 1.3 units at zoom 12, 0.3 at
zoom 14), geometries take it (``ST_Affine``, about ten times cheaper than ``ST_Transform``);
otherwise they are projected. Two units are a quarter of a pixel where a tile is drawn 512
pixels wide (MapLibre), an eighth at 256 (QGIS, Leaflet); ``ST_AsMVTGeom`` rounds to a
whole unit anyway. ``ST_AsMVTGeom`` hands every polygon to wagyu to be made valid, most of a
dense tile's time: a compact convex quadrilateral wholly inside the tile, wider than the
grid's rounding can fold, takes the affine map straight to tile units instead, snapped to
the grid and wound as MVT wants (:func:`_quick`, ``sql/tile_quick.sql``). A feature that
the tile's grid cannot draw (a street shorter than a tile unit) stays in the tile as a
point, so that the tiles of a date hold every feature of that date at every zoom.

Examples
--------
>>> tile_address("12", "1374", "2097")
TileAddress(z=12, x=2097, y=1374)
>>> tile_address("3", "8", "0")
Traceback (most recent call last):
...
geo.errors.NotFound: tile 3/8/0 is outside WebMercatorQuad
  hint: at zoom 3, tileRow and tileCol go from 0 to 7
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from pyproj import Transformer

from geo.crs import STORAGE_EPSG
from geo.errors import InvalidInput, NotFound
from layers.catalogue import MAX_ZOOM, LayerSpec
from versioning.database import load_sql, render
from versioning.reading import attr_sql, geom_sql

EXTENT = 4096  # tile units per tile side (ST_AsMVT's default)
BUFFER = 64  # tile units kept around the tile, so that lines and outlines join across tiles
ORIGIN = 20037508.342789244  # half the side of the Web Mercator square, in metres
NAMES = ("name_fr", "name_nl")  # the properties a tile carries unless told otherwise
WHOLE = re.compile(r"-?[0-9]+")  # a tile number in a URL (negative ones are outside: 404)
# an interval: (start, end), either open (None)
When = dt.datetime | tuple[dt.datetime | None, dt.datetime | None]


@dataclass(frozen=True)
class TileAddress:
    """A tile of WebMercatorQuad: zoom (tile matrix), column and row, rows counted from the
    north."""

    z: int
    x: int
    y: int

    def bounds(self) -> tuple[float, float, float, float]:
        """The tile's (xmin, ymin, xmax, ymax) in Web Mercator metres."""
        side = 2 * ORIGIN / 2**self.z
        return (-ORIGIN + self.x * side, ORIGIN - (self.y + 1) * side,
                -ORIGIN + (self.x + 1) * side, ORIGIN - self.y * side)


def tile_address(z: str, y: str, x: str) -> TileAddress:
    """The tile at ``{tileMatrix}/{tileRow}/{tileCol}`` (z/y/x) as written in a URL: whole
    numbers in ASCII digits (InvalidInput: ``int`` alone would take "+12", " 12" or "١٢"),
    within WebMercatorQuad (NotFound)."""
    try:
        if not all(WHOLE.fullmatch(part) for part in (z, y, x)):
            raise ValueError
        zi, yi, xi = int(z), int(y), int(x)
    except ValueError:
        raise InvalidInput(f"tile {z}/{y}/{x} is not three whole numbers",
                           hint="ask for .../{tileMatrix}/{tileRow}/{tileCol}, zoom then row "
                                "then column, for example .../12/1374/2097") from None
    if not 0 <= zi <= MAX_ZOOM:
        raise NotFound(f"tile matrix {zi} is not in WebMercatorQuad",
                       hint=f"tileMatrix goes from 0 to {MAX_ZOOM}")
    last = 2**zi - 1
    if not (0 <= yi <= last and 0 <= xi <= last):
        raise NotFound(f"tile {zi}/{yi}/{xi} is outside WebMercatorQuad",
                       hint=f"at zoom {zi}, tileRow and tileCol go from 0 to {last}")
    return TileAddress(zi, xi, yi)


def tiles_over(bbox: tuple[float, float, float, float] | list[float], z: int
               ) -> list[TileAddress]:
    """Every tile of zoom ``z`` meeting a lon / lat box (west, south, east, north), column
    by column.

    >>> [(t.x, t.y) for t in tiles_over([4.24, 50.76, 4.48, 50.92], 11)]
    [(1048, 686), (1048, 687), (1049, 686), (1049, 687)]
    """
    last = 2**z - 1

    def col(lon: float) -> int:
        return min(int((lon + 180) / 360 * 2**z), last)

    def row(lat: float) -> int:
        return min(int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z),
                   last)

    w, s, e, n = bbox
    return [TileAddress(z, x, y) for x in range(col(w), col(e) + 1)
            for y in range(row(n), row(s) + 1)]


def check_zoom(spec: LayerSpec, z: int) -> None:
    """A NotFound naming the layer's zoom range when ``z`` is outside it."""
    if not spec.minzoom <= z <= spec.maxzoom:
        raise NotFound(f"{spec.id} has no tiles at zoom {z}",
                       hint=f"{spec.id} is tiled from zoom {spec.minzoom} to {spec.maxzoom}")


def in_zoom(specs: list[LayerSpec], z: int) -> list[LayerSpec]:
    """The layers tiled at zoom ``z`` (their zoom range holds it), in the order given."""
    return [s for s in specs if s.minzoom <= z <= s.maxzoom]


def default_properties(spec: LayerSpec) -> list[str]:
    """The attributes a tile carries when ``properties`` is not given: the names in fr / nl
    (the key and the lifespan are always there)."""
    return [n for n in NAMES if n in spec.attributes]


# -- the tile in storage CRS --------------------------------------------------------------------
@dataclass(frozen=True)
class Frame:
    """What the SQL of a tile needs in storage CRS: the area to pick from (the tile and its
    buffer), the affine map to Web Mercator when it is exact enough, the simplification
    tolerance (one tile unit in storage metres); with the affine map, the same map straight
    to tile units and a box wholly inside the tile and its buffer (:func:`_quick`)."""

    area: tuple[float, float, float, float]
    affine: tuple[float, float, float, float, float, float] | None
    tolerance: float
    error: float  # the affine map's largest distance from the projection, in tile units
    to_tile: tuple[float, float, float, float, float, float] | None = None
    inner: tuple[float, float, float, float] | None = None


_FRAMES: OrderedDict[TileAddress, Frame] = OrderedDict()
_FRAMES_LOCK = threading.Lock()
_FRAMES_MAX = 20_000
GRID = 5  # points per side of the grid the affine map is fitted and checked on
MAX_AFFINE_ERROR = 2.0  # tile units (1/4096 of the tile's side)


def frame(conn: psycopg.Connection, tile: TileAddress) -> Frame:
    """The tile's :class:`Frame`, from a grid of its points in storage CRS (projected as
    PostGIS projects them: :func:`_to_storage`); kept per process, least recently used
    out."""
    with _FRAMES_LOCK:
        if tile in _FRAMES:
            _FRAMES.move_to_end(tile)
            return _FRAMES[tile]
    xmin, ymin, xmax, ymax = tile.bounds()
    unit = (xmax - xmin) / EXTENT
    margin = BUFFER * unit
    gx, gy = np.meshgrid(np.linspace(xmin - margin, xmax + margin, GRID),
                         np.linspace(ymin - margin, ymax + margin, GRID))
    mx, my = gx.ravel(), gy.ravel()
    px, py = _to_storage(conn, mx, my)
    design = np.column_stack([px, py, np.ones_like(px)])
    (a, d), (b, e), (xoff, yoff) = np.linalg.lstsq(design, np.column_stack([mx, my]),
                                                   rcond=None)[0]
    error = float(np.hypot(design @ (a, b, xoff) - mx, design @ (d, e, yoff) - my).max() / unit)
    scale = math.sqrt(abs(a * e - b * d))  # Web Mercator metres per storage metre
    # rounded: the same tile gets the same map (and bytes) in every process
    ra, rb, rd, re_, rx, ry = (_rounded(c) for c in (a, b, d, e, xoff, yoff))
    area = (float(px.min()), float(py.min()), float(px.max()), float(py.max()))
    if error > MAX_AFFINE_ERROR:
        made = Frame(area=area, affine=None, tolerance=unit / scale, error=error)
    else:
        k = EXTENT / (xmax - xmin)  # tile units per Web Mercator metre; rows go down
        ta, tb, td, te, tx, ty = (_rounded(c) for c in (k * ra, k * rb, -k * rd, -k * re_,
                                                         k * (rx - xmin), k * (ymax - ry)))
        # the grid's edges in storage CRS, each moved in by the affine map's error (one
        # unit at least): the box between them lies inside the tile and its buffer
        qx, qy = px.reshape(GRID, GRID), py.reshape(GRID, GRID)  # rows south to north
        inset = max(error, 1.0) * unit / scale
        inner = (float(qx[:, 0].max()) + inset, float(qy[0, :].max()) + inset,
                 float(qx[:, -1].min()) - inset, float(qy[-1, :].min()) - inset)
        made = Frame(area=area, affine=(ra, rb, rd, re_, rx, ry), tolerance=unit / scale,
                     error=error, to_tile=(ta, tb, td, te, tx, ty), inner=inner)
    with _FRAMES_LOCK:
        _FRAMES[tile] = made
        while len(_FRAMES) > _FRAMES_MAX:
            _FRAMES.popitem(last=False)
    return made


def _rounded(value: float) -> float:
    return float(f"{value:.12g}")


_PROJ = threading.local()  # a pyproj Transformer per thread (they are not thread-safe)
_PROJ_AGREES: dict[str, bool] = {}  # whether pyproj projects as PostGIS does, once checked


def _to_storage(conn: psycopg.Connection, xs: np.ndarray, ys: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator points in storage CRS, as PostGIS's ``ST_Transform`` puts them: by
    pyproj in this process (no round trip) once it was seen to agree with PostGIS within a
    millimetre (checked on the first grid of the process); by PostGIS otherwise."""
    if not _PROJ_AGREES.get("agrees", True):
        return _postgis_to_storage(conn, xs, ys)
    if not hasattr(_PROJ, "transformer"):
        _PROJ.transformer = Transformer.from_crs(3857, STORAGE_EPSG, always_xy=True)
    px, py = (np.asarray(c, dtype=float) for c in _PROJ.transformer.transform(xs, ys))
    if "agrees" not in _PROJ_AGREES:
        qx, qy = _postgis_to_storage(conn, xs, ys)
        _PROJ_AGREES["agrees"] = bool(np.hypot(px - qx, py - qy).max() <= 1e-3)
        return qx, qy
    return px, py


def _postgis_to_storage(conn: psycopg.Connection, xs: np.ndarray, ys: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    rows = conn.execute(render("tile_frame"), {"xs": xs.tolist(), "ys": ys.tolist()}).fetchall()
    px, py = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    return px, py


def _mercator(column: str, fr: Frame, params: dict[str, Any]) -> sql.Composed:
    """``column`` simplified in storage units and in Web Mercator; values bound."""
    params["tolerance"] = fr.tolerance
    simplified = sql.SQL("ST_Simplify({}, %(tolerance)s, true)").format(sql.SQL(column))
    if fr.affine is None:
        return sql.SQL("ST_Transform({}, 3857)").format(simplified)
    params.update(zip(("a", "b", "d", "e", "xoff", "yoff"), fr.affine, strict=True))
    return sql.SQL("ST_Affine({}, %(a)s, %(b)s, %(d)s, %(e)s, %(xoff)s, %(yoff)s)").format(
        simplified)


MIN_AREA = 47.0  # square tile units: a compact quadrilateral this large is 3 units wide


def _quick(spec: LayerSpec, column: str, fr: Frame, params: dict[str, Any]) -> sql.Composable:
    """The quick way for a small polygon wholly inside the tile (``sql/tile_quick.sql``),
    followed by a comma, or nothing where it cannot apply: a layer that is not of polygons,
    or a tile without the affine map. Values bound."""
    if fr.to_tile is None or fr.inner is None or "Polygon" not in spec.geometry_type:
        return sql.SQL("")
    params.update(zip(("inner_xmin", "inner_ymin", "inner_xmax", "inner_ymax"), fr.inner,
                      strict=True))
    params.update(zip(("ta", "tb", "td", "te", "txoff", "tyoff"), fr.to_tile, strict=True))
    params["min_area"] = MIN_AREA * fr.tolerance ** 2
    return sql.Composed([render("tile_quick", column=sql.SQL(column)), sql.SQL(",\n")])


# -- tiles -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tile:
    """An encoded tile (possibly empty: zero bytes) and whether the feature cap was reached
    in one of its layers."""

    data: bytes
    capped: bool


def _value(spec: LayerSpec, name: str, column: str) -> sql.Composed:
    """An attribute as a value MVT carries: text, numbers and booleans as they are; dates and
    instants as ISO 8601 text; JSON as its text."""
    col = sql.SQL("p.{}").format(sql.Identifier(column))
    kind = spec.attributes[name]
    if kind == "date":
        return sql.SQL("to_char({}, 'YYYY-MM-DD')").format(col)
    if kind == "timestamp":
        return sql.SQL("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                       ).format(col)
    if kind == "json":
        return sql.SQL("{}::text").format(col)
    return sql.Composed([col])


def _common(spec: LayerSpec, tile: TileAddress, fr: Frame, cap: int) -> dict[str, Any]:
    xmin, ymin, xmax, ymax = fr.area
    return {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax,
            "z": tile.z, "x": tile.x,
            "y": tile.y, "cap": cap, "name": spec.id, "layers": list(spec.edition_layers),
            "id_name": "fid" if spec.key.type == "integer" else None}


def _feature_id(spec: LayerSpec) -> sql.Composable:
    """The MVT feature id: the key when it is an integer (text keys are properties only)."""
    return sql.SQL("p.fid AS fid, " if spec.key.type == "integer" else "")


def layer_tile(conn: psycopg.Connection, spec: LayerSpec, tile: TileAddress, when: When,
               properties: list[str] | None = None, cap: int = 20_000) -> Tile:
    """One layer in one tile: the versions alive at an instant (or in an interval), with the
    key, ``properties`` (default :func:`default_properties`) and the lifespan; at most
    ``cap`` features."""
    names = default_properties(spec) if properties is None else properties
    fr = frame(conn, tile)
    params = _common(spec, tile, fr, cap)
    if isinstance(when, dt.datetime):
        params["at"] = when
        alive = sql.SQL("alive_at(v.sys_from, v.sys_to, %(at)s)")
    else:
        start, end = when
        parts = ["true"]
        if end is not None:
            params["end"] = end
            parts.append("v.sys_from <= %(end)s")
        if start is not None:
            params["start"] = start
            parts.append("v.sys_to > %(start)s")
        alive = sql.SQL(" AND ".join(parts))
    query = render(
        "tile", table=spec.table, key=spec.key.name, alive=alive,
        attributes=sql.SQL("").join(sql.SQL(", v.{}").format(sql.Identifier(n)) for n in names),
        feature_id=_feature_id(spec),
        properties=sql.SQL("").join(sql.SQL(", {} AS {}").format(
            _value(spec, n, n), sql.Identifier(n)) for n in names),
        mercator=_mercator("p.geom", fr, params), quick=_quick(spec, "p.geom", fr, params))
    return _encoded(conn, query, params, cap, (spec.id, tile.z))


def changes_tile(conn: psycopg.Connection, spec: LayerSpec, tile: TileAddress,
                 t1: dt.datetime, t2: dt.datetime, properties: list[str] | None = None,
                 cap: int = 20_000) -> Tile:
    """The net changes of one layer in (t1, t2] that show in one tile: the key, ``action``
    (added / modified / deleted), ``geometry_changed``, both versions' ``properties``
    (``old_name_fr``, ``new_name_fr`` ...) and their lifespan starts; drawn with the new
    geometry (the old one for a deletion). At most ``cap`` features."""
    names = default_properties(spec) if properties is None else properties
    fr = frame(conn, tile)
    params = {**_common(spec, tile, fr, cap), "t1": t1, "t2": t2}
    # changes.sql itself, over every version of the features that touch the tile
    touched = sql.SQL("(SELECT w.* FROM {} AS w WHERE w.fid IN (SELECT t.fid FROM touched AS t))"
                      ).format(sql.Identifier(spec.table))
    changes = sql.SQL(load_sql("changes").strip().removesuffix(";")).format(
        table=touched, old_columns=attr_sql(spec, "o", "old_"),
        new_columns=attr_sql(spec, "n", "new_"), old_geom=geom_sql("o.geom", STORAGE_EPSG),
        new_geom=geom_sql("n.geom", STORAGE_EPSG))
    query = render(
        "tile_changes", table=spec.table, key=spec.key.name, changes=changes,
        feature_id=_feature_id(spec),
        properties=sql.SQL("").join(
            sql.SQL(", {} AS {}").format(_value(spec, n, f"{side}_{n}"),
                                         sql.Identifier(f"{side}_{n}"))
            for n in names for side in ("old", "new")),
        mercator=_mercator("p.shape", fr, params), quick=_quick(spec, "p.shape", fr, params))
    return _encoded(conn, query, params, cap)


LIGHT = 1000  # features per tile: a layer's tiles at a zoom never above it take a kept plan
_DENSEST: dict[tuple[str, int], int] = {}  # the most features read for one tile, per (layer, zoom)
_DENSEST_LOCK = threading.Lock()


def _encoded(conn: psycopg.Connection, query: sql.Composed, params: dict[str, Any], cap: int,
             seen: tuple[str, int] | None = None) -> Tile:
    """Run a tile's SQL (its first column the tile, its second how many features were read,
    at most ``cap`` + 1). Fetched in binary (no hex text of the bytes).

    The best plan depends on the tile: a scan that stops at the cap for a dense tile, the GiST
    index and hash joins for a sparse one. So a tile is planned anew (a few tenths of a
    millisecond), unless every tile of this layer at this zoom (``seen``: layer, zoom) read so
    far by this process held at most ``LIGHT`` features, and none was capped (which features
    a capped tile keeps follows the plan): then it runs as a prepared statement, whose
    generic plan (the GiST index, nested loops) serves such light tiles as well as a fresh
    plan and saves the planning, most of a light tile's time; it serves dense tiles worse,
    so one dense tile seen sends the zoom back to fresh plans for good (a capped one is made
    again by a fresh plan at once). PostgreSQL itself plans the first five runs of a prepared
    statement anew, then keeps the generic plan when it costs no more. Never with PgBouncer
    (``prepare_threshold`` None): a statement prepared on one server connection is unknown to
    the others."""
    def run(prepare: bool) -> tuple[bytes, int]:
        row = conn.execute(query, params, binary=True, prepare=prepare).fetchone()
        return (bytes(row[0]), row[1]) if row else (b"", 0)

    light = (seen is not None and conn.prepare_threshold is not None
             and _DENSEST.get(seen, LIGHT + 1) <= min(LIGHT, cap))  # none capped either
    data, count = run(light)
    if light and count > cap:  # capped under the kept plan: the fresh plan's features
        data, count = run(False)
    if seen is not None:
        with _DENSEST_LOCK:
            _DENSEST[seen] = max(count, _DENSEST.get(seen, -1))
    return Tile(data, count > cap)


def map_tile(conn: psycopg.Connection, specs: list[LayerSpec], tile: TileAddress, when: When,
             cap: int = 20_000) -> Tile:
    """Several layers in one tile, one MVT layer each (in the order given, bottom first);
    the layers whose zoom range leaves out this zoom are left out of it."""
    parts = [layer_tile(conn, s, tile, when, cap=cap) for s in in_zoom(specs, tile.z)]
    return Tile(b"".join(p.data for p in parts), any(p.capped for p in parts))


# -- what a tile is made of --------------------------------------------------------------------
@dataclass(frozen=True)
class EditionsState:
    """What makes some layers at some instants: ``stamp``, a digest of the editions in force
    at each instant and of each layer's newest edition (their ids and import instants: equal
    exactly when the tiles are), and each layer's newest edition date (None before any)."""

    stamp: str
    newest: dict[str, dt.datetime | None]

    def settled(self, moment: dt.datetime | None) -> bool:
        """Whether the layers at ``moment`` are settled: at or before the newest edition of
        each (editions are never backdated). None (an open end) never is."""
        return bool(self.newest) and moment is not None and all(
            n is not None and moment <= n for n in self.newest.values())


def editions_state(conn: psycopg.Connection, specs: list[LayerSpec],
                   instants: list[dt.datetime]) -> EditionsState:
    """The :class:`EditionsState` of ``specs`` (their source layers, for derived ones) at
    each of ``instants``, in one query."""
    layers = sorted({name for s in specs for name in s.edition_layers})
    rows = conn.execute(render("tile_editions"), {
        "layers": ",".join(layers),  # layer ids are names: no comma (layers/catalogue.py)
        "instants": ",".join(i.isoformat() for i in instants)}).fetchall()
    made = "|".join(f"{r[0]}#{r[1]}:{r[2]}@{_stamp(r[3])}/{r[4]}@{_stamp(r[5])}" for r in rows)
    return EditionsState(hashlib.sha1(made.encode()).hexdigest()[:20],
                         {r[0]: r[6] for r in rows})


def _stamp(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{moment.timestamp():.6f}"
