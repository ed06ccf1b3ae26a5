# SPDX-License-Identifier: EUPL-1.2
"""Benchmark of the NO2 surfaces' coverage routes (issue 14): measured and printed, never
asserted.

The real store (``strata load`` into a schema of the bench, surfaces included), served by
``strata serve`` on a free port; sequential requests with httpx from this process:
- a 1 km² subset (``subset=E(..),N(..)``, GeoTIFF) at random places in the region, 2021;
- the whole region as GeoTIFF (a COG, both bands);
- zonal statistics of the 145 districts (route), and the same computation in process.
Side by side, in the same run: pygeoapi's own rasterio coverage provider (the pygeoapi of
Strata's virtualenv, under uvicorn) serving the same 2021 COG file, asked the same boxes
(``subset=x(..),y(..)``, native GeoTIFF) and the whole file. pygeoapi has no zonal statistics
and ignores ``datetime`` (one file per collection): those rows have no peer.
Prints p50 / p90 / max in milliseconds, and Strata's p50 against pygeoapi's.

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

sys.path.insert(0, str(Path(__file__).parent))
from bench_service import free_port, served_real_store, start  # noqa: E402

from linking.surfaces import mid_year, zonal_statistics  # noqa: E402
from services.store import Store  # noqa: E402
from services.surface_files import surfaces_root  # noqa: E402
from versioning.surfaces import surfaces  # noqa: E402

SCHEMA = "bench_surfaces"
REGION = (141_150.0, 161_450.0, 158_050.0, 178_200.0)  # the grid's bounds (EPSG:31370)


def _times(label: str, run: int, call) -> float:  # type: ignore[no-untyped-def]
    spent = []
    for i in range(run):
        start = time.perf_counter()
        call(i)
        spent.append((time.perf_counter() - start) * 1000)
    spent.sort()
    print(f"{label:<48} n={run:<4} p50 {statistics.median(spent):8.1f} ms   "
          f"p90 {spent[int(0.9 * (run - 1))]:8.1f} ms   max {spent[-1]:8.1f} ms")
    return statistics.median(spent)


def pygeoapi_config(cog: Path, port: int) -> dict:  # type: ignore[type-arg]
    """A pygeoapi configuration of one coverage collection: the COG through pygeoapi's
    rasterio provider."""
    return {
        "server": {"bind": {"host": "127.0.0.1", "port": port},
                   "url": f"http://localhost:{port}", "mimetype": "application/json",
                   "encoding": "utf-8", "languages": ["en-US"], "pretty_print": False,
                   "limits": {"default_items": 10, "max_items": 10},
                   "map": {"url": "http://localhost/{z}/{x}/{y}.png", "attribution": "none"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "peer", "description": "peer",
                                        "keywords": ["no2"], "keywords_type": "theme",
                                        "terms_of_service": "https://example.org",
                                        "url": "https://example.org"},
                     "license": {"name": "CC-BY 4.0", "url": "https://example.org"},
                     "provider": {"name": "bench", "url": "https://example.org"},
                     "contact": {"name": "bench", "position": "bench", "address": "-",
                                 "city": "Brussels", "stateorprovince": "-", "postalcode": "-",
                                 "country": "BE", "phone": "-", "fax": "-", "email": "-",
                                 "url": "https://example.org", "hours": "-",
                                 "instructions": "-", "role": "pointOfContact"}},
        "resources": {"no2_2021": {
            "type": "collection", "title": "NO2 2021", "description": "the same COG",
            "keywords": ["no2"], "links": [],
            "extents": {"spatial": {"bbox": [4.24, 50.76, 4.48, 50.92],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "coverage", "name": "rasterio", "data": str(cog),
                           "format": {"name": "GTiff", "mimetype": "image/tiff"}}]}}}


def start_pygeoapi(cog: Path, workdir: Path) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    """pygeoapi (uvicorn, one worker) serving ``cog`` on a free port; its process and URL."""
    import yaml

    port = free_port()
    config, openapi = workdir / "pygeoapi.yml", workdir / "openapi.yml"
    config.write_text(yaml.safe_dump(pygeoapi_config(cog, port)))
    env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    cli = Path(sys.executable).parent / "pygeoapi"
    subprocess.run([str(cli), "openapi", "generate", str(config), "--output-file",
                    str(openapi)], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL)
    base = f"http://localhost:{port}"
    proc = start([sys.executable, "-m", "uvicorn", "pygeoapi.starlette_app:APP", "--port",
                  str(port), "--log-level", "error"], env, f"{base}/collections/no2_2021")
    return proc, base


def main() -> None:
    """Load if needed, serve, measure, print."""
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--requests", type=int, default=200)
    n = args.parse_args().requests

    def loaded(store: Store) -> bool:
        with store.connect() as conn:
            return bool(surfaces(conn, "no2_surface"))

    with served_real_store(SCHEMA, loaded) as (base, store, _), \
            tempfile.TemporaryDirectory() as work:
        peer, peer_base = start_pygeoapi(_cog(store, "2021"), Path(work))
        try:
            _measure(base, peer_base, store, n)
        finally:
            peer.terminate()
            peer.wait(timeout=30)


def _cog(store: Store, period: str) -> Path:
    with store.connect() as conn:
        chosen = [s for s in surfaces(conn, "no2_surface") if s["period"] == period]
    return surfaces_root(store.settings) / chosen[0]["file_name"]


def _measure(base: str, peer: str, store: Store, n: int) -> None:
    coverage = f"{base}/collections/no2_surface/coverage"
    peer_coverage = f"{peer}/collections/no2_2021/coverage"
    rng = random.Random(14)
    corners = []
    for _ in range(n):
        corners.append((rng.uniform(REGION[0] + 2000, REGION[2] - 3000),
                        rng.uniform(REGION[1] + 2000, REGION[3] - 3000)))
    boxes = [f"E({x:.0f}:{x + 1000:.0f}),N({y:.0f}:{y + 1000:.0f})" for x, y in corners]
    peer_boxes = [f"x({x:.0f}:{x + 1000:.0f}),y({y:.0f}:{y + 1000:.0f})" for x, y in corners]
    ratios = {}
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

        def peer_subset(i: int) -> None:
            r = client.get(peer_coverage, params={"subset": peer_boxes[i], "f": "GTiff"})
            r.raise_for_status()

        def peer_whole(i: int) -> None:
            client.get(peer_coverage, params={"f": "GTiff"}).raise_for_status()

        size = len(client.get(coverage, params={"datetime": "2021-06-15"}).content)
        peer_size = len(client.get(peer_coverage, params={"f": "GTiff"}).content)
        peer_subset(0)  # warm the peer
        ratios["1 km² subset"] = (
            _times("1 km² subset, GeoTIFF (20 x 20 cells, 2 bands)", n, subset),
            _times("  pygeoapi rasterio provider, same boxes", n, peer_subset))
        ratios["whole region"] = (
            _times(f"whole region, GeoTIFF COG ({size / 1e6:.2f} MB)", max(10, n // 10), whole),
            _times(f"  pygeoapi rasterio provider, whole file ({peer_size / 1e6:.2f} MB)",
                   max(10, n // 10), peer_whole))
        _times("zonal statistics, 145 districts (route; no peer)", max(10, n // 10), zonal)
    root = surfaces_root(store.settings)
    with store.connect() as conn:
        _times("zonal statistics, 145 districts (in process)", max(10, n // 10),
               lambda i: zonal_statistics(conn, store.catalogue, root, "no2_surface",
                                          mid_year(2021), "districts"))
    print("\np50, pygeoapi / Strata (above 1: Strata faster):")
    for label, (ours, theirs) in ratios.items():
        print(f"  {label:<16} {theirs / ours:6.2f}  (Strata {ours:.1f} ms, pygeoapi "
              f"{theirs:.1f} ms)")


if __name__ == "__main__":
    main()
