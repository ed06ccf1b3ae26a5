# SPDX-License-Identifier: EUPL-1.2
"""The database's doors: a password for every connection (no ``trust``), and each service
role can do what its work needs and nothing more."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from layers.catalogue import PROJECT_ROOT
from linking.roles import LINKER, READER, REPORTER, role_url
from services.localdb import LocalCluster, cluster_root


def _as(loaded, role: str) -> psycopg.Connection:
    conn = psycopg.connect(role_url(loaded.url, role), autocommit=True)
    conn.execute(f'SET search_path TO "{loaded.schema}", public')
    return conn


def _refused(conn: psycopg.Connection, statement: str, params=None) -> bool:
    try:
        conn.execute(statement, params)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_every_connection_needs_a_password(database_url):
    cluster = LocalCluster(cluster_root(PROJECT_ROOT))
    if database_url.startswith(cluster.url().split("@")[0]):  # the project's own cluster
        rules = [line.split() for line in (cluster.data / "pg_hba.conf").read_text()
                 .splitlines() if line.strip() and not line.startswith("#")]
        assert rules and all(rule[-1] == "scram-sha-256" for rule in rules), rules
    info = conninfo_to_dict(database_url)
    info.pop("password", None)
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(make_conninfo("", **info), connect_timeout=5)
    info["user"] = READER
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(make_conninfo("", **info), connect_timeout=5)


def test_the_reader_reads_and_creates_nothing(loaded):
    with _as(loaded, READER) as conn:
        assert conn.execute("SELECT count(*) FROM layer_districts").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM incident_public").fetchone() is not None
        assert _refused(conn, "SELECT email FROM incident")
        assert _refused(conn, "SELECT * FROM api_key")
        assert _refused(conn, "SELECT * FROM key_failure")  # client addresses
        assert _refused(conn, "CREATE TABLE scratch (x int)")
        assert _refused(conn, "CREATE TABLE public.scratch (x int)")
        assert _refused(conn, "CREATE TEMP TABLE scratch (x int)")
        assert _refused(conn, "DELETE FROM edition")


def test_the_reporter_only_inserts_reports(loaded):
    with _as(loaded, REPORTER) as conn:
        with conn.transaction(force_rollback=True):
            new = conn.execute(
                "INSERT INTO incident (service_code, geom, api_key_name) VALUES "
                "(152, ST_SetSRID(ST_MakePoint(148800, 170700), 31370), 'roles-test') "
                "RETURNING id").fetchone()
            assert new is not None
        assert conn.execute("SELECT count(*) FROM api_key WHERE key_sha256 = %s",
                            ("x",)).fetchone() == (0,)
        assert _refused(conn, "SELECT email FROM incident")
        assert _refused(conn, "UPDATE incident SET status = 'closed'")
        assert _refused(conn, "DELETE FROM incident")
        assert _refused(conn, "INSERT INTO api_key (name, key_sha256) VALUES ('x', 'y')")
        assert _refused(conn, "DELETE FROM api_key")
        assert _refused(conn, "UPDATE layer_districts SET name_fr = 'x'")
        assert _refused(conn, "CREATE TEMP TABLE scratch (x int)")


def test_the_linker_reads_and_keeps_temporary_tables(loaded):
    with _as(loaded, LINKER) as conn:
        conn.execute("CREATE TEMP TABLE scratch (x int)")
        assert conn.execute("SELECT count(*) FROM layer_streets").fetchone()[0] > 0
        assert _refused(conn, "SELECT email FROM incident")
        assert _refused(conn, "CREATE TABLE scratch2 (x int)")
