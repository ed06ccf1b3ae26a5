# SPDX-License-Identifier: EUPL-1.2
"""Benchmark of the OGC API service against its peers, from the same database, in one run.

The seeded synthetic layer of bench_store.py (N buildings, 12 monthly editions) is served
by Strata; its current map, copied into a plain table, is served by pygeoapi's own
PostgreSQL provider and by tipg (both from PyPI, in a virtualenv of their own). wrk (from
Debian) loads each server from this machine's loopback, bounded in time, with 1 and 8
connections; the script prints requests/s and p50 / p99 per query and the ratios.

Each server is asked for GeoJSON (tipg's is ``f=geojson``; its ``f=json`` is a list of rows
with EWKT geometries, measured apart as "tipg rows"), and before a query is timed, every
server's answer must hold the same features in the same order as Strata's.

Usage: .venv/bin/python bench/bench_service.py [--features N] [--seconds S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import yaml
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).parent))
from bench_store import CATALOGUE, batch_of, buildings, mutate  # noqa: E402

from layers.catalogue import PROJECT_ROOT, load_catalogue  # noqa: E402
from services.localdb import LocalCluster, cluster_root  # noqa: E402
from services.pygeoapi_config import crs_list  # noqa: E402
from services.settings import StoreSettings  # noqa: E402
from services.store import Store  # noqa: E402
from versioning.database import connect  # noqa: E402
from versioning.importer import import_batch  # noqa: E402
from versioning.pages import PageQuery, page  # noqa: E402
from versioning.schema import ensure_layer, migrate  # noqa: E402

PEERS = PROJECT_ROOT / ".strata" / "bench-peers-venv"
SCHEMA = "bench_service"


def load(url: str, n: int, workdir: Path) -> Path:
    """The versioned layer (12 editions) and a plain copy of its current map."""
    cat_path = workdir / "layers.yml"
    cat_path.write_text(yaml.safe_dump(CATALOGUE))
    spec = load_catalogue(cat_path).layer("buildings")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute("DROP TABLE IF EXISTS public.bench_buildings")
    frame = buildings(n, seed=7)
    with connect(url, SCHEMA) as conn:
        migrate(conn, SCHEMA)
        ensure_layer(conn, spec)
        for month in range(12):
            if month:
                frame = mutate(frame, month, max(n // 100, 30))
            import_batch(conn, batch_of(frame, spec), dt.date(2024, 1 + month, 1), "mem", "-")
        conn.execute(
            "CREATE TABLE public.bench_buildings AS SELECT fid AS building_id, height, use, "
            "floors, geom FROM layer_buildings WHERE sys_to = 'infinity'")
        conn.execute("ALTER TABLE public.bench_buildings ADD PRIMARY KEY (building_id)")
        conn.execute("CREATE INDEX ON public.bench_buildings USING gist (geom)")
        conn.execute("ANALYZE public.bench_buildings")
        conn.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO strata_reader")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO strata_reader")
    print(f"loaded {n:,} buildings, 12 editions", flush=True)
    return cat_path


def peers_venv() -> Path:
    """pygeoapi (with its PostgreSQL provider's drivers) and tipg, outside our venv."""
    python = PEERS / "bin" / "python"
    if not python.exists():
        finder = PROJECT_ROOT / "scripts" / "find-python.sh"
        base = subprocess.run([str(finder)], capture_output=True, text=True, check=True)
        subprocess.run([base.stdout.strip(), "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pygeoapi==0.24.0",
                        "geoalchemy2", "psycopg2-binary", "tipg==1.6.1", "uvicorn[standard]"],
                       check=True)
    return python


def pygeoapi_config(url: str, port: int, workdir: Path) -> dict[str, str]:
    info = psycopg.conninfo.conninfo_to_dict(url)
    cfg = {
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": f"http://localhost:{port}",
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "languages": ["en"], "limits": {"default_items": 10, "max_items": 10000},
                   "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                           "attribution": "OSM"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench",
                                        "keywords": ["bench"], "terms_of_service": "x",
                                        "url": "x"},
                     "license": {"name": "x", "url": "http://localhost"},
                     "provider": {"name": "x", "url": "http://localhost"},
                     "contact": {"name": "x"}},
        "resources": {"buildings": {
            "type": "collection", "title": "buildings", "description": "synthetic",
            "keywords": ["bench"],
            "extents": {"spatial": {"bbox": [4.2, 50.7, 4.5, 50.95]}},
            "providers": [{
                "type": "feature", "name": "PostgreSQL",
                "data": {"host": info.get("host", "127.0.0.1"), "port": info.get("port"),
                         "dbname": info["dbname"], "user": info["user"],
                         "password": info.get("password", ""), "search_path": ["public"]},
                "id_field": "building_id", "table": "bench_buildings", "geom_field": "geom",
                "storage_crs": "http://www.opengis.net/def/crs/EPSG/0/31370",
                "crs": crs_list()}]}},
    }
    cfg_path = workdir / "pygeoapi.yml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    oas_path = workdir / "pygeoapi-openapi.yml"
    subprocess.run([str(PEERS / "bin" / "pygeoapi"), "openapi", "generate", str(cfg_path),
                    "--output-file", str(oas_path)], check=True, capture_output=True)
    return {"PYGEOAPI_CONFIG": str(cfg_path), "PYGEOAPI_OPENAPI": str(oas_path)}


def free_port() -> int:
    """A TCP port nobody listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_real_store(schema: str, loaded: Callable[[Store], bool]
                      ) -> Iterator[tuple[str, Store, dict[str, str]]]:
    """The real Brussels store in ``schema`` (``strata load`` first, unless ``loaded``
    says it is there), served by ``strata serve`` on a free port while the block runs:
    (its base URL, the store, the environment that names it)."""
    url = os.environ.get("STRATA_DATABASE_URL") or LocalCluster(cluster_root(PROJECT_ROOT)).up()
    env = {**os.environ, "STRATA_DATABASE_URL": url, "STRATA_SCHEMA_NAME": schema}
    store = Store(StoreSettings(database_url=url, schema_name=schema))
    if not loaded(store):
        subprocess.run([sys.executable, "-m", "services.cli.main", "load"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    base = f"http://localhost:{free_port()}"
    proc = start([sys.executable, "-m", "services.cli.main", "serve"],
                 {**env, "STRATA_PORT": base.rsplit(":", 1)[1]}, f"{base}/")
    try:
        yield base, store, env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def start(cmd: list[str], env: dict[str, str], probe: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(probe, timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"server did not start: {' '.join(cmd)}")


def wait_idle(url: str, patience: float = 60.0) -> None:
    """Let the database finish what a previous cell left running (a server keeps working on
    requests that wrk gave up on); cancel it after ``patience`` seconds."""
    query = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
             "AND state = 'active' AND pid <> pg_backend_pid()")
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.time() + patience
        while pids := [r[0] for r in conn.execute(query)]:
            if time.time() > deadline:
                for pid in pids:
                    conn.execute("SELECT pg_cancel_backend(%s)", (pid,))
                deadline = time.time() + patience
            time.sleep(0.5)


def same_answer(name: str, targets: dict[str, str]) -> None:
    """Each server answers ``name`` with the same features, in the same order, as Strata's
    (GeoJSON, but for tipg's rows): a ratio between different answers would mean nothing."""
    ids = {}
    for server, target in targets.items():
        response = httpx.get(target, timeout=60)
        response.raise_for_status()
        doc = response.json()
        if server == "tipg rows":  # tipg's rows: a list, or one row for one feature
            ids[server] = [r["itemId"] for r in (doc if isinstance(doc, list) else [doc])]
            continue
        if doc.get("type") not in ("Feature", "FeatureCollection"):
            raise RuntimeError(f"{name}: {server} did not answer GeoJSON ({target})")
        ids[server] = [f["id"] for f in doc["features"]] if "features" in doc else [doc["id"]]
    for server, found in ids.items():
        if found != ids["strata"]:
            raise RuntimeError(f"{name}: {server} answers other features than strata "
                               f"({len(found)} against {len(ids['strata'])}; first "
                               f"{found[:3]} against {ids['strata'][:3]})")


def wrk(url: str, connections: int, seconds: int) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) from wrk; bounded in time, loopback only."""
    out = subprocess.run(["wrk", f"-t{min(connections, 2)}", f"-c{connections}",
                          f"-d{seconds}s", "--latency", "--timeout", "30s", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} failed responses")
    return rps, pct("50"), pct("99")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--only", help="run only the queries whose name contains this "
                                       "(e.g. bbox), and none of the extra measures")
    args = parser.parse_args()
    url = LocalCluster(cluster_root(PROJECT_ROOT)).up()
    python = peers_venv()
    to_lonlat = Transformer.from_crs(31370, 4326, always_xy=True)
    x0, y0 = 149_500, 169_500
    (lon1, lat1), (lon2, lat2) = (to_lonlat.transform(x0, y0),
                                  to_lonlat.transform(x0 + 1000, y0 + 1000))
    bbox = f"{lon1:.6f},{lat1:.6f},{lon2:.6f},{lat2:.6f}"
    deep = int(args.features * 0.9)
    with tempfile.TemporaryDirectory(prefix="strata-bench-") as tmp:
        workdir = Path(tmp)
        cat_path = load(url, args.features, workdir)
        servers = {
            "strata": start([sys.executable, "-m", "services.cli.main", "serve"],
                            {"STRATA_DATABASE_URL": url, "STRATA_SCHEMA_NAME": SCHEMA,
                             "STRATA_CATALOGUE": str(cat_path), "STRATA_PORT": "5101",
                             "STRATA_WORKERS": "2"}, "http://127.0.0.1:5101/"),
            "pygeoapi": start([str(python), "-m", "uvicorn", "pygeoapi.starlette_app:APP",
                               "--port", "5102", "--workers", "2", "--log-level", "error"],
                              pygeoapi_config(url, 5102, workdir), "http://127.0.0.1:5102/"),
            "tipg": start([str(python), "-m", "uvicorn", "tipg.main:app", "--port", "5103",
                           "--workers", "2", "--log-level", "error"],
                          {"DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["public"]',
                           "TIPG_DB_TABLES": '["public.bench_buildings"]'},
                          "http://127.0.0.1:5103/"),
        }
        # (port, collection, format) of each column: GeoJSON from each server (tipg's is
        # f=geojson); tipg's f=json, a list of rows with EWKT geometries (not GeoJSON, and
        # cheaper to make), is measured too, as the bench compared it until 01312d5
        columns = {"strata": (5101, "buildings", "json"), "pygeoapi": (5102, "buildings", "json"),
                   "tipg": (5103, "public.bench_buildings", "geojson"),
                   "tipg rows": (5103, "public.bench_buildings", "json")}
        queries = {
            "first page (limit=10)": "items?limit=10",
            "limit=1000": "items?limit=1000",
            "1 km² bbox": f"items?bbox={bbox}&limit=1000",
            "one feature by key": f"items/{args.features // 2}",
            f"deep page (offset={deep:,})": f"items?limit=10&offset={deep}",
        }
        if args.only:
            queries = {k: v for k, v in queries.items() if args.only in k}
        results: dict[tuple[str, str, int], tuple[float, float, float]] = {}
        try:
            for name, q in queries.items():
                targets = {server: f"http://127.0.0.1:{port}/collections/{coll}/{q}"
                           + ("&" if "?" in q else "?") + f"f={fmt}"
                           for server, (port, coll, fmt) in columns.items()}
                same_answer(name, targets)
                for server, target in targets.items():
                    for c in (1, 8):
                        wait_idle(url)
                        results[(name, server, c)] = wrk(target, c, args.seconds)
                        print(name, server, c, results[(name, server, c)], flush=True)
            if not args.only:
                base = "http://127.0.0.1:5101/collections/buildings/items"
                for c in (1, 8):
                    wait_idle(url)
                    results[("deep page by keyset (after=)", "strata", c)] = wrk(
                        f"{base}?limit=10&after={deep}&f=json", c, args.seconds)
                    results[("page as of a past date", "strata", c)] = wrk(
                        f"{base}?limit=10&datetime=2024-06-15&f=json", c, args.seconds)
                # the database alone producing the same GeoJSON page of 1000 features
                wait_idle(url)
                spec = load_catalogue(cat_path).layer("buildings")
                with connect(url, SCHEMA) as conn:
                    page(conn, spec, PageQuery(limit=1000))
                    t = time.perf_counter()
                    for _ in range(20):
                        page(conn, spec, PageQuery(limit=1000))
                    sql_ms = (time.perf_counter() - t) / 20 * 1000
                # INSPIRE QoS: the whole layer's predefined download
                wait_idle(url)
                t = time.perf_counter()
                with httpx.stream("GET", "http://127.0.0.1:5101/collections/buildings/download",
                                  params={"f": "gpkg"}, timeout=600) as r:
                    first_byte = None
                    size = 0
                    for chunk in r.iter_bytes():
                        first_byte = first_byte or time.perf_counter() - t
                        size += len(chunk)
                total = time.perf_counter() - t
        finally:
            for proc in servers.values():
                proc.terminate()
            for proc in servers.values():
                proc.wait(timeout=30)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
                conn.execute("DROP TABLE IF EXISTS public.bench_buildings")
    print(f"\nSynthetic layer of {args.features:,} buildings (seeded), 2 cores, wrk on "
          f"loopback, {args.seconds} s per cell. req/s (p50 / p99 ms)")
    names = list(queries) + ([] if args.only else ["deep page by keyset (after=)",
                                                   "page as of a past date"])
    for c in (1, 8):
        print(f"\n{c} connection(s)")
        print(f"{'query':<32}" + "".join(f"{server:>26}" for server in columns)
              + "".join(f"  vs {server}" for server in columns if server != "strata"))
        for name in names:
            cells, ratios = [], []
            for server in columns:
                r = results.get((name, server, c))
                cells.append("-" if not r else "no answer within the cell" if not r[0]
                             else f"{r[0]:8.1f} ({r[1]:6.1f} / {r[2]:7.1f})")
                if server != "strata":
                    ratio = (f"{results[(name, 'strata', c)][0] / r[0]:.2f}x" if r and r[0]
                             else "")
                    ratios.append(f"  {ratio:>{len(server) + 3}}")
            print(f"{name:<32}" + "".join(f"{x:>26}" for x in cells) + "".join(ratios))
    if not args.only:
        p50 = results[("limit=1000", "strata", 1)][1]
        print(f"\nlimit=1000: the database alone {sql_ms:.1f} ms, the endpoint p50 {p50:.1f} ms "
              f"({p50 / sql_ms:.2f}x)")
        print(f"whole-layer GeoPackage download: first byte after {first_byte:.1f} s, "
              f"{size / 1e6:.0f} MB in {total:.1f} s, "
              f"{args.features / total:,.0f} features/s overall")
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
