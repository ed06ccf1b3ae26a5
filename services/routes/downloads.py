# SPDX-License-Identifier: EUPL-1.2
"""Downloads for planners: a layer (or the whole map) as it was on a date, and the changes
between two dates, in real file formats. Files are made once per edition and kept: the map
between two editions never changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from geo.crs import parse_crs
from geo.errors import InvalidInput
from layers.catalogue import LayerSpec
from services import ogc_params as p
from services.web import catalogue, db, layer
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


def _cached(request: Request, key: str, fmt: Format, make: Callable[[Path], object]) -> Path:
    """The file for ``key``, made by ``make`` the first time (atomically)."""
    folder: Path = request.app.state.cache_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{key}{fmt.suffix}"
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=fmt.suffix)
        os.close(fd)
        try:
            make(Path(tmp))
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return target


def _editions_key(conn: psycopg.Connection, specs: list[LayerSpec], at: dt.datetime) -> str:
    """Which editions make these layers at ``at`` (the map is the same while they are):
    their ids and import instants (a store built anew reuses ids)."""
    made = [f"{e[0]}@{e[4].timestamp()}" for s in specs for e in editions_in_force(conn, s, at)]
    return hashlib.sha1("|".join(made).encode()).hexdigest()[:16] if made else "none"


def _file_response(path: Path, fmt: Format, filename: str, immutable: bool) -> FileResponse:
    return FileResponse(path, media_type=fmt.media_type, filename=filename, headers={
        "Cache-Control": "public, max-age=31536000, immutable" if immutable
        else "public, max-age=60"})


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
    crs = p.crs_param(q, "crs", LAMBERT)
    specs = list(catalogue(request).layers.values()) if everything else [layer(request)]
    with db(request) as conn:
        latest = [latest_edition(conn, s) for s in specs]
        name = "brussels" if everything else specs[0].id
        key = f"{name}-e{_editions_key(conn, specs, at)}-{crs.epsg}-{fmt.name}"
        path = _cached(request, key, fmt, lambda out: export_snapshot(
            conn, specs, at, out, fmt, crs.epsg))
    immutable = all(lt is not None and at <= lt[1] for lt in latest)
    return _file_response(path, fmt, f"{name}_{at:%Y-%m-%d}{fmt.suffix}", immutable)


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
    crs = p.crs_param(q, "crs", parse_crs("CRS84") if fmt.name == "geojson" else LAMBERT)
    with db(request) as conn:
        e1, e2 = _editions_key(conn, [spec], t1), _editions_key(conn, [spec], t2)
        key = f"{spec.id}-changes-e{e1}-e{e2}-{crs.epsg}-{fmt.name}"
        path = _cached(request, key, fmt, lambda out: export_changes(
            conn, spec, t1, t2, out, fmt, crs.epsg, crs.uri))
        latest = latest_edition(conn, spec)
    immutable = latest is not None and t2 <= latest[1]
    return _file_response(path, fmt, f"{spec.id}_changes_{t1:%Y-%m-%d}_{t2:%Y-%m-%d}"
                                     f"{fmt.suffix}", immutable)
