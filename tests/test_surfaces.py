# SPDX-License-Identifier: EUPL-1.2
"""Yearly NO2 surfaces (issue 14): kriged from the real IRCEL-CELINE means, recorded as
versioned rasters, served as OGC API Coverages "as of" a date, summed up per zone on the
boundaries of their year. Real data, real PostGIS, real GDAL / QGIS clients."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import shutil
import subprocess
import tempfile
import textwrap
import warnings
from pathlib import Path

import httpx
import numpy as np
import psycopg
import pytest
import rasterio
import rasterio.mask
from rasterio.io import MemoryFile
from rasterio.windows import Window
from strata_helpers import snap

from geo import surfaces as raster
from geo.errors import Conflict
from layers.references import read_reference
from linking.reference import replace_reference
from linking.surfaces import build_no2, no2_inputs, region_at
from services.surface_files import surfaces_root
from versioning.surfaces import record, surfaces

COVERAGE = "/collections/no2_surface/coverage"
LAMBERT = "http://www.opengis.net/def/crs/EPSG/0/31370"


def _surfaces(env):
    with env.store.connect() as conn:
        return {s["period"]: s for s in surfaces(conn, "no2_surface")}


def _file(env, period):
    return surfaces_root(env.store.settings) / _surfaces(env)[period]["file_name"]


def test_every_year_with_enough_stations_has_a_surface_with_its_cross_validation(loaded):
    every = json.loads(loaded.run("surfaces", "list", "--json").output)
    listed = [s for s in every if s["collection"] == "no2_surface"]
    assert [s["period"] for s in listed] == [str(y) for y in range(1999, 2024)]
    assert [(s["collection"], s["period"]) for s in every if s not in listed] == [
        ("no2_surface_curieuzenair", "2021")]
    known = _surfaces(loaded)
    for s in listed:
        meta = known[s["period"]]["metadata"]
        errors = np.array(list(meta["cv"]["errors_ug_m3"].values()))
        assert len(errors) == s["n_points"] >= 7
        assert s["cv_rmse"] == pytest.approx(math.sqrt(np.mean(errors ** 2)))
        assert s["cv_mae"] == pytest.approx(np.mean(np.abs(errors)))
        assert meta["derived"] is True and "derived estimate" in meta["note"].lower()
        assert meta["method"].startswith("ordinary kriging") and s["cell_size_m"] == 50
    # the leave-one-out errors, computed again here by refitting PyKrige without each station
    from pykrige.ok import OrdinaryKriging

    with loaded.store.connect() as conn:
        means = no2_inputs(conn, loaded.store.catalogue, 2021)
    stored = known["2021"]["metadata"]["cv"]["errors_ug_m3"]
    for i, station in enumerate(means.stations):
        keep = np.arange(len(means.values)) != i
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ok = OrdinaryKriging(means.x[keep], means.y[keep], means.values[keep],
                                 variogram_model="linear",
                                 variogram_parameters={"slope": 1.0, "nugget": 0.0})
        est, _ = ok.execute("points", means.x[i:i + 1], means.y[i:i + 1])
        assert stored[station] == pytest.approx(float(est[0]) - means.values[i], abs=1e-6)


def test_two_stations_at_one_place_are_kriged_as_one():
    """Without nugget, two points at one place make the kriging system singular (estimates
    of 1e14, or no solution): they are merged into their mean first."""
    from shapely.geometry import box

    rng = np.random.default_rng(7)
    x, y = rng.uniform(145_000, 155_000, 8), rng.uniform(165_000, 175_000, 8)
    z = rng.uniform(20, 50, 8)
    x[1], y[1] = x[0], y[0]
    surface = raster.interpolate(x, y, z, [f"s{i}" for i in range(8)],
                                 box(144_000, 164_000, 156_000, 176_000), cell=500)
    values = surface.estimate[surface.estimate != raster.NODATA]
    assert values.min() >= z.min() - 20 and values.max() <= z.max() + 20
    assert surface.labels[0] == "s0+s1" and len(surface.labels) == 7
    assert np.isfinite(surface.loo_errors).all()


def test_no_year_is_one_flat_value(loaded):
    """Every year's surface varies as its stations do (a nugget fitted with the slope took
    the whole variance in 15 years of 25: the surface was the stations' mean in every cell,
    which QGIS cannot even stretch); the variogram has no nugget, its slope fitted."""
    for period, s in _surfaces(loaded).items():
        if not period.isdigit():
            continue
        with rasterio.open(_file(loaded, period)) as src:
            band = src.read(1)
        values = band[band != raster.NODATA]
        assert values.std() > 1.0, (period, values.min(), values.max())
        vario = s["metadata"]["variogram"]
        assert vario["nugget"] == 0.0 and vario["slope"] > 0, (period, vario)


def test_at_each_station_the_surface_keeps_the_kriging_contract(loaded):
    """Ordinary kriging is an exact interpolator: at a station it gives the station's mean;
    the COG's cell holding a station holds the kriging at that cell's centre."""
    cat = loaded.store.catalogue
    for year in (2005, 2021, 2023):
        with loaded.store.connect() as conn:
            means = no2_inputs(conn, cat, year)
            region = region_at(conn, cat, year)
        surface = raster.interpolate(means.x, means.y, means.values, means.stations, region)
        at_stations, _ = surface.predict(means.x, means.y)
        np.testing.assert_allclose(at_stations, means.values, atol=1e-6)
        with rasterio.open(_file(loaded, str(year))) as src:
            cells = [src.index(x, y) for x, y in zip(means.x, means.y, strict=True)]
            values = np.array([v[0] for v in src.sample(zip(means.x, means.y, strict=True))])
            centres = [src.xy(r, c) for r, c in cells]
        expected, _ = surface.predict(np.array([c[0] for c in centres]),
                                      np.array([c[1] for c in centres]))
        inside = values != raster.NODATA
        assert inside.sum() >= len(values) - 1
        np.testing.assert_allclose(values[inside], expected[inside], rtol=1e-5, atol=1e-3)
        assert surface.cv_rmse == pytest.approx(_surfaces(loaded)[str(year)]["cv_rmse"])


def test_the_geotiff_is_a_valid_cog(loaded):
    from rio_cogeo.cogeo import cog_validate

    path = _file(loaded, "2021")
    valid, errors, _ = cog_validate(str(path))
    assert valid, errors
    out = subprocess.run(
        ["/usr/bin/python3",
         "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py",
         str(path)], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    assert out.returncode == 0 and "is a valid cloud optimized GeoTIFF" in out.stdout, out
    with rasterio.open(path) as src:
        assert src.count == 2 and src.crs.to_epsg() == 31370 and src.res == (50.0, 50.0)
        assert src.block_shapes[0] == (128, 128) and src.overviews(1) == [2, 4]
        assert src.tags()["DERIVED"] == "true" and float(src.tags()["CV_RMSE_UG_M3"]) > 0
        band = src.read(1)
        assert (band == raster.NODATA).any() and (band != raster.NODATA).sum() > 50_000


def test_gdalinfo_reads_the_coverage_url(service):
    url = f"/vsicurl/{service}{COVERAGE}?datetime=2021-06-15"
    out = subprocess.run(["gdalinfo", url], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "LAYOUT=COG" in out.stdout and "YEAR=2021" in out.stdout
    assert "Size is 338, 335" in out.stdout and "Overviews: 169x167" in out.stdout



def test_ranges_of_the_coverage(service):
    """GDAL reads the COG by ranges: a part is a 206 of those bytes; a range starting beyond
    the end a 416 in the one error shape with the size, as for a download; one ending before
    it starts is ignored (the whole file)."""
    url = f"{service}{COVERAGE}"
    params = {"datetime": "2021-06-15"}
    whole = httpx.get(url, params=params, timeout=60)
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    size = len(whole.content)
    part = httpx.get(url, params=params, headers={"Range": "bytes=100-199"}, timeout=60)
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{size}"
    tail = httpx.get(url, params=params, headers={"Range": "bytes=-16"}, timeout=60)
    assert tail.status_code == 206 and tail.content == whole.content[-16:]
    beyond = httpx.get(url, params={**params, "lang": "nl"},
                       headers={"Range": f"bytes={size}-"}, timeout=60)
    assert beyond.status_code == 416, beyond.text
    assert beyond.headers["Content-Range"] == f"bytes */{size}"
    body = beyond.json()
    assert body["code"] == "RangeNotSatisfiable" and body["hint"]
    assert beyond.headers["Content-Language"] == "nl"
    backwards = httpx.get(url, params=params, headers={"Range": "bytes=20-10"}, timeout=60)
    assert backwards.status_code == 200 and backwards.content == whole.content


QGIS_SCRIPT = textwrap.dedent("""
    import json, sys
    from qgis.core import QgsApplication, QgsRasterLayer
    app = QgsApplication([], False)
    app.initQgis()
    layer = QgsRasterLayer(sys.argv[1], "no2", "gdal")
    stats = layer.dataProvider().bandStatistics(1) if layer.isValid() else None
    print(json.dumps({"valid": layer.isValid(), "bands": layer.bandCount(),
                      "width": layer.width(), "crs": layer.crs().authid(),
                      "mean": stats.mean if stats else None}))
    del layer, stats
    app.exitQgis()
""")


def test_qgis_opens_the_coverage(service, tmp_path):
    script = tmp_path / "open.py"
    script.write_text(QGIS_SCRIPT)
    url = f"/vsicurl/{service}{COVERAGE}?datetime=2021-06-15"
    out = subprocess.run(["/usr/bin/python3", str(script), url], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": "",
                              "XDG_RUNTIME_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["valid"] and result["bands"] == 2 and result["width"] == 338
    assert result["crs"] == "EPSG:31370" and 10 < result["mean"] < 80


def _tiff(response):
    assert response.status_code == 200, response.text
    with MemoryFile(response.content) as mem, mem.open() as src:
        return src.read(), src.transform, src.tags()


def test_datetime_picks_the_surface_valid_then(service):
    _, _, tags = _tiff(httpx.get(f"{service}{COVERAGE}", params={"datetime": "2015-06-15"}))
    assert tags["YEAR"] == "2015"
    _, _, tags = _tiff(httpx.get(f"{service}{COVERAGE}",
                                 params={"subset": 'time("2019-12-31T22:00:00Z")'}))
    assert tags["YEAR"] == "2019"  # 23:00 in Brussels, still 2019
    cov = httpx.get(f"{service}{COVERAGE}", params={
        "datetime": "2021-06-15", "f": "covjson", "bbox": "150000,170000,150400,170300",
        "bbox-crs": "EPSG:31370"}).json()
    assert cov["domain"]["axes"]["t"]["values"][0].startswith("2021-01-01")
    assert cov["ranges"]["no2"]["shape"] == [1, 6, 8] and cov["strata:derived"] is True
    for date in ("1998-06-15", "2030-01-01"):
        r = httpx.get(f"{service}{COVERAGE}", params={"datetime": date})
        assert r.status_code == 404 and "1999-01-01" in r.json()["hint"], r.text
    for params in ({"datetime": "2020-01-01/2021-01-01"}, {"subset": "E(10:5)"},
                   {"subset": "Q(1:2)"}, {"subset": "E(1:x)"}, {"properties": "pm10"},
                   {"scale-size": "E(0)"}, {"bbox": "0,0,1,1"}, {"f": "png"},
                   {"subset": "E(0:100),N(0:100)"}):
        r = httpx.get(f"{service}{COVERAGE}", params=params)
        assert r.status_code == 400 and r.json()["hint"], (params, r.text)
    r = httpx.get(f"{service}/collections/streets/coverage")
    assert r.status_code == 404 and "no2_surface" in r.json()["hint"]


def _axes(service, **params):
    r = httpx.get(f"{service}{COVERAGE}", params={"datetime": "2021-06-15", "f": "covjson",
                                                  **params}, timeout=60)
    assert r.status_code == 200, (params, r.text)
    axes = r.json()["domain"]["axes"]
    return [(axes[a]["start"], axes[a]["stop"], axes[a]["num"]) for a in ("x", "y")]


def test_subsets_open_on_one_side_or_on_one_axis(service):
    """``*`` is the whole axis (it was an overflow: 500); a box beyond any CRS's reach is the
    whole coverage; a CRS84 subset of one axis cuts that axis only (the other was the whole
    earth projected to Lambert 72: the whole coverage, or nothing); a point slice in Lambert
    72 on a cell's edge is that cell, as in CRS84."""
    whole_x, whole_y = _axes(service)
    west, east = _axes(service, subset="E(*:150000)")[0], _axes(service, subset="E(150000:*)")[0]
    assert west[0] == whole_x[0] and east[1] == whole_x[1]
    assert west[2] + east[2] == whole_x[2] and west[1] < 150_000 < east[0]
    assert _axes(service, subset="E(*:*)") == [whole_x, whole_y]
    assert _axes(service, bbox="-1e7,-1e7,1e7,1e7",
                 **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3035"}) == [whole_x,
                                                                                  whole_y]
    lon = _axes(service, subset="Lon(4.3:4.4)")
    assert lon[1] == whole_y and 0 < lon[0][2] < whole_x[2] / 2
    lat = _axes(service, subset="Lat(50.85:50.86)")
    assert lat[0] == whole_x and 0 < lat[1][2] < 30
    edge = _axes(service, subset="E(150000),N(170000)")
    assert edge == _axes(service, bbox="150000,170000,150000,170000", **{"bbox-crs": LAMBERT})
    assert [n for _, _, n in edge] == [1, 1]
    assert [n for _, _, n in _axes(service, subset="Lon(4.35),Lat(50.85)")] == [1, 1]


def test_the_coverage_of_a_bbox_is_a_window_read_of_the_cog(loaded, service):
    box = (148_020.0, 169_980.0, 149_510.0, 171_020.0)
    with rasterio.open(_file(loaded, "2021")) as src:
        west, north = src.transform.c, src.transform.f
        c0, c1 = math.floor((box[0] - west) / 50), math.ceil((box[2] - west) / 50)
        r0, r1 = math.floor((north - box[3]) / 50), math.ceil((north - box[1]) / 50)
        window = Window(c0, r0, c1 - c0, r1 - r0)
        expected, expected_transform = src.read(window=window), src.window_transform(window)
    got, transform, _ = _tiff(httpx.get(f"{service}{COVERAGE}", params={
        "datetime": "2021-03-01", "bbox": ",".join(map(str, box)), "bbox-crs": "EPSG:31370"}))
    np.testing.assert_array_equal(got, expected)
    assert transform == expected_transform
    same, _, _ = _tiff(httpx.get(f"{service}{COVERAGE}", params={
        "datetime": "2021-03-01", "subset": f"E({box[0]}:{box[2]}),N({box[1]}:{box[3]})"}))
    np.testing.assert_array_equal(same, expected)
    one, _, _ = _tiff(httpx.get(f"{service}{COVERAGE}", params={
        "datetime": "2021-03-01", "bbox": ",".join(map(str, box)), "bbox-crs": "EPSG:31370",
        "properties": "no2_variance"}))
    np.testing.assert_array_equal(one[0], expected[1])
    small, transform, _ = _tiff(httpx.get(f"{service}{COVERAGE}", params={
        "datetime": "2021-03-01", "scale-size": "E(34),N(34)"}))
    assert small.shape == (2, 34, 34) and transform.a == pytest.approx(338 * 50 / 34)
    half, _, _ = _tiff(httpx.get(f"{service}{COVERAGE}", params={
        "datetime": "2021-03-01", "scale-factor": "2"}))
    assert half.shape == (2, 168, 169)


def _independent(path, zones):
    """Mean / min / max per zone with rasterio.mask, one polygon at a time."""
    out = {}
    with rasterio.open(path) as src:
        for key, row in zones.iterrows():
            data, _ = rasterio.mask.mask(src, [row["geometry"]], crop=True, indexes=1,
                                         filled=False)
            values = data.compressed()
            values = values[values != raster.NODATA]
            out[str(key)] = ((float(values.mean()), float(values.min()), float(values.max()))
                             if values.size else None)
    return out


# the boundaries of a year: as on 1 July, or the layer's first edition for an older year
@pytest.mark.parametrize(("year", "zones", "edition", "as_of"), [
    (2019, "districts", "2017-01-01", "2019-07-01"),
    (2021, "municipalities", "2021-02-05", "2021-07-01"),
    (2015, "municipalities", "2015-07-20", "2015-07-20")])
def test_zonal_statistics_equal_an_independent_computation(loaded, service, year, zones,
                                                           edition, as_of):
    r = httpx.get(f"{service}/collections/no2_surface/zonal-statistics",
                  params={"datetime": f"{year}-06-15", "zones": zones})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["period"] == str(year) and result["boundary_edition"] == edition
    shapes = snap(loaded, zones, as_of)
    expected = _independent(_file(loaded, str(year)), shapes)
    got = {s["zone_id"]: s for s in result["statistics"]}
    assert set(got) == set(expected) and len(got) == (145 if zones == "districts" else 19)
    for key, stats in expected.items():
        assert stats is not None
        assert (got[key]["no2_mean"], got[key]["no2_min"], got[key]["no2_max"]) == \
            pytest.approx(stats, rel=1e-6)
    cli = json.loads(loaded.run("surfaces", "zonal", "no2", "--year", str(year), "--zones",
                                zones, "--json").output)
    assert cli["statistics"] == result["statistics"]


def test_surfaces_follow_the_edition_rules(env):
    """Date order, identical content a no-op, one transaction, nothing left by a failure,
    append-only."""
    assert env.run("load", "region", "air_quality_stations").exit_code == 0
    with env.store.connect() as conn:
        table = "no2_annual_mean"
        replace_reference(conn, table, read_reference(
            table, env.store.catalogue.reference_path(table)))
    root = surfaces_root(env.store.settings)
    try:
        first = env.run("surfaces", "build", "no2", "--year", "2023")
        assert first.exit_code == 0 and "2023: recorded" in first.output, first.output
        files = sorted(p for p in root.rglob("*") if p.is_file())
        again = env.run("surfaces", "build", "no2", "--year", "2023")
        assert again.exit_code == 0 and "2023: unchanged" in again.output
        # other content by today's method is a conflict; by another method (a store older
        # than the code), the recorded surface is kept and said, nothing written
        recorded = _surfaces(env)["2023"]
        with env.store.connect() as conn, tempfile.TemporaryDirectory() as work:
            [build] = build_no2(conn, env.store.catalogue, Path(work), [2023])
            other = dataclasses.replace(build, checksum="0" * 64, cv_rmse=1.0)
            with pytest.raises(Conflict, match="already recorded with other content"):
                record(conn, root, [other])
            [(kept, what)] = record(conn, root, [dataclasses.replace(other, method="older")])
        assert what == "kept" and (kept.checksum, kept.method, kept.cv_rmse) == (
            recorded["checksum"], recorded["method"], recorded["cv_rmse"])
        assert _surfaces(env)["2023"] == recorded
        assert sorted(p for p in root.rglob("*") if p.is_file()) == files
        # every year at once: 1999 would be backdated, so nothing of the run is recorded
        failed = env.run("surfaces", "build", "no2")
        assert failed.exit_code == 4 and "never backdated" in failed.output
        assert "hint:" in failed.output
        assert list(_surfaces(env)) == ["2023"]
        assert sorted(p for p in root.rglob("*") if p.is_file()) == files
        assert not [p for p in root.iterdir() if p.name.startswith(".build-")]
        short = env.run("surfaces", "build", "no2", "--year", "1995")
        assert short.exit_code == 2 and "1999-2023" in short.output
        with env.store.connect() as conn, pytest.raises(psycopg.errors.RaiseException):
            conn.execute("UPDATE surface SET cv_rmse = 0")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_collection_describes_its_surfaces(service):
    body = httpx.get(f"{service}/collections/no2_surface", params={"lang": "nl"}).json()
    assert body["title"].startswith("NO2, geschatte") and body["derived"] is True
    assert [s["period"] for s in body["surfaces"]][0] == "1999"
    assert all(s["cv_rmse_ug_m3"] > 0 for s in body["surfaces"])
    domain = httpx.get(f"{service}{COVERAGE}/domainset").json()
    assert domain["generalGrid"]["axisLabels"] == ["E", "N"]
    assert domain["generalGrid"]["axis"][0]["resolution"] == 50
    fields = httpx.get(f"{service}{COVERAGE}/rangetype").json()["field"]
    assert [f["name"] for f in fields] == ["no2", "no2_variance"]


def test_position_gives_the_yearly_series_of_a_point(loaded, service):
    """EDR position: one value a year, each the cell of that year's COG holding the point."""
    from pyproj import Transformer

    lon, lat = 4.3571, 50.8466
    r = httpx.get(f"{service}/collections/no2_surface/position",
                  params={"coords": f"POINT({lon} {lat})", "datetime": "2010/2020"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/prs.coverage+json")
    cov = r.json()
    assert cov["domain"]["domainType"] == "PointSeries"
    assert cov["strata:periods"] == [str(y) for y in range(2010, 2021)]
    times = cov["domain"]["axes"]["t"]["values"]
    assert [t[:10] for t in times] == [f"{y}-01-01" for y in range(2010, 2021)]
    x, y = Transformer.from_crs(4326, 31370, always_xy=True).transform(lon, lat)
    for i, year in enumerate(range(2010, 2021)):
        with rasterio.open(_file(loaded, str(year))) as src:
            row, col = src.index(x, y)
            cell = src.read(window=Window(col, row, 1, 1))[:, 0, 0]
        assert cov["ranges"]["no2"]["values"][i] == pytest.approx(float(cell[0]), abs=1e-3)
        assert cov["ranges"]["no2_variance"]["values"][i] == pytest.approx(float(cell[1]),
                                                                           abs=1e-3)
    one = httpx.get(f"{service}/collections/no2_surface/position",
                    params={"coords": f"POINT({lon} {lat})", "datetime": "2015-06-15",
                            "parameter-name": "no2"}).json()
    assert one["strata:periods"] == ["2015"] and list(one["ranges"]) == ["no2"]
    assert one["ranges"]["no2"]["values"] == [cov["ranges"]["no2"]["values"][5]]
    # outside the region: 404 with a hint; no surface in the years: 404; bad input: 400
    for params in ({"coords": "POINT(5.5 50.5)", "datetime": "2015"},
                   {"coords": f"POINT({lon} {lat})", "datetime": "1990/1995"}):
        r = httpx.get(f"{service}/collections/no2_surface/position", params=params)
        assert r.status_code == 404 and r.json()["hint"], (params, r.text)
    for params in ({"coords": "POINT(4.35)"}, {"coords": "POINT(400 50)"}, {},
                   {"coords": f"POINT({lon} {lat})", "datetime": "2020/2010"},
                   {"coords": f"POINT({lon} {lat})", "parameter-name": "pm10"}):
        r = httpx.get(f"{service}/collections/no2_surface/position", params=params)
        assert r.status_code == 400 and r.json()["hint"], (params, r.text)


def test_the_map_picture_of_a_surface_and_its_bad_input(service):
    """The viewer's picture: a PNG of the year's surface in EPSG:3857, transparent outside
    the region; a date with no surface 404, bad parameters 400, each with a hint."""
    from PIL import Image

    path = "/collections/no2_surface/map"
    r = httpx.get(f"{service}{path}", params={"datetime": "2021-07-01", "width": "300",
                                              "bbox": "4.24,50.76,4.48,50.92"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
    picture = Image.open(io.BytesIO(r.content))
    assert picture.mode == "RGBA" and picture.size[0] == 300
    assert picture.getchannel("A").getextrema() == (0, 255)
    r = httpx.get(f"{service}{path}", params={"datetime": "1990-06-01"})
    assert r.status_code == 404 and "1999" in r.json()["hint"], r.text
    for params in ({"f": "jpeg"}, {"width": "5"}, {"bbox": "4.4,50.8,4.3,50.9"},
                   {"bbox": "4.3,-89,4.4,89"}, {"datetime": "2010/2020"}, {"size": "3"}):
        r = httpx.get(f"{service}{path}", params=params)
        assert r.status_code == 400 and r.json()["hint"], (params, r.text)


# -- the CurieuzenAir campaign's surface ------------------------------------------------------
CAMPAIGN = "/collections/no2_surface_curieuzenair"


def _campaign(env):
    with env.store.connect() as conn:
        known = surfaces(conn, "no2_surface_curieuzenair")
    assert [s["period"] for s in known] == ["2021"]
    return known[0]


def test_the_campaign_surface_keeps_its_contract_and_its_cross_validation(loaded):
    """The 2,484 CurieuzenAir points (2,465 places: points at one place merged into their
    mean) kriged in a moving neighbourhood: exact at each place; each stored leave-one-out
    error equals PyKrige's kriging of the 16 nearest other places with the fitted variogram;
    the COG's cells hold the kriging at their centres."""
    from pykrige.ok import OrdinaryKriging
    from scipy.spatial import cKDTree

    from linking.surfaces import campaign_inputs

    known = _campaign(loaded)
    meta = known["metadata"]
    assert meta["derived"] is True and meta["n_points_read"] == 2484
    assert known["n_points"] == meta["n_places"] == 2465 and known["source_name"] == "curieuzenair"
    assert meta["method"] == raster.LOCAL_METHOD and meta["variogram"]["model"] == "exponential"
    errors = meta["cv"]["errors_ug_m3"]
    assert len(errors) == 2465
    assert known["cv_rmse"] == pytest.approx(math.sqrt(np.mean(np.square(list(errors.values())))))
    # the merged places, computed here from the points
    with loaded.store.connect() as conn:
        cat = loaded.store.catalogue
        points = campaign_inputs(conn, cat, 2021)
        region = region_at(conn, cat, 2021)
    places = {}
    for pid, x, y, v in zip(points.stations, points.x, points.y, points.values, strict=True):
        places.setdefault((round(x, 2), round(y, 2)), []).append((pid, v, x, y))
    assert len(places) == 2465 and len(points.stations) == 2484
    xy = np.array([group[0][2:] for group in places.values()])  # where the first one is
    z = np.array([np.mean([g[1] for g in group]) for group in places.values()])
    labels = ["+".join(g[0] for g in group) for group in places.values()]
    vario = meta["variogram"]
    tree = cKDTree(xy)
    rng = np.random.default_rng(14)
    for i in rng.choice(len(z), 25, replace=False):
        _, near = tree.query(xy[i], 17)
        near = [j for j in near if j != i][:16]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ok = OrdinaryKriging(xy[near, 0], xy[near, 1], z[near],
                                 variogram_model="exponential",
                                 variogram_parameters={"psill": vario["psill"],
                                                       "range": vario["range"],
                                                       "nugget": vario["nugget"]})
        est, _ = ok.execute("points", xy[i:i + 1, 0], xy[i:i + 1, 1])
        assert errors[labels[i]] == pytest.approx(float(est[0]) - z[i], abs=1e-6)
    surface = raster.interpolate_local(points.x, points.y, points.values, points.stations,
                                       region)
    at_places, variance = surface.predict(xy[:, 0], xy[:, 1])
    np.testing.assert_allclose(at_places, z, atol=1e-6)
    np.testing.assert_allclose(variance, 0, atol=1e-6)
    assert surface.cv_rmse == pytest.approx(known["cv_rmse"])
    path = surfaces_root(loaded.store.settings) / known["file_name"]
    with rasterio.open(path) as src:
        assert src.tags()["N_POINTS"] == "2465" and src.tags()["YEAR"] == "2021"
        chosen = rng.choice(len(z), 200, replace=False)
        cells = [src.index(*xy[i]) for i in chosen]
        values = np.array([v[0] for v in src.sample([tuple(xy[i]) for i in chosen])])
        centres = np.array([src.xy(r, c) for r, c in cells])
    expected, _ = surface.predict(centres[:, 0], centres[:, 1])
    inside = values != raster.NODATA
    assert inside.sum() >= 190
    np.testing.assert_allclose(values[inside], expected[inside], rtol=1e-5, atol=1e-3)


def test_the_campaign_coverage_is_a_cog_served_as_of_its_year(loaded, service):
    from rio_cogeo.cogeo import cog_validate

    known = _campaign(loaded)
    valid, errors, _ = cog_validate(str(surfaces_root(loaded.store.settings) / known["file_name"]))
    assert valid, errors
    data, _, tags = _tiff(httpx.get(f"{service}{CAMPAIGN}/coverage",
                                    params={"datetime": "2021-06-15"}))
    assert tags["YEAR"] == "2021" and tags["SOURCE"].startswith("CurieuzenAir")
    inside = data[0][data[0] != raster.NODATA]
    assert inside.min() > 5 and inside.max() < 61 and inside.size > 50_000
    r = httpx.get(f"{service}{CAMPAIGN}/coverage", params={"datetime": "2020-06-15"})
    assert r.status_code == 404 and "2021" in r.json()["hint"], r.text
    out = subprocess.run(["gdalinfo", f"/vsicurl/{service}{CAMPAIGN}/coverage"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "LAYOUT=COG" in out.stdout, out.stderr
    body = httpx.get(f"{service}{CAMPAIGN}", params={"lang": "fr"}).json()
    assert body["title"].startswith("NO2, campagne CurieuzenAir") and body["derived"] is True
    assert [s["n_points"] for s in body["surfaces"]] == [2465]
    fields = httpx.get(f"{service}{CAMPAIGN}/coverage/rangetype",
                       params={"lang": "nl"}).json()["field"]
    assert fields[0]["description"] == "NO2 van de campagne, geschat"
    series = httpx.get(f"{service}{CAMPAIGN}/position",
                       params={"coords": "POINT(4.3571 50.8466)"}).json()
    assert series["domain"]["axes"]["t"]["values"][0].startswith("2021-01-01")
    assert 5 < series["ranges"]["no2"]["values"][0] < 61


def test_the_campaign_zonal_statistics_equal_an_independent_computation(loaded, service):
    r = httpx.get(f"{service}{CAMPAIGN}/zonal-statistics",
                  params={"datetime": "2021-10-15", "zones": "districts"})
    assert r.status_code == 200, r.text
    result = r.json()
    expected = _independent(surfaces_root(loaded.store.settings) / _campaign(loaded)["file_name"],
                            snap(loaded, "districts", "2021-07-01"))
    got = {s["zone_id"]: s for s in result["statistics"]}
    assert set(got) == set(expected) and len(got) == 145
    for key, stats in expected.items():
        assert (got[key]["no2_mean"], got[key]["no2_min"], got[key]["no2_max"]) == \
            pytest.approx(stats, rel=1e-6)
    cli = json.loads(loaded.run("surfaces", "zonal", "no2-curieuzenair", "--year", "2021",
                                "--json").output)
    assert cli["statistics"] == result["statistics"]


def test_the_landing_page_links_the_coverages(service):
    """A client finds both surface collections and their coverage from the landing page;
    /collections keeps the feature collections (Features clients ask items of each)."""
    body = httpx.get(f"{service}/", params={"f": "json"}).json()
    for cid in ("no2_surface", "no2_surface_curieuzenair"):
        described = [link["href"] for link in body["links"]
                     if link["href"].endswith(f"/collections/{cid}")]
        coverage = [link["href"] for link in body["links"]
                    if link["rel"].endswith("/coverage")
                    and link["href"].endswith(f"/collections/{cid}/coverage")]
        assert described and coverage, body["links"]
        assert httpx.get(described[0]).json()["itemType"] == "coverage"
        assert httpx.get(coverage[0]).status_code == 200
    listed = httpx.get(f"{service}/collections", params={"f": "json"}).json()["collections"]
    assert not [c["id"] for c in listed if c.get("itemType") == "coverage"]
