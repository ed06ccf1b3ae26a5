# SPDX-License-Identifier: EUPL-1.2
"""Benchmark of reads on a streaming standby, in one run on this machine.

A layer of N SYNTHETIC buildings (seeded, bench_store.py), three editions a month apart,
in its own schema of the local cluster; a standby of that cluster (`strata db replica up`).

1. The routing's cost per request: a light query on a standby's pooled connection taken
   directly, against the same through the router (the request's instant read from its
   query, the standby chosen, its connection taken): p50 of each, interleaved.
2. Past-date reads through the standby against the primary: two `strata serve`, one with
   STRATA_READ_URLS (every dated read answered by the standby, checked by its
   Strata-Served-By), one without; wrk cycles through the same dated 1 km2 pages on both,
   bounded in time, alternately, twice; requests/s and p50, and the ratio.
3. How long reads of now stay on the primary after an edition: a new edition imported with
   the standby's recovery_min_apply_delay at 0 and at 2 s; the time until the router sends a
   read of now to the standby again (the standby needs the newest edition, whatever the
   lag in bytes; past dates stay on the standby all along).

Usage: .venv/bin/python bench/bench_scaleout.py [--features N] [--seconds S]
Needs wrk (Debian); `make bench` installs it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import psycopg
import yaml
from psycopg.conninfo import conninfo_to_dict

sys.path.insert(0, str(Path(__file__).parent))
from bench_service import start  # noqa: E402
from bench_store import CATALOGUE, batch_of, buildings, mutate  # noqa: E402
from bench_tiles import settle, wrk_script  # noqa: E402

from layers.catalogue import PROJECT_ROOT, load_catalogue  # noqa: E402
from linking.roles import READER, role_url  # noqa: E402
from services.localdb import LocalCluster, cluster_root, free_port  # noqa: E402
from services.localstandby import LocalStandby  # noqa: E402
from services.replicas import ROUTE, RouteState, make_router, read_instant  # noqa: E402
from services.settings import ServiceSettings  # noqa: E402
from versioning.database import connect  # noqa: E402
from versioning.importer import import_batch  # noqa: E402
from versioning.instants import day_start  # noqa: E402
from versioning.schema import ensure_layer, migrate  # noqa: E402

SCHEMA = "bench_scaleout"
DAYS = [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
PAST = "2024-01-15"


def _url(conninfo: str) -> str:
    i = conninfo_to_dict(conninfo)
    return f"postgresql://{i['user']}:{i.get('password', '')}@{i['host']}:{i['port']}/{i['dbname']}"


def load(url: str, n: int, workdir: Path) -> tuple[Path, object, object]:
    """The synthetic layer, three editions; the catalogue file and the frame of the last."""
    cat_path = workdir / "layers.yml"
    cat_path.write_text(yaml.safe_dump(CATALOGUE))
    spec = load_catalogue(cat_path).layer("buildings")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    frame = buildings(n, seed=7)
    with connect(url, SCHEMA) as conn:
        migrate(conn, SCHEMA)
        ensure_layer(conn, spec)
        for month, day in enumerate(DAYS):
            frame = frame if month == 0 else mutate(frame, month, n // 50)
            import_batch(conn, batch_of(frame, spec), day, "synthetic.gpkg", f"bench-{month}")
    with psycopg.connect(url, autocommit=True) as conn:  # the reader role reads the schema
        conn.execute(f'GRANT USAGE ON SCHEMA "{SCHEMA}" TO strata_reader')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{SCHEMA}" TO strata_reader')
    return cat_path, spec, frame


def pages(count: int) -> list[str]:
    """Dated 1 km2 pages over the synthetic buildings (EPSG:31370 141-158 km, 161-178 km)."""
    from pyproj import Transformer

    to84 = Transformer.from_crs(31370, 4326, always_xy=True)
    rng = np.random.default_rng(11)
    out = []
    for _ in range(count):
        x, y = rng.uniform(141_000, 157_000), rng.uniform(161_000, 177_000)
        (x0, x1), (y0, y1) = to84.transform([x, x + 1000], [y, y + 1000])
        out.append(f"/collections/buildings/items?bbox={x0:.6f},{y0:.6f},{x1:.6f},{y1:.6f}"
                   f"&datetime={PAST}&limit=1000")
    return out


def routing_cost(router, rounds: int) -> tuple[float, float, float]:
    """(direct p50 ms, routed p50 ms, decision alone p50 us)."""
    standby = router.standbys[0]
    path, query = "/collections/buildings/items", f"datetime={PAST}&limit=10"
    direct, routed, decide = [], [], []
    for _ in range(rounds):
        t = time.perf_counter()
        with standby.pool.connection() as conn:
            conn.execute("SELECT 1").fetchone()
        direct.append(time.perf_counter() - t)
        t = time.perf_counter()
        token = ROUTE.set(RouteState(at=read_instant(path, query)))
        with router.connection() as conn:
            conn.execute("SELECT 1").fetchone()
        state = ROUTE.get()
        ROUTE.reset(token)
        routed.append(time.perf_counter() - t)
        assert state is not None and state.served_by == standby.name, state
        t = time.perf_counter()
        router._choose(RouteState(at=read_instant(path, query)))  # noqa: SLF001
        decide.append(time.perf_counter() - t)
    return (statistics.median(direct) * 1e3, statistics.median(routed) * 1e3,
            statistics.median(decide) * 1e6)


def now_back_on_standby(url: str, spec, frame, router, standby: LocalStandby, delay: str,
                        month: int) -> tuple[float, bool]:
    """Seconds from an edition's commit until a read of now goes to the standby again, and
    whether a past-date read stayed on the standby meanwhile."""
    standby.up(delay)
    time.sleep(1.0)
    frame = mutate(frame, month, 200)
    with connect(url, SCHEMA) as conn:
        import_batch(conn, batch_of(frame, spec), DAYS[-1] + dt.timedelta(days=31 * month),
                     "synthetic.gpkg", f"bench-{month}")
    done = time.perf_counter()
    past_ok = True
    while time.perf_counter() - done < 60:
        if router._choose(RouteState(at=day_start(DAYS[0]))) is None:  # noqa: SLF001
            past_ok = False
        if router._choose(RouteState()) is not None:  # noqa: SLF001
            return time.perf_counter() - done, past_ok
        time.sleep(0.02)
    return float("inf"), past_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    local = LocalCluster(cluster_root(PROJECT_ROOT))
    url = os.environ.get("STRATA_DATABASE_URL") or local.up()
    standby = LocalStandby.of(local)
    standby.up("0")
    standby_reader = _url(role_url(standby.url(), READER))
    primary_reader = _url(role_url(url, READER))
    with tempfile.TemporaryDirectory(prefix="strata-bench-scaleout-") as tmp:
        cat_path, spec, frame = load(url, args.features, Path(tmp))
        time.sleep(2)  # the standby replays the load
        service = ServiceSettings(read_urls=standby_reader)
        router = make_router(primary_reader, primary_reader, SCHEMA, service)
        direct, routed, decide = routing_cost(router, 3000)
        print(f"routing: direct {direct:.3f} ms, routed {routed:.3f} ms p50 "
              f"(+{routed - direct:.3f} ms); the decision alone {decide:.1f} us", flush=True)

        env = {"STRATA_DATABASE_URL": url, "STRATA_SCHEMA_NAME": SCHEMA,
               "STRATA_CATALOGUE": str(cat_path), "STRATA_MAX_ITEMS": "1000"}
        ports = {"standby": free_port(5600), "primary": free_port(5700)}
        servers = {
            "standby": start([sys.executable, "-m", "services.cli.main", "serve"],
                             {**env, "STRATA_PORT": str(ports["standby"]),
                              "STRATA_READ_URLS": standby_reader},
                             f"http://127.0.0.1:{ports['standby']}/conformance"),
            "primary": start([sys.executable, "-m", "services.cli.main", "serve"],
                             {**env, "STRATA_PORT": str(ports["primary"])},
                             f"http://127.0.0.1:{ports['primary']}/conformance")}
        try:
            paths = pages(200)
            for name, port in ports.items():
                r = httpx.get(f"http://127.0.0.1:{port}{paths[0]}", timeout=60)
                assert r.status_code == 200, r.text[:300]
                assert r.headers.get("strata-served-by", "primary").startswith(name), r.headers
                wrk_script(f"http://127.0.0.1:{port}", paths, 4, 3)  # warm alike
            cells: dict[str, list[tuple[float, float, float]]] = {"standby": [], "primary": []}
            for _ in range(2):
                for name in ("primary", "standby"):
                    settle(url)
                    cells[name].append(wrk_script(f"http://127.0.0.1:{ports[name]}", paths,
                                                  4, args.seconds))
                    print(name, cells[name][-1], f"load {os.getloadavg()[0]:.2f}", flush=True)
        finally:
            for proc in servers.values():
                proc.terminate()
                proc.wait(15)
        rps = {k: statistics.median(c[0] for c in v) for k, v in cells.items()}
        p50 = {k: statistics.median(c[1] for c in v) for k, v in cells.items()}
        print(f"past-date pages (1 km2, 4 connections): standby {rps['standby']:.1f} req/s "
              f"p50 {p50['standby']:.1f} ms; primary {rps['primary']:.1f} req/s p50 "
              f"{p50['primary']:.1f} ms; standby / primary {rps['standby'] / rps['primary']:.2f}")

        for month, delay in ((1, "0"), (2, "2s")):
            seconds, past_ok = now_back_on_standby(url, spec, frame, router, standby, delay,
                                                   month)
            print(f"apply delay {delay}: reads of now back on the standby {seconds:.2f} s after "
                  f"the edition's commit; past dates stayed on the standby: {past_ok}",
                  flush=True)
        standby.up("0")
        router.close()
        for pool in (router.primary, *(s.pool for s in router.standbys)):
            pool.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
