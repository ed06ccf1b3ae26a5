# SPDX-License-Identifier: EUPL-1.2
"""Imports: change detection, no-ops, refusals that leave the store as it was, kills,
concurrency, round trips through every output format."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
import yaml

from geo.errors import Conflict
from layers.catalogue import SHIPPED_DATA as DATA
from layers.catalogue import load_catalogue
from layers.readers import read_layer_file
from versioning.instants import parse_date, parse_instant
from versioning.reading import changes

STREETS = [DATA / f"streets/ways_{d}.geojson" for d in ("2020-04-27", "2020-10-01", "2021-04-12")]


def buildings_catalogue(tmp_path: Path) -> Path:
    """A catalogue with one synthetic layer (seeded, generated in the tests)."""
    cat = {"layers": {"buildings": {
        "title": {"fr": "Bâtiments", "nl": "Gebouwen", "en": "Buildings"},
        "description": {"fr": "synthétique", "nl": "synthetisch", "en": "synthetic"},
        "geometry_type": "MultiPolygon",
        "key": {"name": "building_id", "type": "integer"},
        "attributes": {"height": "double", "use": "text"},
        "sources": {"synthetic": {"key": "id", "fields": {"height": "height", "use": "use"}}},
    }}}
    path = tmp_path / "layers.yml"
    path.write_text(yaml.safe_dump(cat))
    return path


def buildings(n: int, seed: int = 1, changed: int = 0) -> gpd.GeoDataFrame:
    """n square buildings in Brussels (EPSG:31370); the first `changed` ones taller."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(145_000, 155_000, n)
    y = rng.uniform(165_000, 175_000, n)
    height = np.round(rng.uniform(3, 40, n), 1)
    height[:changed] += 1.0
    return gpd.GeoDataFrame(
        {"id": np.arange(n), "height": height, "use": rng.choice(["home", "shop", "office"], n)},
        geometry=shapely.box(x, y, x + 10, y + 10), crs=31370)


def test_import_same_content_creates_nothing(env):
    assert env.run("import", "streets", str(STREETS[0]), "--date", "2020-04-27").exit_code == 0
    before = env.versions()
    for date in ("2020-04-27", "2020-05-01"):
        result = env.run("import", "streets", str(STREETS[0]), "--date", date)
        assert result.exit_code == 0, result.output
        assert "nothing created" in result.output
    assert env.versions() == before


def test_backdated_edition_is_refused_and_store_unchanged(env):
    env.run("import", "streets", str(STREETS[1]), "--date", "2020-10-01")
    before = env.versions()
    result = env.run("import", "streets", str(STREETS[0]), "--date", "2020-04-27")
    assert result.exit_code == 4
    assert "already has an edition dated 2020-10-01" in result.output
    assert "give a date after 2020-10-01" in result.output
    same_day = env.run("import", "streets", str(STREETS[2]), "--date", "2020-10-01")
    assert same_day.exit_code == 4
    assert env.versions() == before


@pytest.mark.parametrize("case", ["corrupt", "duplicate", "unknown_layer", "bad_date",
                                  "missing_file"])
def test_failures_have_clear_messages_and_change_nothing(env, tmp_path, case):
    env.run("import", "air_quality_stations",
            str(DATA / "air_quality/irceline_no2_stations.geojson"), "--date", "2024-01-01")
    before = env.versions()
    raw = json.loads((DATA / "air_quality/irceline_no2_stations.geojson").read_text())
    path = tmp_path / "stations.geojson"
    layer, date, code, message = "air_quality_stations", "2025-01-01", 2, ""
    if case == "corrupt":
        path.write_text(json.dumps(raw)[:3000])
        message = "cannot read stations.geojson"
    elif case == "duplicate":
        raw["features"].append(raw["features"][0])
        path.write_text(json.dumps(raw))
        message = "duplicated"
    elif case == "unknown_layer":
        path.write_text(json.dumps(raw))
        layer, code, message = "buildingz", 3, "unknown layer 'buildingz'"
    elif case == "bad_date":
        path.write_text(json.dumps(raw))
        date, message = "2025-13-45", "is not a date"
    else:
        message = "file not found"
    result = env.run("import", layer, str(path), "--date", date)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert env.versions() == before


def test_a_b_a_is_no_change(env_factory, tmp_path):
    env = env_factory(buildings_catalogue(tmp_path))
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    buildings(200).to_file(a)
    buildings(200, changed=5).to_file(b)
    for path, date in ((a, "2024-01-01"), (b, "2024-02-01"), (a, "2024-03-01")):
        assert env.run("import", "buildings", str(path), "--date", date).exit_code == 0
    spec = env.store.catalogue.layer("buildings")
    with env.store.connect() as conn:
        def net(d1, d2):
            return Counter(d.action for d in changes(conn, spec, parse_instant(d1),
                                                     parse_instant(d2)))
        assert net("2024-01-01", "2024-02-01") == {"modified": 5}
        assert net("2024-02-01", "2024-03-01") == {"modified": 5}
        assert net("2024-01-01", "2024-03-01") == {}  # A -> B -> A


def test_import_killed_midway_leaves_no_trace(env_factory, tmp_path):
    env = env_factory(buildings_catalogue(tmp_path))
    small, big = tmp_path / "small.gpkg", tmp_path / "big.gpkg"
    buildings(100).to_file(small)
    buildings(300_000, seed=2).to_file(big)
    assert env.run("import", "buildings", str(small), "--date", "2024-01-01").exit_code == 0
    before = env.versions()
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "import", "buildings", str(big),
         "--date", "2024-02-01"], env={**os.environ, **env.environ},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait until the import is inside its transaction (its connection holds the layer lock)
    deadline = time.time() + 120
    with env.store.connect() as conn:
        while time.time() < deadline:
            # the import's own lock: hashtextextended('strata.import:buildings', 0) as a
            # 64-bit advisory key (classid: the high half, objid: the low half)
            locked = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 1 AND pid <> pg_backend_pid() AND "
                "(classid::bigint << 32 | objid::bigint) = "
                "hashtextextended('strata.import:buildings', 0)").fetchone()[0]
            if locked:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert locked, "the import never started its transaction"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert env.versions() == before
    # and the layer is not left locked: the next import goes through
    result = env.run("import", "buildings", str(small), "--date", "2024-03-01")
    assert result.exit_code == 0 and "nothing created" in result.output


def test_concurrent_imports_are_serialised(env):
    spec = env.store.catalogue.layer("streets")
    outcomes: list[object] = []

    def run(path, date):
        try:
            with env.store.connect() as conn:
                batch = read_layer_file(path, spec)
                outcomes.append(env.store.import_edition(conn, batch, parse_date(date), path))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(STREETS[0], "2020-04-27")),
               threading.Thread(target=run, args=(STREETS[1], "2020-10-01"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with env.store.connect() as conn:
        current = conn.execute("SELECT count(*) FROM layer_streets WHERE sys_to = 'infinity'"
                               ).fetchone()[0]
        dates = [r[0].isoformat() for r in conn.execute(
            "SELECT edition_date FROM edition ORDER BY 1")]
    # either both landed in date order, or the earlier one came second and was refused
    assert dates in (["2020-04-27", "2020-10-01"], ["2020-10-01"])
    assert current == 7029
    assert len(outcomes) == 2


@pytest.mark.parametrize("fmt,suffix", [("gpkg", ".gpkg"), ("geojson", ".geojson"),
                                        ("fgb", ".fgb"), ("shp", ".zip"), ("csv", ".csv")])
def test_snapshot_round_trip(loaded, tmp_path, fmt, suffix):
    out = tmp_path / f"districts{suffix}"
    result = loaded.run("snapshot", "districts", "--date", "2018-01-01", "-o", str(out))
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        back = gpd.read_file(out, GEOM_POSSIBLE_NAMES="WKT", KEEP_GEOM_COLUMNS="NO")
        back = back.set_crs(31370)
    else:
        back = gpd.read_file(out)
    source = gpd.read_file(DATA / "districts/monitoring_districts_2017_2019.gpkg")
    key = "district_i" if fmt == "shp" else "district_id"  # dBase names: 10 characters
    back = back.set_index(key).sort_index()
    source = source.set_index("md_id").sort_index()
    assert list(back.index) == list(source.index)
    assert back.crs.to_epsg() == 31370
    assert (back["name_fr"] == source["name_fr"]).all()
    assert np.allclose(back["area_m2"].astype(float), source["area_m2"])
    tol = 1e-6 if fmt in ("gpkg", "fgb", "shp") else 1e-3
    diff = back.geometry.symmetric_difference(source.geometry.force_2d(), align=True).area
    assert (diff < tol * 1000).all()


def test_snapshot_all_layers_in_one_geopackage(loaded, tmp_path):
    out = tmp_path / "brussels.gpkg"
    result = loaded.run("snapshot", "--all", "--date", "2021-06-01", "-o", str(out))
    assert result.exit_code == 0, result.output
    layers = dict(pyogrio.list_layers(out))
    assert set(layers) == set(load_catalogue().layers)
    assert pyogrio.read_info(out, layer="streets")["features"] == 7192
    assert pyogrio.read_info(out, layer="municipalities")["features"] == 19
    assert pyogrio.read_info(out, layer="worksites")["features"] == 0  # not yet recorded


def test_changes_to_files(loaded, tmp_path):
    flat = tmp_path / "changes.gpkg"
    doc = tmp_path / "changes.json"
    lines = tmp_path / "changes.jsonl"
    for out in (flat, doc, lines):
        result = loaded.run("changes", "municipalities", "--from", "2015-07-20",
                            "--to", "2021-02-05", "-o", str(out))
        assert result.exit_code == 0, result.output
    frame = gpd.read_file(flat)
    assert len(frame) == 19 and set(frame.action) == {"modified"}
    row = frame.set_index("municipality_id").loc[7400]
    assert (row.old_name_fr, row.new_name_fr) == ("Bruxelles-Ville", "Bruxelles")
    body = json.loads(doc.read_text())["strata.diff/v1"]
    assert body["layer"] == "municipalities" and len(body["changes"]) == 19
    first = body["changes"][0]
    assert first["old"]["geometry"]["type"] == "MultiPolygon"
    assert len(lines.read_text().splitlines()) == 20


def test_cli_date_and_format_errors(loaded, tmp_path):
    result = loaded.run("snapshot", "streets", "--date", "yesterday",
                        "-o", str(tmp_path / "x.gpkg"))
    assert result.exit_code == 2 and "is not a date" in result.output
    result = loaded.run("snapshot", "streets", "--date", "2021-01-01",
                        "-o", str(tmp_path / "x.doc"))
    assert result.exit_code == 2 and "cannot tell the output format" in result.output
    result = loaded.run("snapshot", "streets", "--date", "2021-01-01", "--crs", "EPSG:9999",
                        "-o", str(tmp_path / "x.gpkg"))
    assert result.exit_code == 2 and "unsupported CRS" in result.output
    result = loaded.run("changes", "streets", "--from", "2021-01-01", "--to", "2020-01-01",
                        "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 2 and "is before" in result.output
    result = loaded.run("history", "streets", "42")
    assert result.exit_code == 3 and "has no feature" in result.output


def test_a_first_edition_is_written_in_spatial_order(env):
    """The first edition's rows lie on disk along a Hilbert curve through the features (a
    tile or a bounding box then reads few pages): neighbours in the table are neighbours on
    the map, unlike the source's order."""
    from geo.order import hilbert_order

    assert env.run("import", "streets", str(STREETS[0]), "--date", "2020-04-27").exit_code == 0
    with env.store.connect() as conn:
        rows = conn.execute("SELECT fid, ST_AsBinary(geom) FROM layer_streets "
                            "ORDER BY ctid").fetchall()
    geoms = shapely.from_wkb([r[1] for r in rows])
    rank = np.empty(len(rows), dtype=int)
    rank[hilbert_order(geoms)] = np.arange(len(rows))
    assert np.mean(np.diff(rank) > 0) > 0.9  # almost every row follows the curve

    def step(g: np.ndarray) -> float:  # median distance between consecutive rows' centres
        c = shapely.centroid(g)
        return float(np.median(shapely.distance(c[1:], c[:-1])))

    source = read_layer_file(STREETS[0], load_catalogue().layer("streets")).frame.geometry
    assert step(geoms) * 5 < step(np.asarray(source.to_crs(31370).array))  # 82 m, 638 m
