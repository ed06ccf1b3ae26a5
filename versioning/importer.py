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
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pcsv
import shapely
from psycopg import sql

from geo.errors import Conflict
from geo.order import hilbert_order
from layers.catalogue import LayerSpec
from layers.readers import Batch
from versioning.database import render, scalar, statements
from versioning.instants import day_start
from versioning.schema import KEY_TYPES, SQL_TYPES

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


def import_batch(conn: psycopg.Connection, batch: Batch, day: dt.date, source_file: str,
                 checksum: str, progress: Progress | None = None) -> ImportResult:
    """Import a clean batch as the edition of ``day``, in one transaction, into a prepared
    store (``services.store.Store.connect`` prepares it; ``ensure_layer`` for a bare one)."""
    spec = batch.layer
    valid_from = day_start(day)
    n = len(batch.frame)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                     (f"strata.import:{spec.id}",))
        latest = scalar(conn, "SELECT max(edition_date) FROM edition WHERE layer_id = %s",
                        (spec.id,))
        if latest is None:
            counts = {"added": n, "modified": 0, "deleted": 0}
        else:
            _create_stage(conn, spec)
            _copy(conn, sql.Identifier("_stage"), spec, batch.frame, progress)
            conn.execute("ANALYZE _stage")
            for stmt in statements(render("import_delta", table=spec.table), conn):
                conn.execute(stmt)  # type: ignore[arg-type]
            counts = {"added": 0, "modified": 0, "deleted": 0}
            counts.update(dict(conn.execute(
                "SELECT action, count(*) FROM _delta GROUP BY action").fetchall()))
        unchanged = n - counts["added"] - counts["modified"]
        result = ImportResult(spec.id, day, True, n, unchanged=unchanged,
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
            "checksum": checksum, "n_features": n, "n_repaired": batch.clean.repaired,
            "unchanged": unchanged, **counts})
        params = {"valid_from": valid_from, "edition_id": edition_id}
        if latest is None:
            _first_edition(conn, spec, batch.frame, valid_from, edition_id, progress)
        else:
            columns = sql.SQL(", ").join(map(sql.Identifier, spec.attributes))
            staged = sql.SQL(", ").join(
                sql.SQL("s.{}").format(sql.Identifier(a)) for a in spec.attributes)
            conn.execute(render("import_retire", table=spec.table), params)
            conn.execute(render("import_insert", table=spec.table, columns=columns,
                                staged_columns=staged), params)
    # committed: where the WAL stands, for the standbys that serve reads (a failure here
    # loses nothing: an edition without a position is read from the primary)
    conn.execute(render("edition_lsn"), {"edition_id": edition_id})
    # fresh statistics, so that the planner uses the lifespan indexes for reads, and a
    # visibility map, so that paging reads the covering index alone
    conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(spec.table)))
    return result


def _first_edition(conn: psycopg.Connection, spec: LayerSpec, frame: pd.DataFrame,
                   valid_from: dt.datetime, edition_id: int, progress: Progress | None) -> None:
    """Every feature is new: COPY straight into the layer's table in spatial order (a
    Hilbert curve: a tile or a bounding box then reads few pages), its indexes (and the
    edition key's check) dropped and made again once, as a bulk load should."""
    indexes = conn.execute(render("layer_indexes"), {"table": spec.table}).fetchall()
    fk = {"table": spec.table, "fk": f"{spec.table}_edition_fk"}
    conn.execute(render("layer_fk_drop", **fk))
    for name, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    frame = frame.iloc[hilbert_order(frame.geometry.array)]
    _copy(conn, sql.Identifier(spec.table), spec, frame, progress,
          {"sys_from": valid_from.isoformat(), "sys_to": "infinity", "edition_id": edition_id})
    for _, definition in indexes:
        conn.execute(definition)
    conn.execute(render("layer_fk_add", **fk))


def _create_stage(conn: psycopg.Connection, spec: LayerSpec) -> None:
    """A temporary table ``_stage`` for the incoming features (dropped at commit)."""
    defs = [sql.SQL("fid {} PRIMARY KEY").format(sql.SQL(KEY_TYPES[spec.key.type]))]
    defs += [sql.SQL("{} {}").format(sql.Identifier(a), sql.SQL(SQL_TYPES[k]))
             for a, k in spec.attributes.items()]
    defs.append(sql.Composed([sql.SQL("geom geometry, content_hash bytea NOT NULL")]))
    conn.execute(sql.SQL("CREATE TEMP TABLE _stage ({}) ON COMMIT DROP").format(
        sql.SQL(", ").join(defs)))


def _copy(conn: psycopg.Connection, table: sql.Identifier, spec: LayerSpec,
          frame: pd.DataFrame, progress: Progress | None,
          constants: dict[str, Any] | None = None) -> None:
    """COPY the features (with their content hash) into ``table``, in chunks."""
    constants = constants or {}
    names = ["fid", *spec.attributes, "geom", "content_hash", *constants]
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, names)))
    with conn.cursor().copy(copy_sql) as copy:
        for start in range(0, len(frame), CHUNK):
            part = frame.iloc[start:start + CHUNK]
            copy.write(_csv_chunk(part, spec, constants))
            if progress:
                progress(len(part))


def _csv_chunk(part: pd.DataFrame, spec: LayerSpec, constants: dict[str, Any]) -> bytes:
    """CSV for COPY (nulls unquoted-empty): values, EWKB geometry, content hash, constants."""
    wkb = shapely.to_wkb(np.asarray(part.geometry.array, dtype=object), byte_order=1)
    columns = {"fid": pa.array(part["fid"].to_numpy(dtype=object), from_pandas=True,
                               type=COPY_TYPES[spec.key.type])}
    for a, kind in spec.attributes.items():
        columns[a] = pa.array(part[a].to_numpy(dtype=object), from_pandas=True,
                              type=COPY_TYPES[kind])
    columns["geom"] = pa.array([None if g is None else ewkb_hex(g) for g in wkb],
                               type=pa.string())
    hashes = content_hashes([columns[a] for a in spec.attributes], list(wkb))
    columns["content_hash"] = pa.array(["\\x" + h.hex() for h in hashes], type=pa.string())
    for name, value in constants.items():
        columns[name] = pa.array([value] * len(part))
    buf = io.BytesIO()
    pcsv.write_csv(pa.table(columns), buf,
                   pcsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buf.getvalue()


_SRID = (31370).to_bytes(4, "little")


def ewkb_hex(wkb: bytes) -> str:
    """Little-endian WKB as hex EWKB with SRID 31370 (what PostGIS reads for a typed column).

    >>> import shapely
    >>> ewkb_hex(shapely.to_wkb(shapely.Point(1, 2), byte_order=1))[:18]
    '01010000208a7a0000'
    """
    kind = int.from_bytes(wkb[1:5], "little") | 0x20000000
    return (wkb[:1] + kind.to_bytes(4, "little") + _SRID + wkb[5:]).hex()


def content_hashes(values: list[pa.Array], wkb: list[bytes | None]) -> list[bytes]:
    """The content hash of each feature: md5 over its attribute values (typed text, a marker
    for null) and its WKB. Computed here, once, for every incoming feature: two versions are
    equal exactly when their hashes are.

    >>> import pyarrow as pa
    >>> a = content_hashes([pa.array(["x", None]), pa.array([1, 1])], [b"g", b"g"])
    >>> b = content_hashes([pa.array(["x", ""]), pa.array([1, 1])], [b"g", b"g"])
    >>> a[0] == b[0], a[1] == b[1]
    (True, False)
    """
    import pyarrow.compute as pc

    texts = [pc.fill_null(pc.cast(v, pa.string()), "\x00") for v in values] or [
        pa.array([""] * len(wkb))]
    joined = pc.binary_join_element_wise(*texts, "\x1f").to_pylist()
    return [hashlib.md5(t.encode() + b"\x1e" + (g or b"")).digest()
            for t, g in zip(joined, wkb, strict=True)]
