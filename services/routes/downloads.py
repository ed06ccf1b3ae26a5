# SPDX-License-Identifier: EUPL-1.2
"""Downloads for planners: a layer (or the whole map) as it was on a date, and the changes
between two dates, in real file formats. Files are made once per combination of editions and
kept in the download cache (services/download_cache.py, least recently used out beyond
``cache_max_bytes``): the map between two editions never changes.

A HEAD makes no file: it answers from the cache, or with the headers a GET would send but no
Content-Length. Except for the bulk downloads the INSPIRE links advertise (a layer or the map
as it is now, GeoPackage, Lambert 72: ``?f=gpkg``), whose length link checkers and INSPIRE
validators ask by HEAD: a bounded set (one file per layer and per edition), made then."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import anyio
import psycopg
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, MalformedRangeHeader, Response
from starlette.types import Receive, Scope, Send

from geo.crs import CRS84, CrsInfo, parse_crs
from geo.errors import InvalidInput
from layers.catalogue import LayerSpec
from services import ogc_params as p
from services.download_cache import DownloadCache
from services.replicas import settled
from services.web import catalogue, db, layer, matches
from versioning.export import DIFF_FORMATS, FORMATS, Format, export_changes, export_snapshot
from versioning.instants import parse_instant
from versioning.pages import editions_in_force, latest_edition

CHANGE_FORMATS = {"geojson": FORMATS["geojson"], "gpkg": FORMATS["gpkg"],
                  "csv": FORMATS["csv"], **DIFF_FORMATS}
LAMBERT = parse_crs("EPSG:31370")


def _format(name: str | None, table: dict[str, Format], default: str) -> Format:
    key = (name or default).lower()
    if key not in table:
        raise InvalidInput(f"f={name} is not a download format",
                           hint=f"use f= one of: {', '.join(table)}")
    return table[key]


def _fmt_key(fmt: Format) -> str:
    """A format as it is written (its options too: a file written another way, such as a
    GeoPackage 1.4 of an earlier release, is never served for it)."""
    options = "".join(f"{k}{v}" for k, v in (*fmt.options, *fmt.dataset_options))
    return fmt.name + (f"-{hashlib.sha1(options.encode()).hexdigest()[:6]}" if options else "")


def _crs_key(crs: CrsInfo) -> str:
    """The CRS in a cache key, whatever its spelling (EPSG:31370, its URI, its URN ...): its
    authority and code, which fix its axis order (OGC-CRS84, longitude first, is not
    EPSG-4326, latitude first)."""
    authority, _version, code = crs.uri.rsplit("/", 3)[-3:]
    return f"{authority}-{code}"


def _editions_key(conn: psycopg.Connection, specs: list[LayerSpec], at: dt.datetime,
                  newest: list[tuple[int, dt.datetime] | None]) -> str:
    """Which editions make these layers at ``at`` (the map is the same while they are):
    their ids and import instants (a store built anew reuses ids); and each layer's newest
    edition, which may have ended a version alive at ``at`` (its endLifespanVersion)."""
    made = [f"{e[0]}@{e[4].timestamp()}" for s in specs for e in editions_in_force(conn, s, at)]
    made += [f"newest {lt[0]}" for lt in newest if lt]
    return hashlib.sha1("|".join(made).encode()).hexdigest()[:16] if made else "none"


def _caching(immutable: bool, key: str) -> dict[str, str]:
    """Cache-Control, and the ETag of the file's key: the key names everything the bytes
    depend on (the editions, the format, the CRS), so the tag is the same whoever made the
    file, when, on whichever instance (the file's own date and size would not be)."""
    return {"Cache-Control": "public, max-age=31536000, immutable" if immutable
            else "public, max-age=60",
            "ETag": f'"{hashlib.sha1(key.encode()).hexdigest()[:32]}"'}


class _HeldFileResponse(FileResponse):
    """A cached file, held in the cache (never evicted by this process) until it is sent."""

    def __init__(self, held: ExitStack, path: Path, fmt: Format, filename: str,
                 caching: dict[str, str]) -> None:
        super().__init__(path, media_type=fmt.media_type, filename=filename,
                         headers=caching, stat_result=os.stat(path))
        self.headers["etag"] = caching["ETag"]  # not the file's date and size
        self.held = held

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        """Starlette's reading of ``Range``, but a Range it cannot read (another unit than
        bytes, no range, a range ending before it starts) is ignored: the whole file, as
        RFC 9110 wants for an unknown unit and allows for the rest (Starlette answers 400)."""
        try:
            return super()._parse_range_header(http_range, file_size)
        except MalformedRangeHeader:
            return []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.held.close)


def _unmade_head(fmt: Format, filename: str, caching: dict[str, str]) -> Response:
    """HEAD of a file not made yet: the headers its GET sends, but no Content-Length (only
    the export would tell it) nor Last-Modified (the file's)."""
    like_get = FileResponse(os.devnull, media_type=fmt.media_type, filename=filename,
                            headers=caching)  # headers only: never sent
    response = Response(headers=dict(like_get.headers))
    for name in ("content-length", "last-modified"):
        if name in response.headers:
            del response.headers[name]
    response.headers["etag"] = caching["ETag"]
    return response


def _serve(request: Request, key: str, fmt: Format, filename: str, immutable: bool,
           make: Callable[[Path], object], advertised: bool = False) -> Response:
    """The cached file for ``key`` (made by ``make`` the first time); for a HEAD, what is
    known without making it (unless ``advertised``: an INSPIRE enclosure)."""
    cache: DownloadCache = request.app.state.download_cache
    caching = _caching(immutable, key)
    if matches(request.headers.get("if-none-match"), caching["ETag"]):
        return Response(status_code=304, headers=caching)  # nothing made, nothing read
    held = ExitStack()
    try:
        if request.method == "HEAD" and not advertised:
            path = held.enter_context(cache.existing(key, fmt.suffix))
            if path is None:
                held.close()
                return _unmade_head(fmt, filename, caching)
        else:
            path = held.enter_context(cache.get_or_make(key, fmt.suffix, make))
        return _HeldFileResponse(held, path, fmt, filename, caching)
    except BaseException:
        held.close()
        raise


async def download(request: Request) -> Response:
    """``/collections/{id}/download?date=&f=&crs=``: one layer as it was on a date."""
    return await run_in_threadpool(_download, request, False)


async def download_all(request: Request) -> Response:
    """``/download?date=&crs=``: every layer as it was on a date, in one GeoPackage."""
    return await run_in_threadpool(_download, request, True)


def _download(request: Request, everything: bool) -> Response:
    q = request.query_params
    p.check_known(q, {"date", "f", "crs"})
    fmt = _format(q.get("f"), {"gpkg": FORMATS["gpkg"]} if everything else FORMATS, "gpkg")
    at = parse_instant(q["date"]) if "date" in q else dt.datetime.now(dt.UTC)
    # GeoJSON is longitude / latitude unless asked otherwise (RFC 7946), as the changes are
    crs = p.crs_param(q, "crs", CRS84 if fmt.name == "geojson" else LAMBERT)
    specs = list(catalogue(request).layers.values()) if everything else [layer(request)]
    # the INSPIRE enclosure (services/pygeoapi_config.py): the current editions as GeoPackage
    advertised = "date" not in q and fmt.name == "gpkg" and crs == LAMBERT
    with db(request) as conn:
        latest = [latest_edition(conn, s) for s in specs]
        immutable = settled() and all(lt is not None and at <= lt[1] for lt in latest)
        name = "brussels" if everything else specs[0].id
        key = f"{name}-e{_editions_key(conn, specs, at, latest)}-{_crs_key(crs)}-{_fmt_key(fmt)}"
        return _serve(request, key, fmt, f"{name}_{at.date().isoformat()}{fmt.suffix}", immutable,
                      lambda out: export_snapshot(conn, specs, at, out, fmt, crs.epsg),
                      advertised)


async def changes(request: Request) -> Response:
    """``/collections/{id}/changes?from=&to=&f=``: one net action per feature."""
    return await run_in_threadpool(_changes, request)


def _changes(request: Request) -> Response:
    spec = layer(request)
    q = request.query_params
    p.check_known(q, {"from", "to", "f", "crs"})
    if "from" not in q:
        raise InvalidInput("from is required", hint="give from=YYYY-MM-DD (excluded) and "
                                                    "to=YYYY-MM-DD (included, default now)")
    t1 = parse_instant(q["from"])
    t2 = parse_instant(q["to"]) if "to" in q else dt.datetime.now(dt.UTC)
    if t2 < t1:
        raise InvalidInput(f"to ({q.get('to')}) is before from ({q['from']})",
                           hint="give the earlier date as from")
    fmt = _format(q.get("f"), CHANGE_FORMATS, "geojson")
    crs = p.crs_param(q, "crs", CRS84 if fmt.name == "geojson" else LAMBERT)
    with db(request) as conn:
        latest = latest_edition(conn, spec)
        e1, e2 = (_editions_key(conn, [spec], t, [latest]) for t in (t1, t2))
        key = f"{spec.id}-changes-e{e1}-e{e2}-{_crs_key(crs)}-{_fmt_key(fmt)}"
        if fmt.driver is None:  # strata.diff/v1 writes from and to in its header: a file
            # per window asked (without to, "now": the instant the file was made)
            key += f"-{t1.timestamp()}-{t2.timestamp() if 'to' in q else 'now'}"
        immutable = settled() and latest is not None and t2 <= latest[1]
        name = f"{spec.id}_changes_{t1.date().isoformat()}_{t2.date().isoformat()}"
        return _serve(request, key, fmt, f"{name}{fmt.suffix}", immutable,
                      lambda out: export_changes(conn, spec, t1, t2, out, fmt, crs.epsg,
                                                 crs.uri, crs.flipped))
