# SPDX-License-Identifier: EUPL-1.2
"""Import an edition: stage the clean batch, compare it with the current versions, record.

One import is one transaction. Imports of one layer are serialised by an advisory lock.
An edition dated at or before the layer's latest edition is refused, unless its content is
identical to the current state (then nothing is created).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pcsv
import shapely
from psycopg import sql

from geo.errors import Conflict
from layers.catalogue import LayerSpec
from layers.readers import Batch, read_layer_file
from versioning.database import render, scalar, statements
from versioning.instants import day_start, parse_date
from versioning.schema import KEY_TYPES, SQL_TYPES, ensure_layer

CHUNK = 50_000
# how attribute values travel in the COPY stream (timestamps as ISO text, json as text)
COPY_TYPES = {"text": pa.string(), "integer": pa.int64(), "double": pa.float64(),
              "boolean": pa.bool_(), "date": pa.date32(), "timestamp": pa.string(),
              "json": pa.string()}
Progress = Callable[[int], None]


@dataclass
class ImportResult:
    """What an import did."""

    layer: str
    edition_date: dt.date
    created: bool
    features: int
    added: int = 0
    modified: int = 0
    deleted: int = 0
    unchanged: int = 0
    repaired: int = 0
    notes: tuple[str, ...] = ()

    def line(self) -> str:
        """One line for humans."""
        if not self.created:
            return (f"{self.layer} {self.edition_date}: identical to the current map, "
                    f"nothing created ({self.features} features)")
        return (f"{self.layer} {self.edition_date}: {self.added} added, {self.modified} "
                f"modified, {self.deleted} deleted, {self.unchanged} unchanged")


def file_checksum(path: Path) -> str:
    """sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(conn: psycopg.Connection, spec: LayerSpec, path: Path | str,
                date: dt.date | str, source: str | None = None, layer: str | None = None,
                progress: Progress | None = None) -> ImportResult:
    """Read ``path`` and import it as the edition of ``date`` (see :func:`import_batch`)."""
    day = parse_date(date)
    batch = read_layer_file(path, spec, source, layer)
    return import_batch(conn, batch, day, str(path), file_checksum(Path(path)), progress)


def import_batch(conn: psycopg.Connection, batch: Batch, day: dt.date, source_file: str,
                 checksum: str, progress: Progress | None = None) -> ImportResult:
    """Import a clean batch as the edition of ``day``, in one transaction."""
    spec = batch.layer
    ensure_layer(conn, spec)
    valid_from = day_start(day)
    attrs = list(spec.attributes)
    hash_expr = _hash_expr(attrs, "s")
    cols = sql.SQL(", ").join(map(sql.Identifier, attrs))
    staged = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(a)) for a in attrs)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                     (f"strata.import:{spec.id}",))
        latest = scalar(conn, "SELECT max(edition_date) FROM edition WHERE layer_id = %s",
                        (spec.id,))
        _stage(conn, spec, batch.frame, progress)
        params = {"valid_from": valid_from}
        if latest is None:
            counts = {"added": len(batch.frame), "modified": 0, "deleted": 0}
        else:
            for stmt in statements(render("import_delta", table=spec.table, hash=hash_expr),
                                   conn):
                conn.execute(stmt)  # type: ignore[arg-type]
            counts = {"added": 0, "modified": 0, "deleted": 0}
            counts.update(dict(conn.execute(
                "SELECT action, count(*) FROM _delta GROUP BY action").fetchall()))
        unchanged = len(batch.frame) - counts["added"] - counts["modified"]
        result = ImportResult(spec.id, day, True, len(batch.frame), unchanged=unchanged,
                              repaired=batch.clean.repaired, notes=tuple(batch.summary()),
                              **counts)
        if latest is not None and not any(counts.values()):
            result.created = False  # nothing to record: only temporary tables were made
            return result
        if latest is not None and day <= latest:
            raise Conflict(
                f"layer {spec.id!r} already has an edition dated {latest}; an edition dated "
                f"{day} would rewrite history ({counts['added']} added, {counts['modified']} "
                f"modified, {counts['deleted']} deleted against the current map)",
                hint=f"import editions in date order: give a date after {latest}")
        edition_id = scalar(conn, render("edition_insert"), {
            "layer_id": spec.id, "edition_date": day, "valid_from": valid_from,
            "source_name": batch.source_name, "source_file": Path(source_file).name,
            "checksum": checksum, "n_features": len(batch.frame),
            "n_repaired": batch.clean.repaired})
        params["edition_id"] = edition_id
        fill = {"table": spec.table, "hash": hash_expr, "columns": cols, "staged_columns": staged}
        if latest is None:
            # a first edition: building the indexes once is much faster than row by row
            # (and so is checking the edition key once rather than for every row)
            indexes = conn.execute(render("layer_indexes"), {"table": spec.table}).fetchall()
            fk = {"table": spec.table, "fk": f"{spec.table}_edition_fk"}
            conn.execute(render("layer_fk_drop", **fk))
            for name, _ in indexes:
                conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            conn.execute(render("import_insert_all", **fill), params)
            for _, definition in indexes:
                conn.execute(definition)
            conn.execute(render("layer_fk_add", **fk))
        else:
            conn.execute(render("import_retire", table=spec.table), params)
            conn.execute(render("import_insert", **fill), params)
        conn.execute(render("edition_counts"), {"edition_id": edition_id,
                                                "unchanged": unchanged, **counts})
    # fresh statistics, so that the planner uses the lifespan indexes for reads
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(spec.table)))
    return result


def _hash_expr(attrs: list[str], alias: str) -> sql.Composed:
    """The content hash of a version: its attributes and geometry, exactly."""
    parts = [sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(a)) for a in attrs]
    geom = sql.SQL("coalesce(ST_AsBinary({}.geom), '')").format(sql.Identifier(alias))
    return sql.SQL("decode(md5(convert_to(ROW({})::text, 'UTF8') || {}), 'hex')").format(
        sql.SQL(", ").join(parts), geom)


def _stage(conn: psycopg.Connection, spec: LayerSpec, frame: pd.DataFrame,
           progress: Progress | None) -> None:
    """COPY the batch into a temporary table ``_stage`` (dropped at commit)."""
    defs = [sql.SQL("fid {} PRIMARY KEY").format(sql.SQL(KEY_TYPES[spec.key.type]))]
    defs += [sql.SQL("{} {}").format(sql.Identifier(a), sql.SQL(SQL_TYPES[k]))
             for a, k in spec.attributes.items()]
    defs.append(sql.Composed([sql.SQL("geom geometry")]))
    conn.execute(sql.SQL("CREATE TEMP TABLE _stage ({}) ON COMMIT DROP").format(
        sql.SQL(", ").join(defs)))
    names = ["fid", *spec.attributes, "geom"]
    copy_sql = sql.SQL("COPY _stage ({}) FROM STDIN (FORMAT csv)").format(
        sql.SQL(", ").join(map(sql.Identifier, names)))
    with conn.cursor().copy(copy_sql) as copy:
        for start in range(0, len(frame), CHUNK):
            part = frame.iloc[start:start + CHUNK]
            copy.write(_csv_chunk(part, spec))
            if progress:
                progress(len(part))
    conn.execute("ANALYZE _stage")


def _csv_chunk(part: pd.DataFrame, spec: LayerSpec) -> bytes:
    """CSV for COPY (nulls unquoted-empty), geometry as hex WKB (EPSG:31370 set in SQL)."""
    wkb = shapely.to_wkb(np.asarray(part.geometry.array, dtype=object))
    columns = {"fid": pa.array(part["fid"].to_numpy(dtype=object), from_pandas=True,
                               type=COPY_TYPES[spec.key.type])}
    for a, kind in spec.attributes.items():
        columns[a] = pa.array(part[a].to_numpy(dtype=object), from_pandas=True,
                              type=COPY_TYPES[kind])
    columns["geom"] = pa.array([None if g is None else g.hex() for g in wkb], type=pa.string())
    buf = io.BytesIO()
    pcsv.write_csv(pa.table(columns), buf,
                   pcsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buf.getvalue()
