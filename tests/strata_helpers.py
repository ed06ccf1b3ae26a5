# SPDX-License-Identifier: EUPL-1.2
"""Helpers shared by the tests (a unique module name: pygeoapi installs a `tests` package)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.catalogue import SHIPPED_DATA as DATA
from versioning.instants import parse_instant
from versioning.reading import snapshot


def snap(env, layer_id, date, epsg=31370):
    spec = env.store.catalogue.layer(layer_id)
    with env.store.connect() as conn:
        batches = list(snapshot(conn, spec, parse_instant(date), epsg))
    if not batches:
        return pd.DataFrame()
    frame = pd.concat([b.to_pandas() for b in batches], ignore_index=True)
    frame["geometry"] = shapely.from_wkb(frame.pop("geom").to_numpy())
    return frame.set_index(spec.key.name)


def source_ways(date):
    raw = json.loads((DATA / f"streets/ways_{date}.geojson").read_text())
    return {f["id"]: (f["properties"], f["geometry"]) for f in raw["features"]}


def free_port() -> int:
    """A TCP port nobody listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(environ: dict[str, str]) -> Iterator[str]:
    """`strata serve` (uvicorn + pygeoapi + Strata's routes) with these settings added to the
    environment, on a port of its own; its base URL while it runs, stopped afterwards. Its
    log goes to a file (a pipe nobody reads would block the server once full)."""
    import os
    import subprocess
    import sys
    import tempfile
    import time

    import httpx

    port = free_port()
    base = f"http://localhost:{port}"
    env = {**os.environ, **environ, "STRATA_PORT": str(port)}
    with tempfile.NamedTemporaryFile(prefix="strata-serve-", suffix=".log") as log:
        proc = subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve"], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 120
            while time.time() < deadline:
                if proc.poll() is not None:
                    output = Path(log.name).read_text(errors="replace")
                    raise RuntimeError(f"the service died: {output[-3000:]}")
                try:
                    if httpx.get(f"{base}/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            else:
                raise RuntimeError("the service did not start within 120 s")
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def links(loaded):
    with loaded.store.connect() as conn:
        rows = conn.execute("SELECT id, street_id, name_agrees, municipality_id, district_id "
                            "FROM permit_links").fetchall()
    frame = pd.DataFrame(rows, columns=["ref", "street_id", "name_agrees", "municipality_id",
                                        "district_id"]).set_index("ref")
    return frame.astype({"street_id": "Int64", "municipality_id": "Int64"})


CITY = "Europe/Brussels"


STREET_EDITIONS = ["2020-04-27", "2020-10-01", "2021-04-12"]


def seeded_points(n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """n seeded points over the region's bounding box, dated 2014-2026 (synthetic)."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 12 * 365, n)
    dates = (pd.Timestamp("2014-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    geom = shapely.points(rng.uniform(142000, 158000, n), rng.uniform(161000, 179000, n))
    return gpd.GeoDataFrame({"ref": np.arange(n), "reported": dates}, geometry=geom,
                            crs=31370)


def by_edition(dates: pd.Series, editions: list[str]) -> np.ndarray:
    """Index of the edition in force at each date (the first one for older dates)."""
    starts = pd.DatetimeIndex(editions).tz_localize(CITY).asi8
    at = pd.DatetimeIndex(dates).tz_localize(CITY).asi8
    return np.clip(np.searchsorted(starts, at, side="right") - 1, 0, None)


def expected(points: gpd.GeoDataFrame) -> pd.DataFrame:
    """The link computed from the source files with plain geopandas, edition by edition."""
    points = points.rename_axis("index")
    out = pd.DataFrame(index=points.index)
    communes = [communes_2015().reset_index()[["mid", "geometry"]],
                communes_2021().reset_index()[["mid", "geometry"]]]
    k = by_edition(points["reported"], ["2015-07-20", "2021-02-05"])
    parts = []
    for i, frame in enumerate(communes):
        j = gpd.sjoin(points[k == i][["geometry"]], frame, predicate="intersects")
        parts.append(j.reset_index().sort_values(["index", "mid"]).drop_duplicates("index")
                     .set_index("index")["mid"])
    out["municipalities_id"] = pd.concat(parts)
    districts = gpd.read_file(DATA / "districts/monitoring_districts_2017_2019.gpkg")
    j = gpd.sjoin(points[["geometry"]], districts[["md_id", "geometry"]], predicate="intersects")
    out["districts_id"] = j.reset_index().sort_values(["index", "md_id"]).drop_duplicates(
        "index").set_index("index")["md_id"]
    k = by_edition(points["reported"], STREET_EDITIONS)
    parts = []
    for i, day in enumerate(STREET_EDITIONS):
        ways = gpd.read_file(DATA / f"streets/ways_{day}.geojson", fid_as_index=True)
        ways = ways.to_crs(31370).rename_axis("way").reset_index()[["way", "geometry"]]
        j = gpd.sjoin_nearest(points[k == i][["geometry"]], ways, max_distance=50,
                              distance_col="d")
        parts.append(j.reset_index().sort_values(["index", "d", "way"])
                     .drop_duplicates("index").set_index("index")[["way", "d"]])
    near = pd.concat(parts)
    out["streets_id"], out["streets_distance_m"] = near["way"], near["d"]
    return out


def same(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a.isna() & b.isna()) | (a.astype("string") == b.astype("string"))


GRAND_PLACE = (4.35235, 50.84675)


def communes_2015():
    surfaces = gpd.read_file(DATA / "municipalities/fms_municipality_2015.gpkg",
                             layer="municipality_surface")
    surfaces["mid"] = surfaces["urbis_id"].astype(int) // 100 * 100
    return surfaces.dissolve("mid")


def communes_2021():
    frame = gpd.read_file(DATA / "municipalities/urbadm_municipality_2021.gpkg")
    frame["mid"] = frame["ID"].astype(int)
    return frame.set_index("mid")


def moved_ground():
    """A point of ground that changed commune between 2015 and 2021, from the files."""
    old, new = communes_2015(), communes_2021()
    pieces = gpd.overlay(old.reset_index()[["mid", "geometry"]],
                         new.reset_index()[["mid", "geometry"]], how="intersection")
    moved = pieces[pieces["mid_1"] != pieces["mid_2"]].copy()
    moved["area"] = moved.area
    best = moved.sort_values("area").iloc[-1]
    inner = best.geometry.buffer(-2)
    return inner.representative_point(), int(best["mid_1"]), int(best["mid_2"])


QGIS_OAPIF = """
import json, os, sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
base, out = sys.argv[1], {}
for typename in sys.argv[2:]:
    layer = QgsVectorLayer(f"url='{base}' typename='{typename}'", typename, "OAPIF")
    out[typename] = [layer.isValid(), sum(1 for _ in layer.getFeatures())]
print(json.dumps(out), flush=True)
os._exit(0)  # QGIS 3.22 may crash while tearing down headless: the answer is out
"""


def qgis_oapif(base: str, typenames: list[str], workdir: Path) -> dict[str, list]:
    """Debian's QGIS (headless PyQGIS), its OGC API Features provider on ``base``: for each
    collection, [valid, number of features read]."""
    import os
    import subprocess

    script = workdir / "oapif.py"
    script.write_text(QGIS_OAPIF)
    out = subprocess.run(["/usr/bin/python3", str(script), base, *typenames],
                         capture_output=True, text=True, timeout=900, cwd=workdir,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": "",
                              "XDG_RUNTIME_DIR": str(workdir)})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def busy_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since it started, over all its cores
    (Linux ``/proc/stat``; busy is all but idle and I/O wait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    busy = total - fields[3] - fields[4]
    tick = os.sysconf("SC_CLK_TCK")
    return busy / tick, total / tick


def wait_until_quiet(limit: float = 20.0, step: float = 0.25, busy: float = 0.1) -> bool:
    """Wait until the machine is quiet: under ``busy`` of its CPU time (all cores) in use in
    each of two consecutive ``step``-second spans, for at most ``limit`` seconds. Returns
    whether it got quiet (the whole machine is measured: on a shared host it may not).

    A browser just launched spends its first second loading its own pages (in Chromium 156
    headless, the omnibox popup's WebUI: about a second of CPU on a 2-core machine), and a
    service just started makes its opening view's tiles in the background
    (services/tile_seed.py): a page timed then would share the machine with that work."""
    start = time.monotonic()
    last, calm = busy_cpu_seconds(), 0
    while calm < 2 and time.monotonic() - start < limit:
        time.sleep(step)
        now = busy_cpu_seconds()
        spent, elapsed = now[0] - last[0], now[1] - last[1]
        calm = calm + 1 if elapsed > 0 and spent / elapsed < busy else 0
        last = now
    return calm >= 2
