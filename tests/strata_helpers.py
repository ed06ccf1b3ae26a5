# SPDX-License-Identifier: EUPL-1.2
"""Helpers shared by the tests (a unique module name: pygeoapi installs a `tests` package)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
