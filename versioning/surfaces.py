# SPDX-License-Identifier: EUPL-1.2
"""Raster surfaces as versioned records: each surface (a Cloud Optimized GeoTIFF in the
surfaces folder) recorded in the table ``surface`` with its validity interval, source,
method, cross-validation error and file checksum.

The edition rules of the vector layers hold: surfaces of a collection are recorded in date
order (a surface valid before the newest one recorded is refused, never backdated); a surface
whose period is recorded with the same checksum is a no-op, with another checksum a conflict
(a recorded surface is never replaced: the table is append-only), unless it was made by
another method (the store is older than the code: the recorded surface is kept, and said);
a build is recorded in one transaction, and when it fails its new files are removed: nothing
is left behind.

Files are named by their content (``<collection>/<period>-<sha256[:16]>.tif``): a file once
recorded is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from geo.errors import Conflict, InvalidInput
from versioning.database import load_sql


@dataclass
class SurfaceBuild:
    """A surface made and written to ``path`` (a temporary file), not yet recorded."""

    collection: str
    valid_from: dt.datetime
    valid_to: dt.datetime
    period: str
    source_name: str
    method: str
    cv_rmse: float
    cv_mae: float
    n_points: int
    cell_size_m: float
    epsg: int
    bounds: tuple[float, float, float, float]
    bands: list[str]
    checksum: str
    path: Path
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def file_name(self) -> str:
        """Where the file lives under the surfaces folder (named by its content)."""
        return f"{self.collection}/{self.period}-{self.checksum[:16]}.tif"


def surfaces(conn: psycopg.Connection, collection: str | None = None) -> list[dict[str, Any]]:
    """Every surface recorded (of one collection), oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(load_sql("surfaces"), {"collection": collection}).fetchall()


def surface_collections(conn: psycopg.Connection) -> list[str]:
    """The collections that hold a surface (without reading the surfaces themselves)."""
    return [str(r[0]) for r in conn.execute(load_sql("surface_collections")).fetchall()]


def surface_at(conn: psycopg.Connection, collection: str, at: dt.datetime
               ) -> dict[str, Any] | None:
    """The surface of ``collection`` valid at the instant ``at`` (None when there is none)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(load_sql("surface_at"),
                           {"collection": collection, "at": at}).fetchone()


def record(conn: psycopg.Connection, root: Path, builds: list[SurfaceBuild]
           ) -> list[tuple[SurfaceBuild, str]]:
    """Record ``builds`` (moved from their temporary files into ``root``) in one transaction;
    each with what happened: ``recorded``, ``unchanged``, or ``kept`` (the period is recorded
    by another method, from a store older than the code: it stays, never replaced; the
    outcome describes the recorded surface, and a new store gets today's method). Raises
    :class:`Conflict` for a backdated surface or a recorded period with other content by the
    same method; then nothing is recorded and no new file stays."""
    placed: list[Path] = []
    outcomes: list[tuple[SurfaceBuild, str]] = []
    try:
        with conn.transaction():
            for collection in sorted({b.collection for b in builds}):
                conn.execute(load_sql("surface_lock"), {"collection": collection})
            known = {(s["collection"], s["valid_from"]): s for s in surfaces(conn)}
            newest: dict[str, dt.datetime] = {}
            for (collection, start), _ in known.items():
                newest[collection] = max(start, newest.get(collection, start))
            for build in sorted(builds, key=lambda b: (b.collection, b.valid_from)):
                if build.valid_to <= build.valid_from:
                    raise InvalidInput(f"{build.collection} {build.period}: its validity ends "
                                       "before it starts", hint="give a valid interval")
                same = known.get((build.collection, build.valid_from))
                if same is not None and same["method"] != build.method:
                    # made by an earlier method (a store older than the code): it stays
                    outcomes.append((replace(build, method=same["method"],
                                             cv_rmse=same["cv_rmse"], cv_mae=same["cv_mae"],
                                             n_points=same["n_points"],
                                             checksum=same["checksum"]), "kept"))
                    continue
                if same is not None:
                    if same["checksum"] != build.checksum:
                        raise Conflict(
                            f"the {build.collection} surface of {build.period} is already "
                            f"recorded with other content ({same['file_name']})",
                            hint="a recorded surface is never replaced: record the new data "
                                 "as a later period, or build into a new store")
                    outcomes.append((build, "unchanged"))
                    continue
                last = newest.get(build.collection)
                if last is not None and build.valid_from < last:
                    raise Conflict(
                        f"the {build.collection} surface of {build.period} would be recorded "
                        f"before the newest one (valid from {last.date()}): surfaces are "
                        "never backdated", hint="build the surfaces in date order, or only "
                                                "the periods after the newest one")
                target = root / build.file_name
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(build.path, target)
                    placed.append(target)
                conn.execute(load_sql("surface_insert"), {
                    "collection": build.collection, "valid_from": build.valid_from,
                    "valid_to": build.valid_to, "period": build.period,
                    "source_name": build.source_name, "method": build.method,
                    "cv_rmse": build.cv_rmse, "cv_mae": build.cv_mae,
                    "n_points": build.n_points, "cell_size_m": build.cell_size_m,
                    "epsg": build.epsg, "bounds": list(build.bounds), "bands": build.bands,
                    "file_name": build.file_name, "checksum": build.checksum,
                    "metadata": json.dumps(build.metadata)})
                newest[build.collection] = build.valid_from
                outcomes.append((build, "recorded"))
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    return outcomes
