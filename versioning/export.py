# SPDX-License-Identifier: EUPL-1.2
"""Write snapshots and change sets to real files: GeoPackage, GeoJSON, FlatGeobuf,
Shapefile (zipped), CSV with WKT; change sets also as ``strata.diff/v1`` JSON / JSON Lines.

Batches stream from PostGIS straight into GDAL (``pyogrio.raw.write_arrow``): no layer is
ever held whole in Python.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import shapely
from pyogrio.raw import write_arrow
from pyproj import CRS

from geo.errors import InvalidInput
from layers.catalogue import LayerSpec
from versioning.instants import rfc3339
from versioning.pages import latest_edition
from versioning.reading import ARROW_TYPES, Delta, changes, snapshot, snapshot_schema


@dataclass(frozen=True)
class Format:
    """An output format: GDAL driver, file suffix, layer creation options."""

    name: str
    driver: str | None
    suffix: str
    options: tuple[tuple[str, str], ...] = ()
    media_type: str = "application/octet-stream"
    dataset_options: tuple[tuple[str, str], ...] = ()


FORMATS = {
    # GeoPackage 1.3: what Debian's GDAL 3.6 and QGIS 3.22 open by URL (GDAL 3.12 writes 1.4,
    # which 3.6 reads only from a name ending in .gpkg)
    "gpkg": Format("gpkg", "GPKG", ".gpkg", media_type="application/geopackage+sqlite3",
                   dataset_options=(("VERSION", "1.3"),)),
    "geojson": Format("geojson", "GeoJSON", ".geojson", media_type="application/geo+json"),
    "fgb": Format("fgb", "FlatGeobuf", ".fgb", media_type="application/flatgeobuf"),
    "shp": Format("shp", "ESRI Shapefile", ".zip", (("ENCODING", "UTF-8"),),
                  media_type="application/zip"),
    "csv": Format("csv", "CSV", ".csv", (("GEOMETRY", "AS_WKT"),), media_type="text/csv"),
}
DIFF_FORMATS = {
    "json": Format("json", None, ".json", media_type="application/json"),
    "jsonl": Format("jsonl", None, ".jsonl", media_type="application/jsonl"),
}
_SUFFIXES = {".gpkg": "gpkg", ".geojson": "geojson", ".fgb": "fgb", ".zip": "shp",
             ".csv": "csv", ".json": "json", ".jsonl": "jsonl"}


def format_for(path: Path, name: str | None = None, diff: bool = False) -> Format:
    """The output format named, or inferred from the file's suffix."""
    table = {**FORMATS, **DIFF_FORMATS} if diff else FORMATS
    key = name or _SUFFIXES.get(path.suffix.lower())
    if key not in table:
        raise InvalidInput(
            f"cannot tell the output format of {path.name!r}" if not name
            else f"unknown format {name!r}",
            hint=f"use one of: {', '.join(table)} (or a file ending in "
                 f"{', '.join(t.suffix for t in table.values())})")
    return table[key]


def write_batches(batches: Iterable[pa.RecordBatch], schema: pa.Schema, path: Path,
                  fmt: Format, layer: str, geometry_type: str, epsg: int,
                  append: bool = False) -> None:
    """Stream Arrow batches (WKB column ``geom``) into a GDAL file."""
    if fmt.name == "shp" and geometry_type == "Geometry":
        raise InvalidInput(f"a Shapefile holds one kind of geometry, and {layer} mixes them "
                           "(points and polygons)",
                           hint="download it as f=gpkg, geojson, fgb or csv, which hold both")
    reader = pa.RecordBatchReader.from_batches(schema, _nonempty(batches, schema))
    target = path
    tmpdir = None
    if fmt.name == "shp":
        tmpdir = Path(tempfile.mkdtemp(prefix="strata-shp-"))
        target = tmpdir / f"{layer}.shp.zip"
    elif not append and path.exists():
        path.unlink()
    try:
        write_arrow(reader, str(target), layer=layer, driver=fmt.driver, geometry_name="geom",
                    geometry_type=geometry_type if geometry_type != "Geometry" else "Unknown",
                    crs=CRS.from_epsg(epsg).to_wkt(), append=append,
                    layer_options=dict(fmt.options) or None,
                    dataset_options=None if append else dict(fmt.dataset_options) or None)
        if tmpdir:
            shutil.move(str(target), path)
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _nonempty(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """GDAL needs to see the layer even when there is no feature: yield an empty batch."""
    seen = False
    for batch in batches:
        seen = True
        yield batch
    if not seen:
        yield pa.RecordBatch.from_pylist([], schema=schema)


# -- change sets -------------------------------------------------------------------------------
def flat_diff_schema(spec: LayerSpec) -> pa.Schema:
    """One row per delta: key, action, geometry_changed, old_* and new_* values, geometry."""
    key_type = pa.int64() if spec.key.type == "integer" else pa.string()
    fields = [pa.field(spec.key.name, key_type), pa.field("action", pa.string()),
              pa.field("geometry_changed", pa.bool_())]
    for prefix in ("old_", "new_"):
        fields += [pa.field(prefix + n, ARROW_TYPES[k]) for n, k in spec.attributes.items()]
        fields.append(pa.field(prefix + "begin_lifespan", ARROW_TYPES["timestamp"]))
    fields.append(pa.field("geom", pa.binary()))
    return pa.schema(fields)


def flat_diff_batches(deltas: Iterable[Delta], spec: LayerSpec, schema: pa.Schema,
                      size: int = 10_000) -> Iterator[pa.RecordBatch]:
    """Deltas as flat rows; the geometry is the new one, or the old one for a deletion."""
    rows: list[dict[str, Any]] = []
    for d in deltas:
        row: dict[str, Any] = {spec.key.name: d.fid, "action": d.action,
                               "geometry_changed": d.geometry_changed}
        for prefix, side in (("old_", d.old), ("new_", d.new)):
            for n in spec.attributes:
                row[prefix + n] = side.get(n) if side else None
            row[prefix + "begin_lifespan"] = side["beginLifespanVersion"] if side else None
        row["geom"] = (d.new or d.old or {}).get("geom")
        rows.append(row)
        if len(rows) >= size:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)
            rows = []
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)


def delta_json(d: Delta, spec: LayerSpec) -> dict[str, Any]:
    """A delta as JSON: properties and a GeoJSON geometry on each side."""

    def side(values: dict[str, Any] | None) -> dict[str, Any] | None:
        if values is None:
            return None
        props = {k: _jsonable(v, spec.attributes.get(k)) for k, v in values.items()
                 if k != "geom"}
        geom = values.get("geom")
        return {"properties": props,
                "geometry": json.loads(shapely.to_geojson(shapely.from_wkb(geom)))
                if geom is not None else None}

    return {"id": d.fid, "action": d.action, "geometry_changed": d.geometry_changed,
            "old": side(d.old), "new": side(d.new)}


def _jsonable(value: Any, kind: str | None) -> Any:
    if kind == "json" and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def write_diff_json(deltas: Iterable[Delta], spec: LayerSpec, path: Path, fmt: Format,
                    header: dict[str, Any]) -> int:
    """Write ``strata.diff/v1`` JSON (one document) or JSON Lines (a header, then deltas)."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        if fmt.name == "jsonl":
            out.write(json.dumps({"strata.diff/v1": header}, ensure_ascii=False) + "\n")
            for d in deltas:
                out.write(json.dumps(delta_json(d, spec), ensure_ascii=False) + "\n")
                count += 1
            return count
        out.write('{"strata.diff/v1": ' + json.dumps(header, ensure_ascii=False)[:-1]
                  + ', "changes": [')
        for d in deltas:
            out.write(("," if count else "") + "\n" + json.dumps(delta_json(d, spec),
                                                                 ensure_ascii=False))
            count += 1
        out.write("\n]}}\n")
    return count


# -- whole exports, for the CLI and the HTTP downloads ------------------------------------------
def export_snapshot(conn: psycopg.Connection, specs: list[LayerSpec], at: dt.datetime,
                    path: Path, fmt: Format, epsg: int,
                    progress: Callable[[LayerSpec], Callable[[int], None] | None] | None = None
                    ) -> dict[str, int]:
    """Write the layers as they were at ``at`` into ``path`` (several layers: one GeoPackage).
    Returns the number of features written per layer."""
    if path.exists():
        path.unlink()
    counts: dict[str, int] = {}
    for i, spec in enumerate(specs):
        tick = progress(spec) if progress else None
        counts[spec.id] = 0

        def counted(n: int, spec: LayerSpec = spec, tick=tick) -> None:
            counts[spec.id] += n
            if tick:
                tick(n)

        write_batches(snapshot(conn, spec, at, epsg, counted), snapshot_schema(spec), path,
                      fmt, spec.id, spec.geometry_type, epsg, append=i > 0)
    settle(path, fmt, _newest(conn, specs))
    return counts


def _newest(conn: psycopg.Connection, specs: list[LayerSpec]) -> dt.datetime:
    """When the layers last changed: their newest edition's start (which may also have ended
    versions of an earlier date)."""
    found = [e[1] for e in (latest_edition(conn, s) for s in specs) if e]
    return max(found) if found else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def settle(path: Path, fmt: Format, stamp: dt.datetime) -> None:
    """Make the file the same bytes wherever and whenever it is made: the times GDAL writes
    (a GeoPackage's ``last_change``, a Shapefile's DBF date, the zip's entry times) become
    ``stamp``, the data's last change. Several Strata instances then build identical files
    of one map."""
    stamp = stamp.astimezone(dt.UTC)
    if fmt.name == "gpkg":
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("UPDATE gpkg_contents SET last_change = ?",
                       (stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z"),))
    elif fmt.name == "shp":
        entries = []
        with zipfile.ZipFile(path) as zin:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename.lower().endswith(".dbf") and len(data) > 4:
                    data = bytes([data[0], stamp.year - 1900, stamp.month, stamp.day]) + data[4:]
                entries.append((info.filename, data, info.compress_type))
        tmp = path.with_name(path.name + ".settle")
        with zipfile.ZipFile(tmp, "w") as zout:
            for name, data, compression in entries:
                info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
                info.compress_type = compression
                info.external_attr = 0o644 << 16
                zout.writestr(info, data)
        tmp.replace(path)


def export_changes(conn: psycopg.Connection, spec: LayerSpec, t1: dt.datetime,
                   t2: dt.datetime, path: Path, fmt: Format, epsg: int, crs_uri: str,
                   flipped: bool = False) -> Counter[str]:
    """Write the net changes of (t1, t2] to ``path``; return the count per action. The
    ``strata.diff/v1`` files write coordinates in the axis order of ``crs_uri`` (``flipped``:
    latitude first for EPSG:4326, as its header says); files GDAL writes keep x / y."""
    tally: Counter[str] = Counter()

    def counted(deltas: Iterable[Delta]) -> Iterator[Delta]:
        for d in deltas:
            tally[d.action] += 1
            yield d

    deltas = counted(changes(conn, spec, t1, t2, epsg, flipped and fmt.driver is None))
    if fmt.driver is None:
        header = {"layer": spec.id, "key": spec.key.name, "from": rfc3339(t1),
                  "to": rfc3339(t2), "crs": crs_uri}
        write_diff_json(deltas, spec, path, fmt, header)
    else:
        schema = flat_diff_schema(spec)
        write_batches(flat_diff_batches(deltas, spec, schema), schema, path, fmt,
                      f"{spec.id}_changes", spec.geometry_type, epsg)
        settle(path, fmt, _newest(conn, [spec]))
    return tally
