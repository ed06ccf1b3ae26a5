# SPDX-License-Identifier: EUPL-1.2
"""Beyond one machine, on this one: a primary and a streaming standby (Debian's PostgreSQL,
`strata db replica up`), PgBouncer in transaction pooling mode before the primary, two
Strata instances behind HAProxy (Debian's packages), all real processes.

- a bounded load of dated and current reads while one instance and then the standby are
  stopped and started again: no failed request, every answer equal to the one a Strata
  reading the primary alone gives;
- with recovery_min_apply_delay on the standby: right after an import, reads of now see
  the new edition (the primary answers them), past-date reads are answered by the standby
  (counted on the standby itself, in pg_stat_database);
- downloads through both instances are byte-identical, and the shared cache stays within
  its size.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import httpx
import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import conninfo_to_dict
from strata_helpers import free_port

from layers.catalogue import PROJECT_ROOT
from linking.roles import READER, REPORTER, role_url
from services.cli.main import cli
from services.localdb import LocalCluster, cluster_root, server_user
from services.localstandby import LocalStandby

SCHEMA = "scaleout"
DATA = PROJECT_ROOT / "data" / "brussels"
# dated reads (2016, 2020: editions long before the newest) and reads of now
DATED = ["/collections/municipalities/items?limit=5&datetime=2016-01-01",
         "/collections/districts/items?limit=20&datetime=2020-06-01",
         "/collections/streets/items?bbox=4.35,50.84,4.36,50.85&limit=30&datetime=2020-06-01",
         "/collections/municipalities/items/7400?datetime=2016-01-01",
         "/geolocate?lon=4.3525&lat=50.8467&date=2020-06-01",
         "/collections/streets/tiles/WebMercatorQuad/15/16787/10961?datetime=2020-06-01"]
CURRENT = ["/collections/municipalities/items?limit=5",
           "/collections/districts/items?limit=20",
           "/collections/municipalities/items/7400",
           "/collections/streets/items?bbox=4.35,50.84,4.36,50.85&limit=30",
           "/collections/streets/tiles/WebMercatorQuad/15/16787/10961"]
AS_ROOT = os.geteuid() == 0


def _url(conninfo: str) -> str:
    info = conninfo_to_dict(conninfo)
    return (f"postgresql://{info['user']}:{info.get('password', '')}@{info['host']}:"
            f"{info['port']}/{info['dbname']}")


class Daemon:
    """A server process of this test (PgBouncer, HAProxy, a Strata instance)."""

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None,
                 user: str | None = None, log: Path | None = None) -> None:
        self.cmd, self.env, self.user = cmd, env, user
        self.log = log or Path(tempfile.mkstemp(prefix="strata-daemon-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, user=self.user,
                                         cwd="/" if self.user else None)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _wait_http(url: str, daemon: Daemon, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert daemon.proc is not None and daemon.proc.poll() is None, daemon.output()
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer: {daemon.output()}")


def _wait_port(port: int, daemon: Daemon) -> None:
    import socket

    deadline = time.time() + 30
    while time.time() < deadline:
        assert daemon.proc is not None and daemon.proc.poll() is None, daemon.output()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(daemon.output())


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if AS_ROOT:  # the servers run as postgres
        shutil.chown(path, server_user(), server_user())
        os.chmod(path, 0o755)
    return path


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Primary (real data loaded) + standby + PgBouncer + two instances + HAProxy, and a
    reference instance that reads the primary alone."""
    project = tmp_path_factory.mktemp("scaleout")
    cluster = LocalCluster(cluster_root(project))
    owner = cluster.up()
    environ = {"STRATA_DATABASE_URL": owner, "STRATA_SCHEMA_NAME": SCHEMA}
    # the project's own local cluster, as `strata db replica` sees it
    local = {"STRATA_DATABASE_URL": None, "STRATA_PROJECT_ROOT": str(project),
             "STRATA_SCHEMA_NAME": SCHEMA}
    result = CliRunner().invoke(cli, ["load"], env=environ, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    standby = LocalStandby.of(cluster)
    made: list[Daemon] = []
    try:
        made_standby = CliRunner().invoke(
            cli, ["db", "replica", "up", "--apply-delay", "0"], env=local,
            catch_exceptions=False)
        assert made_standby.exit_code == 0, made_standby.output
        standby_reader = made_standby.stdout.strip().splitlines()[-1]
        assert standby_reader.startswith("postgresql://strata_reader:")
        work = _folder(Path(tempfile.mkdtemp(prefix="strata-scaleout-")))
        # PgBouncer, transaction pooling, before the primary; what a session would have set
        # comes from connect_query (docs/DEPLOYMENT.md)
        reader, reporter = (conninfo_to_dict(role_url(owner, r)) for r in (READER, REPORTER))
        (work / "userlist.txt").write_text(
            "".join(f'"{i["user"]}" "{i["password"]}"\n' for i in (reader, reporter)))
        bouncer_port = free_port()
        (work / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"strata = host=127.0.0.1 port={cluster.port()} dbname=strata "
            f"connect_query='SET search_path TO {SCHEMA}, public'\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {bouncer_port}\nunix_socket_dir =\n"
            f"auth_type = scram-sha-256\nauth_file = {work}/userlist.txt\n"
            "pool_mode = transaction\nmax_client_conn = 400\ndefault_pool_size = 12\n"
            f"pidfile = {work}/pgbouncer.pid\n")
        for f in ("userlist.txt", "pgbouncer.ini"):
            if AS_ROOT:
                shutil.chown(work / f, server_user(), server_user())
            os.chmod(work / f, 0o600)
        bouncer = Daemon([shutil.which("pgbouncer") or "/usr/sbin/pgbouncer",
                          str(work / "pgbouncer.ini")],
                         user=server_user() if AS_ROOT else None, log=work / "pgbouncer.log")
        if AS_ROOT:
            bouncer.log.touch()
            shutil.chown(bouncer.log, server_user(), server_user())
        made.append(bouncer)
        bouncer.start()
        _wait_port(bouncer_port, bouncer)
        via_bouncer = f"127.0.0.1:{bouncer_port}"
        proxy_port, ports = free_port(), [free_port(), free_port()]
        while len({proxy_port, *ports}) < 3:
            ports = [free_port(), free_port()]
        cache = work / "downloads"
        common = {**os.environ, **environ,
                  "STRATA_BASE_URL": f"http://localhost:{proxy_port}",
                  "STRATA_READER_DATABASE_URL": _url(role_url(owner, READER)).replace(
                      f"127.0.0.1:{cluster.port()}", via_bouncer),
                  "STRATA_REPORTER_DATABASE_URL": _url(role_url(owner, REPORTER)).replace(
                      f"127.0.0.1:{cluster.port()}", via_bouncer),
                  "STRATA_PGBOUNCER": "true",
                  "STRATA_READ_URLS": standby_reader,
                  "STRATA_CACHE_DIR": str(cache), "STRATA_CACHE_MAX_BYTES": "3000000"}
        instances = [Daemon([sys.executable, "-m", "services.cli.main", "serve"],
                            env={**common, "STRATA_PORT": str(port)}) for port in ports]
        reference_port = free_port()
        reference = Daemon([sys.executable, "-m", "services.cli.main", "serve"],
                           env={**os.environ, **environ, "STRATA_PORT": str(reference_port),
                                "STRATA_BASE_URL": f"http://localhost:{proxy_port}"})
        for daemon, port in ((instances[0], ports[0]), (instances[1], ports[1]),
                             (reference, reference_port)):
            made.append(daemon)
            daemon.start()
            _wait_http(f"http://127.0.0.1:{port}/conformance", daemon)
        (work / "haproxy.cfg").write_text(
            "global\n  maxconn 400\n"
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 60s\n"
            "  timeout server 60s\n  retries 3\n  option redispatch\n"
            "  retry-on conn-failure empty-response response-timeout\n"
            f"frontend web\n  bind 127.0.0.1:{proxy_port}\n  default_backend strata\n"
            "backend strata\n  balance roundrobin\n  option httpchk GET /conformance\n"
            "  default-server inter 300ms fall 1 rise 2\n"
            + "".join(f"  server s{i} 127.0.0.1:{p} check\n" for i, p in enumerate(ports)))
        proxy = Daemon([shutil.which("haproxy") or "/usr/sbin/haproxy", "-db", "-f",
                        str(work / "haproxy.cfg")], log=work / "haproxy.log")
        made.append(proxy)
        proxy.start()
        _wait_http(f"http://127.0.0.1:{proxy_port}/conformance", proxy)
        yield {"cluster": cluster, "standby": standby, "environ": environ, "local": local,
               "proxy": f"http://127.0.0.1:{proxy_port}", "instances": instances,
               "ports": ports, "reference": f"http://127.0.0.1:{reference_port}",
               "cache": cache, "work": work}
    finally:
        for daemon in reversed(made):
            daemon.stop()
        standby.remove()
        cluster.down()
        shutil.rmtree(cluster.root, ignore_errors=True)


def _digest(r: httpx.Response) -> str:
    """The answer's bytes, but the instant it was made (an OGC page's timeStamp)."""
    return hashlib.sha1(re.sub(rb'"timeStamp": ?"[^"]*"', b"", r.content)).hexdigest()


def _load(base: str, stop: threading.Event, out: list[tuple]) -> None:
    paths = DATED + CURRENT
    with httpx.Client(timeout=60) as client:
        n = 0
        while not stop.is_set():
            path = paths[n % len(paths)]
            n += 1
            try:
                r = client.get(base + path)
                out.append((path, r.status_code, _digest(r), r.headers.get("strata-served-by"),
                            r.text[:300] if r.status_code != 200 else ""))
            except httpx.HTTPError as exc:
                out.append((path, type(exc).__name__, "", None, str(exc)))
            time.sleep(0.02)  # a bounded load: about 4 x 40 requests a second at most


def _standby_reads(standby: LocalStandby) -> int:
    """Transactions the standby's database has run (its own statistics)."""
    with psycopg.connect(standby.url("postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return int(conn.execute("SELECT xact_commit FROM pg_stat_database "
                                "WHERE datname = 'strata'").fetchone()[0])


def test_instances_and_standby_restarted_under_load(topology: dict) -> None:
    t = topology
    out: list[tuple] = []
    stop = threading.Event()
    workers = [threading.Thread(target=_load, args=(t["proxy"], stop, out)) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        time.sleep(3)
        first = t["instances"][0]
        first.stop()  # one instance down: HAProxy sends everything to the other
        time.sleep(3)
        first.start()
        _wait_http(f"http://127.0.0.1:{t['ports'][0]}/conformance", first)
        time.sleep(2)
        t["standby"].down()  # the standby down: the primary answers its reads
        time.sleep(4)
        t["standby"].up()
        time.sleep(4)  # watched every 0.5 s: back in use
    finally:
        stop.set()
        for w in workers:
            w.join(60)
    failed = [row for row in out if row[1] != 200]
    assert not failed, (Counter((r[0], r[1]) for r in failed), failed[:3])
    served = Counter(row[3] for row in out)
    assert served["standby-1"] > 20 and served["primary"] > 20, served
    # after the standby came back, it answers again
    late = [row[3] for row in out[-len(out) // 8:]]
    assert "standby-1" in late, Counter(late)
    reference = {p: _digest(httpx.get(t["reference"] + p, timeout=60)) for p in DATED + CURRENT}
    wrong = {(row[0], row[3]) for row in out if row[2] != reference[row[0]]}
    assert not wrong, wrong


def test_after_an_import_now_is_the_primary_and_the_past_the_standby(
        topology: dict, tmp_path: Path) -> None:
    t = topology
    delayed = CliRunner().invoke(cli, ["db", "replica", "up", "--apply-delay", "4s"],
                                 env=t["local"], catch_exceptions=False)
    assert delayed.exit_code == 0, delayed.output
    status = CliRunner().invoke(cli, ["db", "replica", "status"], env=t["local"],
                                catch_exceptions=False)
    assert status.exit_code == 0 and "apply delay 4s" in status.output, status.output
    base = t["proxy"]
    try:
        frame = gpd.read_file(DATA / "municipalities" / "urbadm_municipality_2021.gpkg")
        frame.loc[frame["NAME_FRE"] == "Evere", "NAME_FRE"] = "Evere (renommée par le test)"
        edited = tmp_path / "municipality.gpkg"
        frame.to_file(edited, layer="municipality", driver="GPKG")
        before = _standby_reads(t["standby"])
        imported = CliRunner().invoke(cli, ["import", "municipalities", str(edited), "--date",
                                            "2026-11-30"], env=t["environ"],
                                      catch_exceptions=False)
        assert imported.exit_code == 0, imported.output
        now = httpx.get(f"{base}/collections/municipalities/items?limit=100", timeout=60)
        assert now.status_code == 200
        assert now.headers["strata-served-by"] == "primary"
        assert "Evere (renommée par le test)" in now.text
        past = [httpx.get(f"{base}{DATED[0]}", timeout=60) for _ in range(10)]
        assert {r.headers["strata-served-by"] for r in past} == {"standby-1"}
        # a standby that lacks the newest edition does not call its answers immutable
        assert all("immutable" not in r.headers["cache-control"] for r in past)
        deadline = time.time() + 10
        while _standby_reads(t["standby"]) < before + 10 and time.time() < deadline:
            time.sleep(0.5)
        assert _standby_reads(t["standby"]) >= before + 10
        # once the standby has applied the edition, it answers reads of now again
        deadline = time.time() + 20
        while time.time() < deadline:
            again = httpx.get(f"{base}/collections/municipalities/items?limit=100", timeout=60)
            if again.headers["strata-served-by"] == "standby-1":
                break
            time.sleep(0.5)
        assert again.headers["strata-served-by"] == "standby-1"
        assert "Evere (renommée par le test)" in again.text
    finally:
        CliRunner().invoke(cli, ["db", "replica", "up", "--apply-delay", "0"],
                           env=t["local"], catch_exceptions=False)


def test_replica_commands_without_a_local_cluster() -> None:
    result = CliRunner().invoke(cli, ["db", "replica", "up"],
                                env={"STRATA_DATABASE_URL": "postgresql://x@127.0.0.1/x"})
    assert result.exit_code != 0
    assert "STRATA_DATABASE_URL is set" in result.output and "pg_basebackup" in result.output


def test_downloads_are_the_same_bytes_through_both_instances(topology: dict) -> None:
    t = topology
    for date in ("2016-01-01", "2019-01-01", "2022-01-01"):
        for f in ("gpkg", "geojson", "shp"):
            path = f"/collections/municipalities/download?date={date}&f={f}"
            got = [httpx.get(f"http://127.0.0.1:{port}{path}", timeout=120)
                   for port in t["ports"]]
            assert all(r.status_code == 200 for r in got), [r.text[:200] for r in got]
            assert got[0].content == got[1].content, path
    total = sum(p.stat().st_size for p in t["cache"].iterdir() if p.is_file())
    assert 0 < total <= 3_000_000


def test_files_built_apart_are_identical(topology: dict, tmp_path: Path) -> None:
    """Two instances that do not share a cache folder still build the same bytes."""
    from services.settings import StoreSettings
    from services.store import Store
    from versioning.export import FORMATS, export_snapshot
    from versioning.instants import parse_instant

    store = Store(StoreSettings(database_url=topology["environ"]["STRATA_DATABASE_URL"],
                                schema_name=SCHEMA))
    spec = store.catalogue.layer("districts")
    for name, fmt in FORMATS.items():
        made = []
        for i in range(2):
            out = tmp_path / f"{name}{i}{fmt.suffix}"
            with store.connect() as conn:
                export_snapshot(conn, [spec], parse_instant("2020-06-01"), out, fmt, 31370)
            made.append(out.read_bytes())
            time.sleep(1.1)  # a second later: a clock in the file would differ
        assert made[0] == made[1], name


def test_wrong_keys_are_counted_for_every_instance(topology: dict) -> None:
    """The limit of wrong API keys per address is one count, whichever instance answers."""
    t = topology
    statuses = [httpx.post(f"http://127.0.0.1:{t['ports'][i % 2]}/open311/v2/requests.json",
                           data={"api_key": f"wrong-{i}", "service_code": "152"},
                           timeout=30).status_code for i in range(12)]
    assert statuses == [403] * 10 + [429, 429], statuses
