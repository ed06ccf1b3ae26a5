# SPDX-License-Identifier: EUPL-1.2
"""Time-aware linking of records to the map of their own date: the database against an
independent geopandas computation from the source files, and against Dask."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from strata_helpers import (
    CITY,
    STREET_EDITIONS,
    communes_2021,
    expected,
    moved_ground,
    same,
    seeded_points,
)

from layers.catalogue import SHIPPED_DATA as DATA
from linking.bulk import Records, link, targets, versioned_layers


def test_link_10000_points_equals_geopandas(loaded, tmp_path):
    points = seeded_points(10_000)
    source = tmp_path / "reports.gpkg"
    points.to_crs(4326).to_file(source)
    out = tmp_path / "linked.gpkg"
    result = loaded.run("link", str(source), "-o", str(out), "--date-field", "reported",
                        "--to", "municipalities,districts,streets", "--within", "50")
    assert result.exit_code == 0, result.output
    linked = gpd.read_file(out).set_index("ref").sort_index()
    # the same points as the command read them (through WGS 84 and back)
    want = expected(gpd.read_file(source).to_crs(31370).set_index("ref"))
    assert len(linked) == 10_000
    for col in ("municipalities_id", "districts_id", "streets_id"):
        ok = same(linked[col].astype("Int64") if col != "districts_id" else linked[col],
                  want[col].astype("Int64") if col != "districts_id" else want[col])
        assert ok.all(), f"{col}: {int((~ok).sum())} records differ"
    inside = linked["municipalities_id"].notna()
    assert 0.5 < inside.mean() < 0.95  # the box is larger than the region
    assert linked["streets_distance_m"].dropna().between(0, 50).all()
    assert np.allclose(linked["streets_distance_m"].dropna(),
                       want["streets_distance_m"].dropna(), atol=1e-6)
    # each record names the edition that answered
    assert set(linked["municipalities_edition"]) == {"2015-07-20", "2021-02-05"}
    assert set(linked["streets_edition"]) == set(STREET_EDITIONS)


def test_link_follows_the_records_date(loaded):
    point, before, after = moved_ground()
    at = pd.DatetimeIndex(["2016-06-01", "2022-06-01"]).tz_localize(CITY).tz_convert("UTC")
    s = loaded.store
    result = link(s.connect, targets(s.catalogue, ["municipalities"], s.rules.street_search_m),
                  Records(np.array([1, 2]), at, np.array([point, point])))
    assert result.loc[1, "municipalities_id"] == before
    assert result.loc[2, "municipalities_id"] == after
    assert list(result["municipalities_edition"]) == ["2015-07-20", "2021-02-05"]


def test_polygons_go_where_most_of_their_area_lies(loaded):
    districts = gpd.read_file(DATA / "districts/monitoring_districts_2017_2019.gpkg")
    sample = districts.sample(30, random_state=3).reset_index(drop=True)
    at = pd.DatetimeIndex(["2022-01-01"] * len(sample)).tz_localize(CITY).tz_convert("UTC")
    s = loaded.store
    result = link(s.connect, targets(s.catalogue, ["municipalities"], s.rules.street_search_m),
                  Records(np.arange(len(sample)), at, sample.geometry.to_numpy()))
    communes = communes_2021().reset_index()[["mid", "geometry"]]
    pieces = gpd.overlay(sample.reset_index()[["index", "geometry"]], communes,
                         how="intersection")
    pieces["area"] = pieces.area
    want = pieces.sort_values(["index", "area"], ascending=[True, False]) \
        .drop_duplicates("index").set_index("index")["mid"]
    assert (result["municipalities_id"].astype(int) == want.sort_index()).all()


def test_dask_cluster_gives_the_same_answer(loaded):
    import dask_geopandas
    from distributed import Client, LocalCluster

    from geo.joins import link_dask

    points = seeded_points(10_000, seed=11)
    at = pd.DatetimeIndex(points["reported"]).tz_localize(CITY).tz_convert("UTC")
    s = loaded.store
    tgts = targets(s.catalogue, ["municipalities", "districts", "streets"], 50)
    in_db = link(s.connect, tgts, Records(points["ref"].to_numpy(), at,
                                          points.geometry.to_numpy()))
    with s.connect() as conn:
        layers = versioned_layers(conn, tgts)
    frame = gpd.GeoDataFrame({"at": at}, geometry=points.geometry.values, crs=31370,
                             index=pd.Index(points["ref"].to_numpy(), name="rid"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        on_dask = link_dask(dask_geopandas.from_geopandas(frame, npartitions=4),
                            layers).compute().sort_index()
    for col in ("municipalities_id", "districts_id", "streets_id"):
        ok = same(in_db[col], on_dask[col])
        assert ok.all(), f"{col}: {int((~ok).sum())} records differ"
    assert np.allclose(in_db["streets_distance_m"].dropna(),
                       on_dask["streets_distance_m"].dropna(), atol=1e-6)


@pytest.mark.parametrize("args, code, needle", [
    (["--to", "streets"], 2, "need a date"),
    (["--to", "streets", "--date-field", "nope"], 2, "no field 'nope'"),
    (["--to", "parks", "--date", "2020-01-01"], 3, "unknown layer 'parks'"),
    (["--to", "streets", "--date", "2020-01-01", "--within", "-3"], 2, "out of range"),
    (["--to", "streets", "--date-field", "ref"], 2, "is not a date"),
])
def test_link_bad_input(loaded, tmp_path, args, code, needle):
    source = tmp_path / "reports.geojson"
    seeded_points(5).to_crs(4326).to_file(source)
    before = loaded.versions()
    result = loaded.run("link", str(source), "-o", str(tmp_path / "out.gpkg"), *args)
    assert result.exit_code == code and needle in result.output, result.output
    assert not (tmp_path / "out.gpkg").exists()
    assert loaded.versions() == before
