# SPDX-License-Identifier: EUPL-1.2
"""The service's connection pools, bounded by the settings.

One pool per (URL, schema) and process: Strata's routes and pygeoapi's plugins (which
pygeoapi builds for every request, from its configuration only) share it. Every limit comes
from :class:`ServiceSettings`: the pool's size, how long a request waits for a connection
before the service answers 503 (``pool_timeout_s``), how long one statement may run
(``statement_timeout_ms``). After an outage the pool recovers within seconds: a connection is
checked when taken (a dead one is replaced), and a failed reconnection gives up after
``pool_timeout_s`` instead of backing off for minutes, so that the next request tries anew.
"""

from __future__ import annotations

import threading
from typing import Any

from psycopg import sql
from psycopg_pool import ConnectionPool

from services.settings import ServiceSettings

_POOLS: dict[str, ConnectionPool] = {}
_LOCK = threading.Lock()
# connections a pool opens at once and keeps: a page asks for a dozen documents together (the
# viewer's first load), which a pool of one would serve one new connection at a time
WARM = 4


def shared_pool(url: str, schema: str, service: ServiceSettings, size: int | None = None,
                name: str = "strata-api") -> ConnectionPool:
    """The pool of (``url``, ``schema``) in this process, made on first use with the
    limits of ``service`` (``size`` defaults to ``service.pool_size``)."""
    key = f"{url}|{schema}"
    with _LOCK:
        if key not in _POOLS:
            timeout = str(service.statement_timeout_ms)

            def configure(conn: Any) -> None:
                conn.autocommit = True
                conn.execute(sql.SQL("SET search_path TO {}, public").format(
                    sql.Identifier(schema)))
                conn.execute("SET TIME ZONE 'UTC'")
                # JIT compiles short queries for longer than they run
                conn.execute("SET jit = off")
                # a report answered 201 survives a crash, whatever the server's default
                conn.execute("SET synchronous_commit = on")
                # one statement never holds a connection longer than this (bound value)
                conn.execute("SELECT set_config('statement_timeout', %s, false), "
                             "set_config('idle_in_transaction_session_timeout', %s, false)",
                             (timeout, timeout))

            _POOLS[key] = ConnectionPool(
                url, min_size=min(WARM, size or service.pool_size),
                max_size=size or service.pool_size, configure=configure,
                check=ConnectionPool.check_connection, timeout=service.pool_timeout_s,
                reconnect_timeout=service.pool_timeout_s, open=True, name=name,
                kwargs={"application_name": name,
                        "connect_timeout": max(1, int(service.pool_timeout_s)),
                        # PgBouncer in transaction mode hands each transaction to any
                        # server connection: a statement prepared on one is unknown to others
                        **({"prepare_threshold": None} if service.pgbouncer else {})})
        return _POOLS[key]


def close_pools() -> None:
    """Close every pool of this process (the service's shutdown): their threads stop now,
    instead of each being waited for 5 s at the interpreter's exit (Ctrl-C took 40 s). A
    pool asked for afterwards is made anew."""
    with _LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close(timeout=1.0)
