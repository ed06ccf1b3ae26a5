# SPDX-License-Identifier: EUPL-1.2
"""The versioned Brussels map, on the real editions loaded by `strata load`."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import geopandas as gpd
import pytest
import shapely
from strata_helpers import snap
from strata_helpers import source_ways as _source_ways

from layers.catalogue import SHIPPED_DATA as DATA
from versioning.instants import parse_instant
from versioning.reading import changes, history

STREET_DATES = ["2020-04-27", "2020-10-01", "2021-04-12"]


def deltas(env, layer_id, d1, d2):
    spec = env.store.catalogue.layer(layer_id)
    with env.store.connect() as conn:
        return list(changes(conn, spec, parse_instant(d1), parse_instant(d2)))


def test_every_layer_and_edition_loaded(loaded):
    out = json.loads(loaded.run("layers", "--json").output)
    by_id = {layer["id"]: layer for layer in out}
    assert [e["edition_date"] for e in by_id["streets"]["editions"]] == STREET_DATES
    assert [e["edition_date"] for e in by_id["municipalities"]["editions"]] == [
        "2015-07-20", "2021-02-05"]
    expected = {"municipalities": 19, "districts": 145, "region": 1, "streets": 7192,
                "air_quality_stations": 23, "no2_points": 2484, "worksites": 1833,
                "road_events": 533}
    assert {k: by_id[k]["features"] for k in expected} == expected


def test_loading_again_changes_nothing(loaded):
    before = loaded.versions()
    result = loaded.run("load")
    assert result.exit_code == 0 and "already loaded" in result.output
    assert loaded.versions() == before


def test_municipalities_2015_to_2021_all_modified(loaded):
    ds = deltas(loaded, "municipalities", "2015-07-20", "2021-02-05")
    assert Counter(d.action for d in ds) == {"modified": 19}
    assert all(d.geometry_changed for d in ds)  # every boundary moved
    sjtn = next(d for d in ds if d.fid == 2100 or d.new["name_fr"] == "Saint-Josse-ten-Noode")
    gained = shapely.from_wkb(sjtn.new["geom"]).area - shapely.from_wkb(sjtn.old["geom"]).area
    assert 10_000 < gained < 30_000  # about 19,000 m² (MANIFEST)


def test_2015_snapshot_equals_the_2015_source(loaded):
    snap2015 = snap(loaded, "municipalities", "2016-01-01")
    surfaces = gpd.read_file(DATA / "municipalities/fms_municipality_2015.gpkg",
                             layer="municipality_surface")
    surfaces["key"] = surfaces.urbis_id // 100 * 100
    source = surfaces.dissolve(by="key")
    assert sorted(snap2015.index) == sorted(source.index)
    for key, geom in source.geometry.items():
        ours = snap2015.geometry[key]
        assert shapely.normalize(ours).equals_exact(shapely.normalize(geom), 1e-6) or \
            ours.symmetric_difference(geom).area < 1e-6, key
        assert snap2015.name_fr[key] == source.name_fr[key]


@pytest.mark.parametrize("d1,d2", [(STREET_DATES[0], STREET_DATES[1]),
                                   (STREET_DATES[1], STREET_DATES[2]),
                                   (STREET_DATES[0], STREET_DATES[2])])
def test_street_changes_agree_with_the_source_files(loaded, d1, d2):
    a, b = _source_ways(d1), _source_ways(d2)
    added = set(b) - set(a)
    removed = set(a) - set(b)
    changed = {k for k in set(a) & set(b) if a[k] != b[k]}
    ds = deltas(loaded, "streets", d1, d2)
    got = {action: {d.fid for d in ds if d.action == action}
           for action in ("added", "deleted", "modified")}
    assert got["added"] == added
    assert got["deleted"] == removed
    assert got["modified"] == changed
    assert len(ds) == len(added) + len(removed) + len(changed)


def test_snapshot_dates_between_before_and_after_editions(loaded):
    first = snap(loaded, "streets", "2020-04-27")
    between = snap(loaded, "streets", "2020-09-30")
    assert sorted(between.index) == sorted(first.index) == sorted(_source_ways("2020-04-27"))
    assert between.drop(columns="geometry").equals(first.drop(columns="geometry"))
    assert snap(loaded, "streets", "2020-04-26").empty
    last = snap(loaded, "streets", "2030-01-01")
    assert sorted(last.index) == sorted(_source_ways("2021-04-12"))
    assert last["endLifespanVersion"].isna().all()


def test_snapshot_in_another_crs(loaded):
    frame = snap(loaded, "municipalities", "2022-01-01", epsg=4258)
    minx, miny, maxx, maxy = shapely.total_bounds(frame.geometry.to_numpy())
    assert 4.2 < minx < maxx < 4.5 and 50.7 < miny < maxy < 50.95


def test_history_of_a_commune(loaded):
    spec = loaded.store.catalogue.layer("municipalities")
    with loaded.store.connect() as conn:
        versions = history(conn, spec, 7400)
    assert [v["name_fr"] for v in versions] == ["Bruxelles-Ville", "Bruxelles"]
    assert versions[0]["endLifespanVersion"] == versions[1]["beginLifespanVersion"]
    assert versions[0]["beginLifespanVersion"].date() == dt.date(2015, 7, 20)
    assert versions[1]["endLifespanVersion"] is None
    result = loaded.run("history", "municipalities", "7400")
    assert result.exit_code == 0
    assert "2015-07-20 -> 2021-02-05" in result.output and "2021-02-05 -> now" in result.output


def test_append_only_history(loaded):
    import psycopg

    with loaded.store.connect() as conn, pytest.raises(psycopg.errors.RaiseException,
                                                       match="append-only"):
        conn.execute("DELETE FROM layer_region")


def test_geojson_stream_equals_the_snapshot(loaded):
    from versioning.reading import snapshot_geojson

    spec = loaded.store.catalogue.layer("districts")
    with loaded.store.connect() as conn:
        lines = b"".join(snapshot_geojson(conn, spec, parse_instant("2018-01-01"))).splitlines()
    features = [json.loads(line) for line in lines]
    frame = snap(loaded, "districts", "2018-01-01")
    assert [f["id"] for f in features] == list(frame.index)
    for f in features[:20]:
        ours = shapely.geometry.shape(f["geometry"])
        assert ours.equals_exact(frame.geometry[f["id"]], 1e-3)
        assert f["properties"]["name_nl"] == frame.name_nl[f["id"]]
        assert f["properties"]["endLifespanVersion"] is None
