# SPDX-License-Identifier: EUPL-1.2
"""The affine map a tile's geometries take instead of the projection: within
MAX_AFFINE_ERROR tile units of PostGIS's own ST_Transform wherever it is used, checked at
random points of each tile and its buffer (not only on the grid it was fitted on)."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
import shapely
from psycopg import sql

from versioning import tiles as T
from versioning.database import render

# z, x, y of tiles over central Brussels, from zoom 10 to 18
TILES = [(z, int(2098 * 2 ** (z - 12)), int(1372 * 2 ** (z - 12))) for z in range(10, 19)]


@pytest.fixture(scope="module")
def conn(database_url):
    with psycopg.connect(database_url, autocommit=True) as c:
        yield c


@pytest.mark.parametrize("z, x, y", TILES)
def test_the_affine_map_stays_within_its_bound(conn, z, x, y):
    tile = T.TileAddress(z, x, y)
    fr = T.frame(conn, tile)
    # in Brussels the projection is close enough to affine from zoom 12 (1.3 units there)
    assert (fr.affine is not None) == (z >= 12), (z, fr.error)
    if fr.affine is None:
        assert fr.error > T.MAX_AFFINE_ERROR
        return
    xmin, ymin, xmax, ymax = tile.bounds()
    unit = (xmax - xmin) / T.EXTENT
    margin = T.BUFFER * unit
    rng = np.random.default_rng(z)
    mx = rng.uniform(xmin - margin, xmax + margin, 200)
    my = rng.uniform(ymin - margin, ymax + margin, 200)
    rows = conn.execute(
        "SELECT ST_X(g), ST_Y(g) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS "
        "p(x, y, n), LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(p.x, p.y), 3857), "
        "31370) AS g) AS t ORDER BY p.n", (mx.tolist(), my.tolist())).fetchall()
    px, py = (np.array(c) for c in zip(*rows, strict=True))
    a, b, d, e, xoff, yoff = fr.affine
    ax, ay = a * px + b * py + xoff, d * px + e * py + yoff  # ST_Affine's formula
    worst = float(np.hypot(ax - mx, ay - my).max() / unit)
    assert worst <= T.MAX_AFFINE_ERROR, (z, worst)
    assert worst <= fr.error + 0.05  # the error the frame reports is the real one
    # the same map straight to tile units (rows down): the random points land where
    # ST_AsMVTGeom puts their projection, within the bound
    ta, tb, td, te, txoff, tyoff = fr.to_tile
    tx, ty = ta * px + tb * py + txoff, td * px + te * py + tyoff
    ux, uy = (mx - xmin) / unit, (ymax - my) / unit
    assert float(np.hypot(tx - ux, ty - uy).max()) <= T.MAX_AFFINE_ERROR
    # the inner box lies inside the tile and its buffer: its corners, projected, are
    ixmin, iymin, ixmax, iymax = fr.inner
    corners = conn.execute(
        "SELECT ST_X(g), ST_Y(g) FROM unnest(%s::float8[], %s::float8[]) AS p(x, y), LATERAL "
        "(SELECT ST_Transform(ST_SetSRID(ST_MakePoint(p.x, p.y), 31370), 3857) AS g) AS t",
        ([ixmin, ixmin, ixmax, ixmax], [iymin, iymax, iymin, iymax])).fetchall()
    assert all(xmin - margin < cx < xmax + margin and ymin - margin < cy < ymax + margin
               for cx, cy in corners), (z, corners)
    # and leaves out little of it (a few units on each side)
    assert (ixmax - ixmin) * (iymax - iymin) >= 0.97 * (
        (fr.area[2] - fr.area[0]) * (fr.area[3] - fr.area[1]))


def test_the_quick_way_gives_valid_polygons_wound_for_mvt_or_steps_aside(conn, catalogue):
    """Seeded random shapes in a tile at zoom 14 and 16, from half a tile unit to 60 across:
    rectangles at any angle and of any elongation (buildings), the same with their corners
    moved by up to a unit, any four corners, concave darts with a corner pulled near a side,
    triangles. Wherever the quick way of versioning/sql/tile_quick.sql takes one, the result
    is a valid polygon, wound as MVT wants, within two units of ST_AsMVTGeom's; the others are
    left to ST_AsMVTGeom (NULL)."""
    rng = np.random.default_rng(14)
    spec = catalogue.layer("road_events")  # a layer of polygons
    taken = 0
    for z, x, y in [(14, 8392, 5492), (16, 33569, 21969)]:
        tile = T.TileAddress(z, x, y)
        fr = T.frame(conn, tile)
        params: dict = {}
        T._quick(spec, "g", fr, params)
        ixmin, iymin, ixmax, iymax = fr.inner
        unit = fr.tolerance  # one tile unit in storage metres
        shapes = []
        for _ in range(1500):
            kind = rng.choice(["rectangle", "moved", "any", "dart", "triangle"],
                              p=[0.3, 0.3, 0.15, 0.15, 0.1])
            size = unit * float(rng.choice([0.5, 2, 5, 15, 60])) * rng.uniform(0.5, 1.5)
            centre = (rng.uniform(ixmin + 100 * unit, ixmax - 100 * unit),
                      rng.uniform(iymin + 100 * unit, iymax - 100 * unit))
            if kind in ("rectangle", "moved"):
                w, h = size, size / rng.uniform(1, 6)
                a = rng.uniform(0, np.pi)
                rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
                corners = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2 @ rot.T
                if kind == "moved":
                    corners += rng.uniform(-unit, unit, (4, 2))
            elif kind == "triangle":
                corners = rng.normal(0, size, (3, 2))
            else:
                corners = rng.normal(0, size, (4, 2))
                if kind == "dart":  # one corner pulled in, near a side
                    corners[3] = corners[0] + rng.uniform(0.05, 0.95) * (
                        corners[1] - corners[0]) + rng.normal(0, unit, 2)
            ring = shapely.Polygon(corners + centre)
            if ring.is_valid and ring.area > 0:
                shapes.append(shapely.to_wkb(shapely.geometry.polygon.orient(ring)))
        rows = conn.execute(
            sql.SQL("SELECT ST_AsBinary(q), ST_IsValid(q), ST_IsPolygonCCW(q), "
                    "ST_HausdorffDistance(q, r) FROM (SELECT ({quick}) AS q, ST_AsMVTGeom("
                    "ST_Transform(g, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, "
                    "true) AS r FROM (SELECT ST_SetSRID(ST_GeomFromWKB(w), 31370) AS g FROM "
                    "unnest(%(shapes)s::bytea[]) AS w) AS s) AS t").format(
                quick=render("tile_quick", column=sql.SQL("g"))),
            {**params, "z": z, "x": x, "y": y, "shapes": shapes}).fetchall()
        assert len(rows) > 1200
        for wkb, valid, ccw, apart in rows:
            if wkb is None:
                continue
            taken += 1
            assert valid and ccw, shapely.from_wkb(wkb).wkt
            assert apart is None or apart <= 2.0, shapely.from_wkb(wkb).wkt
    assert taken > 200  # the quick way is taken (by the compact quadrilaterals)
