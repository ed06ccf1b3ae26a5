# SPDX-License-Identifier: EUPL-1.2
"""Benchmark of the versioned store against baselines run in the same process.

A seeded, synthetic layer of N building polygons (default 1,000,000) with 12 monthly
editions, about 1% of features changed per edition. Prints ratios:

- initial import (file -> versioned table) vs ``ogr2ogr`` loading the same file into PostGIS;
- a monthly edition import (10,000 changes);
- changes between adjacent editions and between first and last, at N and at N/10
  (same number of changes: the cost should follow the changes, not the layer size);
- a full snapshot streamed, and snapshot -> GeoPackage vs ``ogr2ogr`` exporting the same query;
- peak memory while writing the snapshot.

Usage: .venv/bin/python bench/bench_store.py [--features N] [--editions 12]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
import shapely
import yaml

from layers.catalogue import PROJECT_ROOT, load_catalogue
from layers.readers import Batch, read_layer_file
from services.localdb import LocalCluster, cluster_root
from versioning.database import connect, render
from versioning.importer import file_checksum, import_batch
from versioning.instants import day_start
from versioning.reading import attr_sql, changes, geom_sql, snapshot, snapshot_geojson
from versioning.schema import ensure_layer, migrate

CATALOGUE = {"layers": {"buildings": {
    "title": {"fr": "Bâtiments (synthétiques)", "nl": "Gebouwen (synthetisch)",
              "en": "Buildings (synthetic)"},
    "description": {"fr": "banc d'essai", "nl": "benchmark", "en": "benchmark"},
    "geometry_type": "MultiPolygon",
    "key": {"name": "building_id", "type": "integer"},
    "attributes": {"height": "double", "use": "text", "floors": "integer"},
    "sources": {"synthetic": {"key": "id", "fields": {
        "height": "height", "use": "use", "floors": "floors"}}},
}}}


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t, out


def buildings(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(141_000, 158_000, n)
    y = rng.uniform(161_000, 178_000, n)
    w = rng.uniform(6, 25, n)
    geoms = shapely.multipolygons([[g] for g in shapely.box(x, y, x + w, y + w * 0.8)])
    return gpd.GeoDataFrame({
        "id": np.arange(n, dtype=np.int64), "height": np.round(rng.uniform(3, 60, n), 1),
        "use": rng.choice(["home", "shop", "office", "school", "industry"], n),
        "floors": rng.integers(1, 20, n)}, geometry=geoms, crs=31370)


def mutate(frame: gpd.GeoDataFrame, month: int, changes_n: int) -> gpd.GeoDataFrame:
    """An edition: `changes_n` features changed (a third taller, a third moved, a third
    replaced by new keys)."""
    rng = np.random.default_rng(1000 + month)
    out = frame.copy()
    idx = rng.choice(len(out), changes_n, replace=False)
    a, b, c = np.array_split(idx, 3)
    out.loc[out.index[a], "height"] = out.loc[out.index[a], "height"] + 1.0
    out.loc[out.index[b], "geometry"] = out.geometry.iloc[b].translate(0.5, 0).to_numpy()
    new_ids = frame["id"].max() + 1 + np.arange(len(c)) + month * changes_n
    out.loc[out.index[c], "id"] = new_ids
    return out


def batch_of(frame: gpd.GeoDataFrame, spec) -> Batch:
    data = frame.rename(columns={"id": "fid"})[["fid", "height", "use", "floors", "geometry"]]
    return Batch(layer=spec, frame=data, source_name="synthetic", read=len(data))


def reset(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute("DROP TABLE IF EXISTS public.bench_ogr")


def run_layer(url: str, spec, schema: str, n: int, editions: int, workdir: Path,
              changes_n: int, report: dict, full: bool) -> None:
    reset(url, schema)
    base = buildings(n, seed=7)
    path = workdir / f"buildings_{n}.gpkg"
    if full:
        t_write, _ = timed(base.to_file, path, driver="GPKG")
        print(f"[{n:,}] wrote the seeded source file in {t_write:.1f} s")
        t_ogr, _ = timed(subprocess.run, [
            "ogr2ogr", "-f", "PostgreSQL", f"PG:{libpq(url)}", str(path), "-nln", "bench_ogr",
            "-lco", "GEOMETRY_NAME=geom", "-lco", "SCHEMA=public", "-overwrite"], check=True)
    with connect(url, schema) as conn:
        migrate(conn, schema)
        ensure_layer(conn, spec)
        if full:
            t_imp, res = timed(
                lambda: import_batch(conn, read_layer_file(path, spec, "synthetic"),
                                     dt.date(2024, 1, 1), str(path), file_checksum(path)))
            report["initial import"] = (t_imp, t_ogr, "ogr2ogr -> PostGIS")
        else:
            t_imp, res = timed(import_batch, conn, batch_of(base, spec), dt.date(2024, 1, 1),
                               "memory", "-")
        print(f"[{n:,}] initial import {t_imp:.1f} s: {res.line()}")
        frame = base
        month_times = []
        for m in range(1, editions):
            frame = mutate(frame, m, changes_n)
            day = dt.date(2024, 1 + m, 1) if m < 12 else dt.date(2025, 1, 1)
            t, res = timed(import_batch, conn, batch_of(frame, spec), day, "memory", str(m))
            month_times.append(t)
            print(f"[{n:,}] edition {day}: {t:.1f} s  {res.line()}")
        report[f"monthly edition import [{n:,}]"] = (float(np.median(month_times)), None, "")
        last = day
        t1, t2 = day_start(dt.date(2024, 1, 1)), day_start(dt.date(2024, 2, 1))
        times = []
        for _ in range(5):
            t, ds = timed(lambda: list(changes(conn, spec, t1, t2)))
            times.append(t)
        report[f"changes adjacent [{n:,}] ({len(ds):,} deltas, Python API)"] = (
            min(times), None, "")
        report[f"changes adjacent [{n:,}], computed in the database"] = (
            db_changes_seconds(conn, spec, t1, t2), None, "")
        tl = day_start(last)
        t, ds = timed(lambda: list(changes(conn, spec, t1, tl)))
        report[f"changes first->last [{n:,}] ({len(ds):,} deltas, Python API)"] = (t, None, "")
        report[f"changes first->last [{n:,}], computed in the database"] = (
            db_changes_seconds(conn, spec, t1, tl), None, "")
        if not full:
            _, rss = cli_snapshot(url, schema, workdir, day, workdir / "small.gpkg")
            report[f"peak memory of `strata snapshot` [{n:,}] (MB)"] = (rss, None, "")
            return
        at = day_start(last)
        t_stream, size = timed(lambda: sum(len(b) for b in snapshot_geojson(conn, spec, at)))
        report[f"full snapshot streamed as GeoJSON by SQL ({size / 1e6:,.0f} MB)"] = (
            t_stream, None, "")
        t_arrow, count = timed(lambda: sum(b.num_rows for b in snapshot(conn, spec, at)))
        report[f"full snapshot streamed as Arrow batches ({count:,} features)"] = (
            t_arrow, None, "")
    t_gpkg, rss = cli_snapshot(url, schema, workdir, last, workdir / "snap.gpkg")
    query = (f"SELECT fid AS building_id, height, use, floors, sys_from, geom "
             f"FROM {schema}.layer_buildings WHERE sys_from <= '{at.isoformat()}' "
             f"AND sys_to > '{at.isoformat()}' ORDER BY fid")
    t_ogr_out, _ = timed(subprocess.run, [
        "ogr2ogr", "-f", "GPKG", str(workdir / "ogr.gpkg"), f"PG:{libpq(url)}",
        "-sql", query, "-nln", "buildings", "-overwrite"], check=True)
    report["snapshot -> GeoPackage (`strata snapshot`)"] = (
        t_gpkg, t_ogr_out, "ogr2ogr exporting the query")
    report[f"peak memory of `strata snapshot` [{n:,}] (MB)"] = (rss, None, "")


def cli_snapshot(url: str, schema: str, workdir: Path, day: dt.date, out: Path
                 ) -> tuple[float, float]:
    """Time `strata snapshot` in a child process; return (seconds, its peak RSS in MB)."""
    env = {**os.environ, "STRATA_DATABASE_URL": url, "STRATA_SCHEMA_NAME": schema,
           "STRATA_CATALOGUE": str(workdir / "layers.yml")}
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(time.perf_counter() - t, "
             "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    strata = str(Path(sys.executable).with_name("strata"))
    result = subprocess.run([sys.executable, "-c", probe, strata, "snapshot", "buildings",
                             "--date", day.isoformat(), "-o", str(out)],
                            env=env, check=True, capture_output=True, text=True)
    seconds, rss = result.stdout.split()
    return float(seconds), float(rss)


def db_changes_seconds(conn, spec, t1: dt.datetime, t2: dt.datetime) -> float:
    """The change set computed by PostgreSQL alone (every delta with old and new values and
    geometries, counted in the database instead of sent to Python); best of 5."""
    query = render("changes", table=spec.table, old_columns=attr_sql(spec, "o", "old_"),
                   new_columns=attr_sql(spec, "n", "new_"), old_geom=geom_sql("o.geom", 31370),
                   new_geom=geom_sql("n.geom", 31370)).as_string(conn).rstrip().rstrip(";")
    counted = f"SELECT count(*) FROM ({query}) AS changes"
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        conn.execute(counted, {"t1": t1, "t2": t2}).fetchone()
        best = min(best, time.perf_counter() - t)
    return best


def libpq(url: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    return " ".join(f"{k}={v}" for k, v in info.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=1_000_000)
    parser.add_argument("--editions", type=int, default=12)
    args = parser.parse_args()
    url = LocalCluster(cluster_root(PROJECT_ROOT)).up()
    with tempfile.TemporaryDirectory(prefix="strata-bench-") as tmp:
        workdir = Path(tmp)
        cat_path = workdir / "layers.yml"
        cat_path.write_text(yaml.safe_dump(CATALOGUE))
        spec = load_catalogue(cat_path).layer("buildings")
        changes_n = max(args.features // 100, 30)
        report: dict = {}
        run_layer(url, spec, "bench", args.features, args.editions, workdir, changes_n, report,
                  full=True)
        run_layer(url, spec, "bench_small", args.features // 10, 3, workdir, changes_n, report,
                  full=False)
        reset(url, "bench")
        reset(url, "bench_small")
    print("\nSynthetic layer (seeded), this machine; lower is better.")
    print(f"{'measure':<60} {'ours':>10} {'baseline':>10} {'ratio':>7}")
    for name, (ours, base, label) in report.items():
        ratio = f"{ours / base:.2f}x" if base else ""
        unit = "" if "memory" in name else " s"
        base_s = f"{base:.2f} s" if base else ""
        print(f"{name:<60} {ours:>8.3f}{unit} {base_s:>10} {ratio:>7}  {label}")


if __name__ == "__main__":
    main()
