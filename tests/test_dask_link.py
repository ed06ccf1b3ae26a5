# SPDX-License-Identifier: EUPL-1.2
"""`strata link --dask ADDRESS` (issue 15): the bulk join on a real Dask cluster (a local
one, two worker processes) gives exactly the answer of PostGIS (every column, the editions,
the distances to the last bit, the dtypes, the records' order), on seeded points dated across
the editions and on real records; the `link` process uses the cluster when
STRATA_DASK_SCHEDULER is set; a scheduler that cannot be reached is a clear error."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
from strata_helpers import CITY, STREET_EDITIONS, free_port, seeded_points, serve

from layers.catalogue import SHIPPED_DATA as DATA
from linking.bulk import Records, link, targets
from linking.dask_link import link_on_dask

TO = "municipalities,districts,streets"


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A real Dask cluster: a scheduler and two worker processes of one thread each."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _dated(frame: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """The frame with a column ``seen`` of seeded days from 2014 to 2026 (before, between
    and after the layers' editions)."""
    days = np.random.default_rng(seed).integers(0, 12 * 365, len(frame))
    seen = (pd.Timestamp("2014-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    return frame.assign(seen=seen)


def _link_both(env, tmp_path, source: str, *args: str, address: str) -> tuple[pd.DataFrame,
                                                                               pd.DataFrame]:
    """`strata link` in PostGIS and on Dask, written as Parquet (dtypes kept), read back."""
    frames = []
    for name, dask in (("postgis", []), ("dask", ["--dask", address])):
        out = tmp_path / f"{name}.parquet"
        result = env.run("link", source, "-o", str(out), "--to", TO, *args, *dask)
        assert result.exit_code == 0, result.output
        assert ("on the Dask cluster at" in result.output) == bool(dask), result.output
        frames.append(pd.read_parquet(out))
    return frames[0], frames[1]


def test_seeded_points_across_editions_link_the_same_on_dask(loaded, scheduler, tmp_path):
    source = tmp_path / "reports.gpkg"
    seeded_points(600, seed=21).to_crs(4326).to_file(source)
    in_db, on_dask = _link_both(loaded, tmp_path, str(source), "--date-field", "reported",
                                address=scheduler)
    pd.testing.assert_frame_equal(on_dask, in_db, check_exact=True)
    assert len(in_db) == 600 and list(in_db["ref"]) == list(range(600))
    # the dates span the editions: each record names the edition that answered
    assert set(in_db["municipalities_edition"]) == {"2015-07-20", "2021-02-05"}
    assert set(in_db["streets_edition"]) == set(STREET_EDITIONS)
    assert in_db["streets_distance_m"].notna().sum() > 100
    for col in ("municipalities_id", "districts_id", "streets_id"):
        assert in_db[col].notna().any(), col


@pytest.mark.parametrize("kind", ["worksites", "districts"])
def test_real_records_link_the_same_on_dask(loaded, scheduler, tmp_path, kind):
    if kind == "worksites":  # the OSIRIS worksites as stored, on their own start dates
        in_db, on_dask = _link_both(loaded, tmp_path, "layer:worksites", "--date-field",
                                    "start_date", address=scheduler)
    else:  # the monitoring districts' polygons (where most of their area lies), dated
        districts = gpd.read_file(DATA / "districts/monitoring_districts_2017_2019.gpkg")
        source = tmp_path / "districts.gpkg"
        _dated(districts, seed=5).to_file(source)
        in_db, on_dask = _link_both(loaded, tmp_path, str(source), "--date-field", "seen",
                                    address=scheduler)
    pd.testing.assert_frame_equal(on_dask, in_db, check_exact=True)
    assert len(set(in_db["municipalities_edition"])) == 2
    assert in_db["streets_id"].notna().sum() > 50


def test_the_frames_are_the_same_and_progress_ticks_per_partition(loaded, scheduler):
    points = seeded_points(3_000, seed=4)
    at = pd.DatetimeIndex(points["reported"]).tz_localize(CITY).tz_convert("UTC")
    records = Records(points["ref"].to_numpy()[::-1].copy(), at[::-1],
                      points.geometry.to_numpy()[::-1])  # ids in no particular order
    s = loaded.store
    tgts = targets(s.catalogue, TO.split(","), s.rules.street_search_m)
    ticks: list[int] = []
    on_dask = link_on_dask(s.connect, tgts, records, scheduler, ticks.append)
    in_db = link(s.connect, tgts, records)
    pd.testing.assert_frame_equal(on_dask, in_db, check_exact=True)
    assert list(on_dask.index) == list(records.rid)
    assert str(on_dask["streets_id"].dtype) == "Int64"
    assert str(on_dask["districts_id"].dtype) == "string"
    assert len(ticks) == 6 and sum(ticks) == 3_000  # 8 tasks asked, 500 records at least


def test_the_link_process_uses_the_cluster_when_configured(loaded, scheduler, tmp_path):
    points = seeded_points(200, seed=8).to_crs(4326)
    csv = pd.DataFrame({"id": points["ref"], "lon": points.geometry.x.round(7),
                        "lat": points.geometry.y.round(7),
                        "date": points["reported"]}).to_csv(index=False)
    answers = {}
    for name, extra in (("postgis", {}), ("dask", {"STRATA_DASK_SCHEDULER": scheduler})):
        with serve({**loaded.environ, **extra}) as base:
            r = httpx.post(f"{base}/processes/link/execution", timeout=120, json={
                "inputs": {"csv": csv, "date_field": "date", "to": TO.split(",")}})
            assert r.status_code == 200, r.text
            answers[name] = r.json()
    assert answers["dask"] == answers["postgis"]
    assert len(answers["dask"]["features"]) == 200


def _says_unreachable(result, address: str) -> None:
    assert result.exit_code == 5, result.output  # Unavailable
    assert f"error: the Dask scheduler at {address} cannot be reached" in result.output
    assert "hint: start one" in result.output and "Traceback" not in result.output


def test_an_unreachable_scheduler_is_said_clearly(loaded, tmp_path):
    source = tmp_path / "reports.gpkg"
    seeded_points(20).to_crs(4326).to_file(source)
    out = tmp_path / "linked.gpkg"
    nobody = f"tcp://127.0.0.1:{free_port()}"
    t = time.monotonic()
    result = loaded.run("link", str(source), "-o", str(out), "--date-field", "reported",
                        "--to", TO, "--dask", nobody)
    _says_unreachable(result, nobody)
    assert time.monotonic() - t < 20
    assert not out.exists()
    # something listens there, but answers nothing: the wait is bounded
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen()
        address = f"tcp://127.0.0.1:{mute.getsockname()[1]}"
        t = time.monotonic()
        result = loaded.run("link", str(source), "-o", str(out), "--date-field", "reported",
                            "--to", TO, "--dask", address)
        _says_unreachable(result, address)
        assert "no answer within 5 s" in result.output
        assert time.monotonic() - t < 20
    # not an address at all
    result = loaded.run("link", str(source), "-o", str(out), "--date-field", "reported",
                        "--to", TO, "--dask", "my-cluster")
    assert result.exit_code == 2, result.output
    assert "'my-cluster' is not a Dask scheduler's address" in result.output
    assert "hint: give it as tcp://HOST:8786" in result.output
    assert not out.exists()
