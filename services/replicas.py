# SPDX-License-Identifier: EUPL-1.2
"""Reads on PostgreSQL standbys: which server answers a read, and what happens when one
fails.

Every read of the API takes its connection from a :class:`ReadRouter` (``app.state.pool``,
and the pygeoapi plugins through :mod:`services.provider`). :class:`RouteMiddleware` tells
the router, per request, which instant the request reads (``datetime``, ``date``, ``to``, a
version id ``key@instant``; none: now). A standby answers it when it is healthy and has
replayed the primary's WAL up to the newest edition dated at or before that instant (for
now: the newest edition of all; :mod:`versioning.replication`); otherwise the primary
answers. Standbys that qualify take turns (round robin).

What stays on the primary: every write (imports, Open311 reports, API keys: they have pools
of their own), every request but GET and HEAD, Open311 and the collections of reports (a
report is not an edition: only the primary is sure to have the last one).

A watcher thread per process reads, every ``replica_check_s``, each standby's replay
position (a standby that does not answer, or is not in recovery, is skipped) and the
editions' positions on the primary; it also listens for ``strata_edition`` on the primary,
so that a new edition moves reads of now to the primary within milliseconds.

A standby that fails during a request (its connection lost, a conflict with recovery) is
marked down and the whole request is answered again by the primary, before anything of its
first answer was sent: clients see no error.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.errors import StrataError
from services.pools import shared_pool
from services.settings import ServiceSettings
from versioning.instants import parse_instant
from versioning.replication import Frontier, frontier, replay

log = logging.getLogger("strata.replicas")
SERVED_BY = b"strata-served-by"


@dataclass
class RouteState:
    """What one request reads, and who answered it."""

    at: dt.datetime | None = None  # the instant read (None: now)
    primary_only: bool = False  # a write, a report, or a second try after a standby failed
    served_by: str | None = None
    failed: bool = False  # a standby failed during this request
    lagging: bool = False  # served by a standby that lacks the newest edition


ROUTE: ContextVar[RouteState | None] = ContextVar("strata_route", default=None)


def settled() -> bool:
    """False while the current request is answered by a standby that lacks the newest
    edition: its answer about a past date may still change (a lifespan's end) once the
    standby catches up, so it is not to be cached as immutable."""
    state = ROUTE.get()
    return state is None or not state.lagging


@dataclass
class Standby:
    """One standby: its pool, and its state as last read by the watcher."""

    name: str
    url: str
    pool: ConnectionPool
    healthy: bool = False
    position: int | None = None
    watch: psycopg.Connection | None = field(default=None, repr=False)


class ReadRouter:
    """The read connections of one app: the primary's pool and the standbys'."""

    def __init__(self, primary: ConnectionPool, standbys: list[Standby], watch_url: str,
                 schema: str, check_s: float, timeout_s: float) -> None:
        self.primary = primary
        self.standbys = standbys
        self.frontier = Frontier()
        self._watch_url = watch_url
        self._schema = schema
        self._check_s = check_s
        self._timeout_s = timeout_s
        self._turn = itertools.count()
        self._stop = threading.Event()
        self._primary_watch: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None
        self._checked = threading.Event()

    # -- the pool's interface, as the routes and the plugins use it ---------------------
    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A read connection: a standby's when one may answer this request, else the
        primary's."""
        state = ROUTE.get()
        standby = self._choose(state)
        if standby is not None:
            try:
                taken = standby.pool.connection(timeout=self._timeout_s)
                conn = taken.__enter__()
            except (PoolTimeout, psycopg.OperationalError) as exc:
                self._down(standby, exc)
                standby = None
        if standby is None:
            self._count(state, "primary")
            with self.primary.connection() as conn:
                yield conn
            return
        self._count(state, standby.name)
        if state is not None and standby.position is not None:
            state.lagging = state.lagging or standby.position < self.frontier.newest
        try:
            yield conn
        except (psycopg.OperationalError, psycopg.errors.TransactionRollback) as exc:
            # lost, shut down, or a conflict with recovery: the primary answers it again
            if state is not None:
                state.failed = True
            if not isinstance(exc, (psycopg.errors.QueryCanceled,
                                    psycopg.errors.TransactionRollback)):
                self._down(standby, exc)
            taken.__exit__(*sys.exc_info())
            raise
        except BaseException:
            taken.__exit__(*sys.exc_info())
            raise
        taken.__exit__(None, None, None)

    def _choose(self, state: RouteState | None) -> Standby | None:
        if not self.standbys or state is None or state.primary_only:
            return None
        need = self.frontier.required(state.at)
        ready = [s for s in self.standbys
                 if s.healthy and s.position is not None and s.position >= need]
        if not ready:
            return None
        return ready[next(self._turn) % len(ready)]

    @staticmethod
    def _count(state: RouteState | None, name: str) -> None:
        if state is not None:
            state.served_by = name

    def _down(self, standby: Standby, exc: BaseException) -> None:
        if standby.healthy:
            log.warning("standby %s skipped: %s", standby.name, str(exc).strip()[:200])
        standby.healthy = False

    # -- the watcher -----------------------------------------------------------------------
    def start(self) -> None:
        """Start watching (a daemon thread); the first check is done when this returns."""
        if self._thread is None and self.standbys:
            self._thread = threading.Thread(target=self._watch, name="strata-replicas",
                                            daemon=True)
            self._thread.start()
            self._checked.wait(10)

    def close(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def check(self) -> None:
        """Read the editions' positions on the primary and each standby's state, once."""
        try:
            if self._primary_watch is None or self._primary_watch.closed:
                self._primary_watch = self._listen()
            self.frontier = frontier(self._primary_watch)
        except psycopg.Error as exc:  # the primary down: keep the last frontier
            log.warning("editions' positions not read: %s", str(exc).strip()[:200])
            self._close(self._primary_watch)
            self._primary_watch = None
        for standby in self.standbys:
            try:
                if standby.watch is None or standby.watch.closed:
                    standby.watch = psycopg.connect(
                        standby.url, autocommit=True, connect_timeout=2,
                        application_name="strata-replica-watch")
                    standby.watch.execute("SET statement_timeout = 2000")
                state = replay(standby.watch)
            except psycopg.Error as exc:
                self._down(standby, exc)
                self._close(standby.watch)
                standby.watch = None
                continue
            if not state.standby:
                self._down(standby, RuntimeError("not in recovery: not a standby"))
                continue
            standby.position = state.position
            if not standby.healthy:
                log.warning("standby %s in use", standby.name)
            standby.healthy = state.position is not None

    def _listen(self) -> psycopg.Connection:
        conn = psycopg.connect(self._watch_url, autocommit=True, connect_timeout=2,
                               application_name="strata-replica-watch")
        conn.execute("SELECT set_config('search_path', %s || ', public', false)",
                     (f'"{self._schema}"',))
        conn.execute("SET statement_timeout = 2000")
        conn.execute("LISTEN strata_edition")
        return conn

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.check()
            self._checked.set()
            conn = self._primary_watch
            if conn is None:
                self._stop.wait(self._check_s)
                continue
            try:  # woken at once by a new edition
                for _ in conn.notifies(timeout=self._check_s, stop_after=1):
                    pass
            except psycopg.Error:
                self._close(conn)
                self._primary_watch = None

    @staticmethod
    def _close(conn: psycopg.Connection | None) -> None:
        if conn is not None:
            with suppress(psycopg.Error):
                conn.close()


# -- which instant a request reads -------------------------------------------------------
def read_instant(path: str, query: str) -> dt.datetime | None:
    """The latest instant the request reads (None: now, or not told)."""
    params = parse_qs(query, keep_blank_values=True)
    found: list[dt.datetime] = []
    try:
        for name in ("datetime", "date"):
            for value in params.get(name, []):
                for part in value.split("/"):
                    if part.strip() in ("", ".."):
                        return None  # an interval open towards now
                    found.append(parse_instant(part))
        if "from" in params:
            if not params.get("to") or not params["to"][0]:
                return None  # changes up to now
            found.append(parse_instant(params["to"][0]))
        for segment in path.split("/"):
            if "@" in segment:  # a version id: key@instant
                found.append(parse_instant(unquote(segment.split("@", 1)[1])))
    except (StrataError, ValueError):  # the route says what is wrong; the primary answers
        return None
    return max(found) if found else None


class RouteMiddleware:
    """Tells the router what each request reads; answers a request again on the primary
    when a standby failed it; names who answered (``Strata-Served-By``)."""

    def __init__(self, app: ASGIApp, router: ReadRouter, live_paths: tuple[str, ...]) -> None:
        self.app = app
        self.router = router
        self.live_paths = live_paths

    def _state(self, scope: Scope) -> RouteState:
        path: str = scope["path"].rstrip("/")
        if scope["method"] not in ("GET", "HEAD") or any(
                path == live or path.startswith(live + "/") for live in self.live_paths):
            return RouteState(primary_only=True)
        return RouteState(at=read_instant(path, scope.get("query_string", b"").decode(
            "latin-1")))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.router.standbys:
            await self.app(scope, receive, send)
            return
        state = self._state(scope)
        token = ROUTE.set(state)
        try:
            withheld = await self._attempt(scope, receive, send, state)
            if withheld:  # a standby failed it: the primary answers, nothing was sent
                again = RouteState(at=state.at, primary_only=True)
                ROUTE.set(again)
                await self._attempt(scope, _replayed(receive), send, again)
        finally:
            ROUTE.reset(token)

    async def _attempt(self, scope: Scope, receive: Receive, send: Send,
                       state: RouteState) -> bool:
        """Run the app once; True when its answer was withheld (a standby failed)."""
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if state.failed:
                    return
                started = True
                if state.served_by:
                    message = {**message, "headers": [
                        *message.get("headers", []),
                        (SERVED_BY, state.served_by.encode())]}
            elif not started:
                return
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if state.failed and not started:
                return True
            raise
        return state.failed and not started


def _replayed(receive: Receive) -> Receive:
    """``receive`` for a second run of a GET: its (empty) body once more, then the rest."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return again


def make_router(primary_url: str, watch_url: str, schema: str, service: ServiceSettings
                ) -> ReadRouter:
    """The read connections of an app: the primary (``primary_url``, the reader role) and
    the standbys of ``service.read_urls``, watched from now on through ``watch_url`` (a
    direct connection to the primary: LISTEN does not pass PgBouncer's transaction mode)."""
    primary = shared_pool(primary_url, schema, service)
    standbys = [Standby(f"standby-{i}", url,
                        shared_pool(url, schema, service, name=f"strata-standby-{i}"))
                for i, url in enumerate(service.replica_urls(), 1)]
    router = ReadRouter(primary, standbys, watch_url, schema, service.replica_check_s,
                        service.replica_timeout_s)
    router.start()
    return router
