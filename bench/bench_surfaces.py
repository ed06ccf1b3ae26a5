# SPDX-License-Identifier: EUPL-1.2
"""Benchmark of the NO2 surfaces' coverage routes (issue 14): measured and printed, never
asserted.

The real store (``strata load`` into a schema of the bench, surfaces included), served by
``strata serve`` on a free port; sequential requests with httpx from this process:
- a 1 km² subset (``subset=E(..),N(..)``, GeoTIFF) at random places in the region, 2021;
- the whole region as GeoTIFF (a COG, both bands);
- zonal statistics of the 145 districts (route), and the same computation in process.
Prints p50 / p90 / max in milliseconds.

Usage: .venv/bin/python bench/bench_surfaces.py [--requests N]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from layers.catalogue import PROJECT_ROOT
from linking.surfaces import mid_year, zonal_statistics
from services.localdb import LocalCluster, cluster_root
from services.settings import StoreSettings
from services.store import Store
from services.surface_files import surfaces_root
from versioning.surfaces import surfaces

SCHEMA = "bench_surfaces"
REGION = (141_150.0, 161_450.0, 158_050.0, 178_200.0)  # the grid's bounds (EPSG:31370)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _times(label: str, run: int, call) -> None:  # type: ignore[no-untyped-def]
    spent = []
    for i in range(run):
        start = time.perf_counter()
        call(i)
        spent.append((time.perf_counter() - start) * 1000)
    spent.sort()
    print(f"{label:<48} n={run:<4} p50 {statistics.median(spent):8.1f} ms   "
          f"p90 {spent[int(0.9 * (run - 1))]:8.1f} ms   max {spent[-1]:8.1f} ms")


def main() -> None:
    """Load if needed, serve, measure, print."""
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--requests", type=int, default=200)
    n = args.parse_args().requests
    url = os.environ.get("STRATA_DATABASE_URL") or LocalCluster(cluster_root(PROJECT_ROOT)).up()
    env = {**os.environ, "STRATA_DATABASE_URL": url, "STRATA_SCHEMA_NAME": SCHEMA}
    store = Store(StoreSettings(database_url=url, schema_name=SCHEMA))
    with store.connect() as conn:
        known = surfaces(conn, "no2_surface")
    if not known:
        subprocess.run([sys.executable, "-m", "services.cli.main", "load"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    port = _free_port()
    base = f"http://localhost:{port}"
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        proc = subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve"],
                                env={**env, "STRATA_PORT": str(port)}, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 120
            while True:
                try:
                    if httpx.get(f"{base}/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise SystemExit(Path(log.name).read_text()[-2000:]) from None
                    time.sleep(0.3)
            _measure(base, store, n)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _measure(base: str, store: Store, n: int) -> None:
    coverage = f"{base}/collections/no2_surface/coverage"
    rng = random.Random(14)
    boxes = []
    for _ in range(n):
        x = rng.uniform(REGION[0] + 2000, REGION[2] - 3000)
        y = rng.uniform(REGION[1] + 2000, REGION[3] - 3000)
        boxes.append(f"E({x:.0f}:{x + 1000:.0f}),N({y:.0f}:{y + 1000:.0f})")
    with httpx.Client(timeout=60) as client:
        client.get(coverage, params={"datetime": "2021-06-15"})  # warm the pool

        def subset(i: int) -> None:
            r = client.get(coverage, params={"datetime": "2021-06-15", "subset": boxes[i]})
            r.raise_for_status()

        def whole(i: int) -> None:
            client.get(coverage, params={"datetime": "2021-06-15"}).raise_for_status()

        def zonal(i: int) -> None:
            client.get(f"{base}/collections/no2_surface/zonal-statistics",
                       params={"datetime": "2021-06-15", "zones": "districts"}
                       ).raise_for_status()

        size = len(client.get(coverage, params={"datetime": "2021-06-15"}).content)
        _times("1 km² subset, GeoTIFF (20 x 20 cells, 2 bands)", n, subset)
        _times(f"whole region, GeoTIFF COG ({size / 1e6:.2f} MB)", max(10, n // 10), whole)
        _times("zonal statistics, 145 districts (route)", max(10, n // 10), zonal)
    root = surfaces_root(store.settings)
    with store.connect() as conn:
        _times("zonal statistics, 145 districts (in process)", max(10, n // 10),
               lambda i: zonal_statistics(conn, store.catalogue, root, "no2_surface",
                                          mid_year(2021), "districts"))


if __name__ == "__main__":
    main()
