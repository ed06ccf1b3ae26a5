# SPDX-License-Identifier: EUPL-1.2
"""A page's bounding box: the features a page finds through the rectangle inside the box's
area (no exact test for them) are exactly those the exact test finds, for boxes of every kind
on the real streets; the boxes kept are bounded."""

from __future__ import annotations

import datetime as dt

import pytest
from psycopg import sql

from geo.crs import CRS84, SUPPORTED
from versioning import pages
from versioning.pages import PageQuery, Params, bbox_condition, bbox_sql, page

AT = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)
BOXES = [
    ((4.35, 50.84, 4.365, 50.85), CRS84, True),  # about a square kilometre
    ((4.24, 50.76, 4.48, 50.92), CRS84, True),  # the region
    ((4.3524, 50.8467, 4.35241, 50.84671), CRS84, False),  # a metre: too small for one
    ((4.3524, 50.78, 4.3524, 50.90), CRS84, False),  # no width: a line
    ((-180, -90, 180, 90), CRS84, False),  # the world: cut, bent by the projection
    ((149000, 170000, 150000, 171000), SUPPORTED["31370"], True),  # a square kilometre
    ((50.84, 4.35, 50.85, 4.365), SUPPORTED["4326"], True),  # latitude first
    ((3.09e6, 3.92e6, 3.10e6, 3.93e6), SUPPORTED["3035"], False),  # turned 4° in Lambert
    ((10, 10, 20, 20), CRS84, False),  # elsewhere
]


def exact(conn, box, crs) -> set[int]:
    """The keys of the streets alive at AT that meet the box's area (the exact test only)."""
    params = Params(at=AT)
    area = bbox_sql(box, crs, params)
    query = sql.SQL("SELECT v.fid FROM layer_streets AS v WHERE v.sys_from <= %(at)s AND "
                    "v.sys_to > %(at)s AND ST_Intersects(v.geom, {})").format(area)
    return {r[0] for r in conn.execute(query, params)}


@pytest.mark.parametrize("box,crs,has_inner", BOXES)
def test_the_rectangle_inside_a_box_finds_what_the_exact_test_finds(loaded, box, crs,
                                                                    has_inner) -> None:
    spec = loaded.store.catalogue.layers["streets"]
    with loaded.store.connect() as conn:
        pages._AREAS.clear()
        found = page(conn, spec, PageQuery(at=AT, bbox=box, bbox_crs=crs, limit=10_000,
                                           skip_geometry=True))
        keys = {int(k) for k in found.features.split('"id":')[1:] for k in [k.split(",")[0]]}
        assert keys == exact(conn, box, crs)
        (area, inner), = pages._AREAS.values()
        assert (inner is not None) == has_inner
        if inner is not None and len(keys) > 100:  # the rectangle answered for most
            inside = conn.execute(
                "SELECT count(*) FROM layer_streets AS v WHERE v.sys_from <= %(at)s AND "
                "v.sys_to > %(at)s AND v.geom @ ST_GeomFromWKB(%(inner)s, 31370)",
                {"at": AT, "inner": inner}).fetchone()[0]
            assert inside > len(keys) / 2


def test_the_boxes_kept_are_bounded(loaded, monkeypatch) -> None:
    monkeypatch.setattr(pages, "AREAS_KEPT", 5)
    pages._AREAS.clear()
    with loaded.store.connect() as conn:
        for i in range(12):
            bbox_condition(conn, (4.3 + i / 1000, 50.8, 4.31 + i / 1000, 50.81), CRS84,
                           Params())
        assert len(pages._AREAS) == 5
        assert list(pages._AREAS)[-1][0][0] == pytest.approx(4.311)
