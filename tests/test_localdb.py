# SPDX-License-Identifier: EUPL-1.2
"""The project-local PostGIS: created, started twice, recovered after a crash."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import psycopg
import pytest

from layers.catalogue import PROJECT_ROOT
from services.localdb import LocalCluster, cluster_root


@pytest.fixture
def cluster():
    root = cluster_root(PROJECT_ROOT).parent / "test-cluster"
    c = LocalCluster(root)
    yield c
    c.down()
    shutil.rmtree(root, ignore_errors=True)


def test_up_twice_is_harmless_and_stale_pid_is_recovered(cluster):
    assert cluster.status() == "absent"
    url = cluster.up()
    assert cluster.status() == "running"
    assert cluster.up() == url  # again: nothing changes
    with psycopg.connect(url) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        assert conn.execute("SELECT postgis_lib_version()").fetchone()[0].startswith("3")
    # a crash: the server dies, its pid file stays behind
    pid = int((cluster.data / "postmaster.pid").read_text().splitlines()[0])
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        cmdline = Path(f"/proc/{pid}/cmdline")
        if not cmdline.exists() or b"postgres" not in cmdline.read_bytes():
            break
        time.sleep(0.05)
    assert (cluster.data / "postmaster.pid").exists()
    assert cluster.status() == "stopped"
    assert cluster.up() == url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    cluster.down()
    assert cluster.status() == "stopped"


def test_db_commands(env):
    assert "store ready" in env.run("db", "init").output
    assert env.run("db", "url").output.strip() == env.url
    result = env.run("db", "up")
    assert result.exit_code == 0 and "STRATA_DATABASE_URL is set" in result.output


def test_unreachable_database_says_how_to_fix(env):
    from click.testing import CliRunner

    from services.cli.main import cli

    result = CliRunner().invoke(cli, ["layers"], env={
        "STRATA_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.exit_code == 5
    assert "cannot connect to the database" in result.output and "strata db up" in result.output
