# SPDX-License-Identifier: EUPL-1.2
"""Outages and crashes, on a PostgreSQL cluster of this module's own (stopped, killed and
restarted here, so that no other test sees it): a database outage is a 503 with Retry-After,
never a 500 nor a hang, and the service answers again within seconds of the database's
return; a report acknowledged with 201 survives the database being killed at once."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from click.testing import CliRunner
from strata_helpers import serve

from services.cli.main import cli
from services.localdb import LocalCluster, cluster_root

SCHEMA = "outage"
POOL_TIMEOUT_S = 2
PATHS = ["/collections/districts/items?limit=5",
         "/collections/municipalities/items/7400",
         "/collections/streets/items?bbox=4.35,50.84,4.36,50.85&limit=20",
         "/geolocate?lon=4.3525&lat=50.8467",
         "/open311/v2/requests.json",
         "/collections/incidents_district_month/items?limit=5"]


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory):
    """A cluster of its own with the real data loaded, and the service over it."""
    cluster = LocalCluster(cluster_root(tmp_path_factory.mktemp("outage")))
    url = cluster.up()
    environ = {"STRATA_DATABASE_URL": url, "STRATA_SCHEMA_NAME": SCHEMA}
    result = CliRunner().invoke(cli, ["load"], env=environ, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    try:
        with serve({**environ, "STRATA_POOL_TIMEOUT_S": str(POOL_TIMEOUT_S),
                    "STRATA_RETRY_AFTER_S": "3"}) as base:
            yield cluster, url, base, environ
    finally:
        cluster.down()
        shutil.rmtree(cluster.root, ignore_errors=True)


def _load(base: str, stop: threading.Event, phase: list[str], out: list[tuple]) -> None:
    """Requests in a loop until ``stop``: (start, end, phase, path, status, Retry-After,
    body) each; a transport error or a timeout is recorded as its class name."""
    n = 0
    with httpx.Client(timeout=20) as client:
        while not stop.is_set():
            path = PATHS[n % len(PATHS)]
            n += 1
            start, when = time.monotonic(), phase[0]
            try:
                r = client.get(base + path)
                status, retry, body = r.status_code, r.headers.get("retry-after"), r.text
            except httpx.HTTPError as exc:
                status, retry, body = type(exc).__name__, None, ""
            out.append((start, time.monotonic(), when, path, status, retry, body[:300]))


def test_an_outage_is_503_then_the_service_recovers(private):
    cluster, _, base, _ = private
    out: list[tuple] = []
    phase = ["before"]
    stop = threading.Event()
    workers = [threading.Thread(target=_load, args=(base, stop, phase, out)) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        time.sleep(2)
        phase[0] = "down"
        down_at = time.monotonic()
        cluster.down()
        time.sleep(6)
        phase[0] = "restarting"
        cluster.up()
        back = time.monotonic()
        phase[0] = "up"
        time.sleep(8)
    finally:
        stop.set()
        for w in workers:
            w.join(30)
    statuses = {}
    for row in out:
        statuses.setdefault((row[2], row[4]), 0)
        statuses[(row[2], row[4])] += 1
    assert all(isinstance(row[4], int) for row in out), statuses  # no timeout, no reset
    assert not [row for row in out if row[4] >= 500 and row[4] != 503], statuses
    before = [row for row in out if row[1] < down_at]
    assert before and all(row[4] == 200 for row in before), [r for r in before if r[4] != 200]
    assert any(row[4] == 503 for row in out if row[2] == "down"), statuses
    for row in out:
        if row[4] == 503:  # the one error shape, and when to try again
            assert row[5] == "3" and '"hint"' in row[6] and '"description"' in row[6], row
    # the database is back: answers within 5 s, and from then on every answer is 200
    first = min(row[1] for row in out if row[4] == 200 and row[0] >= back)
    assert first - back < 5, statuses
    late = [row for row in out if row[0] >= back + 5]
    assert late and all(row[4] == 200 for row in late), statuses


def _processes(data: Path) -> list[int]:
    """The postmaster of ``data`` and every process it started."""
    pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    children = [int(p) for p in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [pid, *children]


def test_a_report_acknowledged_survives_a_crash(private):
    cluster, url, base, environ = private
    created = CliRunner().invoke(cli, ["apikey", "create", f"crash-{uuid.uuid4().hex[:6]}"],
                                 env=environ, catch_exceptions=False)
    key = created.output.strip().splitlines()[-1]
    marker = f"crash test {uuid.uuid4()}"
    r = httpx.post(f"{base}/open311/v2/requests.json", timeout=30, data={
        "api_key": key, "service_code": "152", "lat": "50.8467", "long": "4.3525",
        "description": marker})
    assert r.status_code == 201, r.text
    rid = int(r.json()[0]["service_request_id"])
    # at once: the postmaster and every backend, as a power cut would stop them
    for pid in _processes(cluster.data):
        os.kill(pid, signal.SIGKILL)
    cluster.up()  # waits for the killed processes, then crash recovery replays the WAL
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(f'SELECT description FROM "{SCHEMA}".incident WHERE id = %s',
                           (rid,)).fetchone()
    assert row == (marker,)
    # and the service answers again, with the report
    deadline = time.time() + 15
    while time.time() < deadline:
        got = httpx.get(f"{base}/open311/v2/requests/{rid}.json", timeout=20)
        if got.status_code == 200:
            break
        time.sleep(0.5)
    assert got.status_code == 200 and got.json()[0]["description"] == marker


def test_ctrl_c_stops_the_service_at_once_with_its_pools_closed(private):
    """Ctrl-C (SIGINT) on `strata serve` closes its pools and exits: each pool's threads
    were waited for 5 s at the interpreter's exit (40 s in all, with a warning each)."""
    import subprocess
    import sys
    import tempfile

    from strata_helpers import free_port

    _, _, _, environ = private
    port = free_port()
    base = f"http://localhost:{port}"
    with tempfile.NamedTemporaryFile(prefix="strata-stop-", suffix=".log") as log:
        proc = subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve"],
                                env={**os.environ, **environ, "STRATA_PORT": str(port)},
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    if httpx.get(f"{base}/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            # every pool at work: reads, geolocation, a report (the writer's)
            for path in PATHS:
                assert httpx.get(base + path, timeout=30).status_code == 200, path
            assert httpx.post(f"{base}/open311/v2/requests.json", data={
                "api_key": "none", "service_code": "1", "lat": "50.85", "long": "4.35"},
                timeout=30).status_code == 403
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        said = Path(log.name).read_text(errors="replace")
    assert "couldn't stop thread" not in said and "Traceback" not in said, said[-2000:]
