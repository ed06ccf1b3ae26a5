# SPDX-License-Identifier: EUPL-1.2
"""Benchmark of Strata's time-aware vector tiles against tipg's tile endpoint, in one run.

Two layers. The seeded synthetic layer of bench_store.py (N buildings, 12 monthly editions),
loaded by bench_service.py's ``load``: Strata serves the versioned layer and answers the map
of a past date (``datetime=2024-06-15``, between two editions). The real streets (three
editions, ``strata load`` into a schema of the bench): Strata answers ``2020-06-01``, between
the first two. tipg (from PyPI, in bench_service.py's peers virtualenv) serves each layer's
current map copied into a plain table. Same machine, same database, same feature cap per tile
(tipg's default, 10,000: Strata's cap is set to it), the same attributes (tipg sends every
column of its table; Strata sends them too, the key and the lifespan). wrk (from Debian)
cycles through every tile over the layer's area at zoom 12, 14 and 16 (the same tiles, in
the same order, for both servers), with 1 and 8 connections, bounded in time, after the
tables are vacuumed and analysed and both servers warmed alike (every tile asked once); then
a past-date building tile asked again with its ETag (304) against the same tile without it
(made anew every time). Strata runs twice: with its tile caches off
(STRATA_TILE_CACHE_BYTES=0 and STRATA_TILE_DISK_CACHE_BYTES=0: every tile made anew, the
comparison with tipg that says how fast PostGIS makes them) and on (its default: a tile made
once is served again by its ETag, which names everything its bytes depend on, from the
worker's memory or the folder the workers share); the cached server is warmed like the
others (every tile asked once), so its cells are cache hits.
Prints requests/s and p50 / p99 and the ratios.

Usage: .venv/bin/python bench/bench_tiles.py [--features N] [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).parent))
from bench_service import SCHEMA, load, peers_venv, start  # noqa: E402

from layers.catalogue import PROJECT_ROOT  # noqa: E402
from services.localdb import LocalCluster, cluster_root  # noqa: E402
from versioning.tiles import tiles_over  # noqa: E402

ZOOMS = (12, 14, 16)
PAST = "2024-06-15"  # between the editions of June and July
CAP = 10_000  # tipg's default max_features_per_tile
ATTRIBUTES = "height,use,floors"
LOADS: list[float] = []  # the machine's 1-minute load after each cell (others may share it)
STREETS_SCHEMA = "bench_tiles_streets"
STREETS_PAST = "2020-06-01"  # between the streets' editions of April and October 2020


def settle(url: str, patience: float = 60.0) -> None:
    """Let the database finish what a previous cell left running, for at most ``patience``
    seconds; unlike bench_service.wait_idle it cancels nothing (the cluster may serve others
    than this bench)."""
    query = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
             "AND state = 'active' AND pid <> pg_backend_pid()")
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.time() + patience
        while (conn.execute(query).fetchone() or (0,))[0] and time.time() < deadline:
            time.sleep(0.5)


def wrk_script(base: str, paths: list[str], connections: int, seconds: int,
               headers: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms): wrk cycling through ``paths`` on ``base``, bounded in
    time, loopback only (bench_service.wrk's settings, with a script for many paths)."""
    lua = "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\nlocal i = 0\n"
    lua += "".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n"
                   for k, v in (headers or {}).items())
    lua += ("request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format('GET', paths[i])\nend\n")
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua)
        script.flush()
        out = subprocess.run(["wrk", f"-t{min(connections, 2)}", f"-c{connections}",
                              f"-d{seconds}s", "--latency", "--timeout", "30s", "-s",
                              script.name, base], capture_output=True, text=True,
                             check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if failed:
        raise RuntimeError(f"{base}{paths[0]}: {failed.group(1)} failed responses")
    return rps, pct("50"), pct("99")


def tipg_template(port: int, collection: str) -> str:
    """tipg's tile URL template, as its own TileJSON says (the order of z, x, y included)."""
    tj = httpx.get(f"http://127.0.0.1:{port}/collections/{collection}/tiles/WebMercatorQuad/"
                   "tilejson.json", timeout=30).json()
    return str(tj["tiles"][0]).split(f":{port}", 1)[1].split("?")[0]


def load_streets(url: str) -> None:
    """The real editions (``strata load``) in a schema of the bench, and the streets' current
    map in a plain table for tipg."""
    subprocess.run([sys.executable, "-m", "services.cli.main", "load"], check=True,
                   env={**os.environ, "STRATA_DATABASE_URL": url,
                        "STRATA_SCHEMA_NAME": STREETS_SCHEMA}, stdout=subprocess.DEVNULL)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS public.bench_streets")
        conn.execute(f"CREATE TABLE public.bench_streets AS SELECT fid AS osm_way_id, name_fr, "
                     f"name_nl, geom FROM {STREETS_SCHEMA}.layer_streets "
                     "WHERE sys_to = 'infinity'")
        conn.execute("ALTER TABLE public.bench_streets ADD PRIMARY KEY (osm_way_id)")
        conn.execute("CREATE INDEX ON public.bench_streets USING gist (geom)")
        conn.execute("ANALYZE public.bench_streets")
    print("loaded the real streets", flush=True)


def extent(url: str, table: str) -> tuple[float, float, float, float]:
    """The lon / lat box of a plain table's geometries."""
    with psycopg.connect(url, autocommit=True) as conn:
        box = conn.execute(sql.SQL(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT "
            "ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 31370), 4326) AS b "
            "FROM {}) AS e").format(sql.Identifier("public", table))).fetchone()
    assert box is not None
    return box[0], box[1], box[2], box[3]


def compare(layer: str, bbox: tuple[float, float, float, float], strata: tuple[int, str],
            tipg: tuple[int, str], seconds: int, url: str,
            results: dict[tuple[str, str, int], tuple[float, float, float]],
            counts: dict[str, int]) -> None:
    """Strata and tipg over the same tiles at each zoom, with 1 and 8 connections; each
    server given as (port, path template with {z}, {x}, {y})."""
    for z in ZOOMS:
        tiles = [(t.z, t.x, t.y) for t in tiles_over(bbox, z)]
        counts[f"{layer} z{z}"] = len(tiles)
        paths = {server: [template.replace("{z}", str(z)).replace("{x}", str(x))
                          .replace("{y}", str(y)) for z, x, y in tiles]
                 for server, (_, template) in (("strata", strata), ("tipg", tipg))}
        for server, (port, _) in (("strata", strata), ("tipg", tipg)):
            # warm both alike before any cell is measured: every tile asked once (the
            # database's pages, prepared statements, and Strata's tile cache when it is on)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                for path in paths[server]:
                    answer = client.get(path)
                    assert answer.status_code == 200, (server, path, answer.text[:300])
        for server, (port, _) in (("strata", strata), ("tipg", tipg)):
            for c in (1, 8):
                settle(url)
                cell = wrk_script(f"http://127.0.0.1:{port}", paths[server], c, seconds)
                results[(f"{layer} z{z}", server, c)] = cell
                LOADS.append(os.getloadavg()[0])
                print(f"{layer} z{z}", server, c, cell, f"load {LOADS[-1]:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    url = LocalCluster(cluster_root(PROJECT_ROOT)).up()
    python = peers_venv()
    results: dict[tuple[str, str, int], tuple[float, float, float]] = {}
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="strata-bench-tiles-") as tmp:
        cat_path = load(url, args.features, Path(tmp))
        load_streets(url)
        with psycopg.connect(url, autocommit=True) as conn:  # no autovacuum during the cells
            for table in (f"{SCHEMA}.layer_buildings", "public.bench_buildings",
                          f"{STREETS_SCHEMA}.layer_streets", "public.bench_streets"):
                conn.execute(sql.SQL("VACUUM ANALYZE {}").format(
                    sql.Identifier(*table.split("."))))
        strata_env = {"STRATA_DATABASE_URL": url, "STRATA_WORKERS": "2",
                      "STRATA_TILE_MAX_FEATURES": str(CAP)}
        made = {**strata_env, "STRATA_TILE_CACHE_BYTES": "0",  # every tile made anew
                "STRATA_TILE_DISK_CACHE_BYTES": "0"}
        servers = {
            "strata": start([sys.executable, "-m", "services.cli.main", "serve"],
                            {**made, "STRATA_SCHEMA_NAME": SCHEMA,
                             "STRATA_CATALOGUE": str(cat_path), "STRATA_PORT": "5101"},
                            "http://127.0.0.1:5101/"),
            "strata cached": start([sys.executable, "-m", "services.cli.main", "serve"],
                                   {**strata_env, "STRATA_SCHEMA_NAME": SCHEMA,
                                    "STRATA_CATALOGUE": str(cat_path), "STRATA_PORT": "5105",
                                    "STRATA_CACHE_DIR": str(Path(tmp) / "cache")},
                                   "http://127.0.0.1:5105/"),
            "strata streets": start([sys.executable, "-m", "services.cli.main", "serve"],
                                    {**made, "STRATA_SCHEMA_NAME": STREETS_SCHEMA,
                                     "STRATA_PORT": "5104"}, "http://127.0.0.1:5104/"),
            "tipg": start([str(python), "-m", "uvicorn", "tipg.main:app", "--port", "5103",
                           "--workers", "2", "--log-level", "error"],
                          {"DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["public"]',
                           "TIPG_DB_TABLES": '["public.bench_buildings", '
                                             '"public.bench_streets"]',
                           "TIPG_MAX_FEATURES_PER_TILE": str(CAP)},
                          "http://127.0.0.1:5103/"),
        }
        try:
            compare("buildings", extent(url, "bench_buildings"),
                    (5101, "/collections/buildings/tiles/WebMercatorQuad/{z}/{y}/{x}"
                           f"?datetime={PAST}&properties={ATTRIBUTES}"),
                    (5103, tipg_template(5103, "public.bench_buildings")), args.seconds, url,
                    results, counts)
            compare("buildings, cache", extent(url, "bench_buildings"),
                    (5105, "/collections/buildings/tiles/WebMercatorQuad/{z}/{y}/{x}"
                           f"?datetime={PAST}&properties={ATTRIBUTES}"),
                    (5103, tipg_template(5103, "public.bench_buildings")), args.seconds, url,
                    results, counts)
            compare("streets", extent(url, "bench_streets"),
                    (5104, "/collections/streets/tiles/WebMercatorQuad/{z}/{y}/{x}"
                           f"?datetime={STREETS_PAST}"),
                    (5103, tipg_template(5103, "public.bench_streets")), args.seconds, url,
                    results, counts)
            # a past-date tile asked again with its ETag, against the same tile made anew
            middle = tiles_over(extent(url, "bench_buildings"), 14)
            t = middle[len(middle) // 2]
            path = (f"/collections/buildings/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}"
                    f"?datetime={PAST}&properties={ATTRIBUTES}")
            etag = httpx.get(f"http://127.0.0.1:5101{path}", timeout=60).headers["etag"]
            for c in (1, 8):
                settle(url)
                results[("fresh", "strata", c)] = wrk_script(
                    "http://127.0.0.1:5101", [path], c, args.seconds)
                results[("304", "strata", c)] = wrk_script(
                    "http://127.0.0.1:5101", [path], c, args.seconds, {"If-None-Match": etag})
                results[("hit", "strata", c)] = wrk_script(
                    "http://127.0.0.1:5105", [path], c, args.seconds)
        finally:
            for proc in servers.values():
                proc.terminate()
            for proc in servers.values():
                proc.wait(timeout=30)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
                conn.execute(f"DROP SCHEMA IF EXISTS {STREETS_SCHEMA} CASCADE")
                conn.execute("DROP TABLE IF EXISTS public.bench_buildings")
                conn.execute("DROP TABLE IF EXISTS public.bench_streets")
    print(f"\nVector tiles, Strata (the map of a past date) vs tipg (the current table): "
          f"{args.features:,} synthetic buildings (seeded, 12 editions) at {PAST}, the real "
          f"streets (3 editions) at {STREETS_PAST}; 2 cores, 2 workers each, wrk on loopback, "
          f"{args.seconds} s per cell, every tile over the layer's area in turn; cap "
          f"{CAP:,} features per tile for both. req/s (p50 / p99 ms)")
    for c in (1, 8):
        print(f"\n{c} connection(s)")
        print(f"{'layer, zoom (tiles)':<26}{'strata':>28}{'tipg':>28}  req/s ratio  p50 ratio")
        for cell, n in counts.items():
            s, t = results[(cell, "strata", c)], results[(cell, "tipg", c)]
            print(f"{f'{cell} ({n})':<26}"
                  f"{f'{s[0]:8.1f} ({s[1]:7.2f} / {s[2]:8.2f})':>28}"
                  f"{f'{t[0]:8.1f} ({t[1]:7.2f} / {t[2]:8.2f})':>28}"
                  f"  {s[0] / t[0]:10.2f}x  {t[1] / s[1]:8.2f}x")
        fresh = results[("fresh", "strata", c)]
        print(f"{'past-date tile, z14':<26}{'fresh (made anew)':>28}{'again':>28}")
        for label, key in (("ETag: 304", "304"), ("tile cache hit", "hit")):
            again = results[(key, "strata", c)]
            print(f"{'buildings, ' + label:<26}"
                  f"{f'{fresh[0]:8.1f} ({fresh[1]:7.2f} / {fresh[2]:8.2f})':>28}"
                  f"{f'{again[0]:8.1f} ({again[1]:7.2f} / {again[2]:8.2f})':>28}"
                  f"  {again[0] / fresh[0]:10.2f}x  {fresh[1] / again[1]:8.2f}x")
    print("\nratios: Strata / tipg in requests/s, tipg / Strata in p50 (above 1: Strata ahead);"
          " 304 or cache hit / fresh likewise")
    print(f"1-minute load after the cells: {min(LOADS):.2f} to {max(LOADS):.2f} (2 cores; the "
          "bench itself keeps about 2 busy)")
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
