# SPDX-License-Identifier: EUPL-1.2
"""Benchmark of geolocation and bulk linking, with their baselines, in one run.

1. ``/geolocate`` under load: the real service over the real Brussels data; a second process
   on localhost runs C concurrent clients for S seconds on seeded points of the region and
   reads the server time of each answer (its Server-Timing header). Baseline: the same
   geolocation straight from Python, one connection, no HTTP.
2. Bulk link of N seeded points (synthetic, dated 2014-2026) to municipalities, districts
   and the nearest street within 50 m, each as of its own date: Strata (PostGIS) against a
   plain geopandas pipeline (sjoin + sjoin_nearest, edition by edition) and the same job on
   a Dask cluster (dask-geopandas, local, 2 workers). Answers are compared.

Usage: .venv/bin/python bench/bench_link.py [--points N] [--clients C] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import psycopg
import shapely

from geo.crs import parse_crs
from geo.joins import link_dask, link_frame
from layers.catalogue import PROJECT_ROOT
from linking.bulk import Records, link, targets, versioned_layers
from services.localdb import LocalCluster, cluster_root
from services.settings import StoreSettings
from services.store import Store

CRS84 = parse_crs("CRS84")


def seeded(n: int, seed: int = 42) -> tuple[np.ndarray, pd.DatetimeIndex]:
    rng = np.random.default_rng(seed)
    geom = shapely.points(rng.uniform(143000, 157000, n), rng.uniform(162000, 178000, n))
    days = rng.integers(0, 12 * 365, n)
    at = (pd.Timestamp("2014-01-01", tz="Europe/Brussels")
          + pd.to_timedelta(days, unit="D")).tz_convert("UTC")
    return geom, pd.DatetimeIndex(at)


def lonlat(n: int, seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    return list(zip(rng.uniform(4.29, 4.42, n), rng.uniform(50.80, 50.89, n), strict=True))


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def _load(base: str, clients: int, seconds: float) -> tuple[list[float], list[float], int]:
    points = lonlat(5000, 3)
    server: list[float] = []
    client: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one(i: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            k = i
            while time.perf_counter() < deadline:
                lon, lat = points[k % len(points)]
                k += clients
                t = time.perf_counter()
                r = await http.get("/geolocate", params={"lon": lon, "lat": lat,
                                                         "date": "2022-06-01"})
                client.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    errors += 1
                    continue
                server.append(float(r.headers["server-timing"].split("dur=")[1]))

    await asyncio.gather(*(one(i) for i in range(clients)))
    return server, client, errors


def load_main(base: str, clients: int, seconds: float) -> None:
    """The load process: prints p50 / p99 of server and client times."""
    server, client, errors = asyncio.run(_load(base, clients, seconds))
    print(f"{len(server)} {pct(server, 50):.2f} {pct(server, 99):.2f} "
          f"{pct(client, 50):.2f} {pct(client, 99):.2f} {errors}")


def bench_geolocate(store: Store, env: dict[str, str], clients: int, seconds: float) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://localhost:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve"],
                            env={**env, "STRATA_PORT": str(port)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        httpx.get(f"{base}/geolocate", params={"lon": 4.35, "lat": 50.85}, timeout=10)
        # baseline: the same work from Python, one connection, no HTTP
        from linking.geolocate import geolocate
        from versioning.instants import parse_instant
        direct = []
        with store.connect() as conn:
            for lon, lat in lonlat(2000, 3):
                t = time.perf_counter()
                geolocate(conn, store.catalogue, store.responsibility, lon, lat, CRS84,
                          parse_instant("2022-06-01"))
                direct.append((time.perf_counter() - t) * 1000)
        out = subprocess.run([sys.executable, __file__, "--load", base, "--clients",
                              str(clients), "--seconds", str(seconds)], capture_output=True,
                             text=True, check=True).stdout.split()
        n, s50, s99, c50, c99, errors = out
        print(f"/geolocate, {clients} concurrent clients for {seconds:g} s "
              f"(load from a second process):")
        print(f"  {n} answers ({int(n) / seconds:.0f}/s), {errors} errors")
        print(f"  server time p50 {float(s50):.2f} ms, p99 {float(s99):.2f} ms "
              f"(targets 5 / 20 ms)")
        print(f"  client time p50 {float(c50):.2f} ms, p99 {float(c99):.2f} ms")
        print(f"  baseline, Python straight to PostGIS, 1 connection: p50 "
              f"{pct(direct, 50):.2f} ms, p99 {pct(direct, 99):.2f} ms; server p50 / "
              f"baseline p50 = {float(s50) / pct(direct, 50):.2f}x")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def bench_link(store: Store, n: int) -> None:
    geom, at = seeded(n)
    tgts = targets(store.catalogue, ["municipalities", "districts", "streets"], 50)
    t = time.perf_counter()
    ours = link(store.connect, tgts, Records(np.arange(n), at, geom), workers=2)
    t_ours = time.perf_counter() - t

    t = time.perf_counter()
    with store.connect() as conn:
        layers = versioned_layers(conn, tgts)
    frame = gpd.GeoDataFrame({"at": at}, geometry=geom, crs=31370,
                             index=pd.Index(np.arange(n), name="rid"))
    plain = link_frame(frame, layers)
    t_gpd = time.perf_counter() - t

    import dask_geopandas
    from distributed import Client
    from distributed import LocalCluster as DaskCluster

    with DaskCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster):
        t = time.perf_counter()
        on_dask = link_dask(dask_geopandas.from_geopandas(frame, npartitions=8),
                            layers).compute().sort_index()
        t_dask = time.perf_counter() - t

    def differ(a: pd.DataFrame, b: pd.DataFrame) -> int:
        bad = 0
        for col in ("municipalities_id", "districts_id", "streets_id"):
            x, y = a[col].astype("string"), b[col].astype("string")
            bad += int((~((x.isna() & y.isna()) | (x == y))).sum())
        return bad

    print(f"bulk link of {n:,} seeded points (synthetic) to municipalities + districts + "
          f"nearest street within 50 m, each as of its own date:")
    print(f"  Strata (PostGIS, 2 connections): {t_ours:.1f} s "
          f"({n / t_ours:,.0f} points/s)")
    print(f"  geopandas sjoin + sjoin_nearest: {t_gpd:.1f} s -> Strata is "
          f"{t_gpd / t_ours:.2f}x as fast (target >= 1x)")
    print(f"  Dask (dask-geopandas, 2 local workers): {t_dask:.1f} s")
    print(f"  records that differ: Strata vs geopandas {differ(ours, plain)}, "
          f"Strata vs Dask {differ(ours, on_dask)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000,
                    help="points of the bulk link (0: only the geolocation part)")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--load", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load:
        load_main(args.load, args.clients, args.seconds)
        return
    url = os.environ.get("STRATA_DATABASE_URL") or LocalCluster(cluster_root(PROJECT_ROOT)).up()
    schema = f"bench_link_{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "STRATA_DATABASE_URL": url, "STRATA_SCHEMA_NAME": schema}
    subprocess.run([sys.executable, "-m", "services.cli.main", "load"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    store = Store(StoreSettings(database_url=url, schema_name=schema))
    try:
        bench_geolocate(store, env, args.clients, args.seconds)
        if args.points:
            bench_link(store, args.points)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


if __name__ == "__main__":
    main()
