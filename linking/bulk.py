# SPDX-License-Identifier: EUPL-1.2
"""Time-aware linking: each record (a point, a line or a polygon, with its own date) tied to
the features of target layers *as they were at the record's date*: the containing feature of
a polygon layer (municipality, district), the nearest feature of any other (street, within a
distance). A record older than a layer's first edition is linked to that first edition; the
result names, per record and layer, the edition that answered.

The work runs in PostGIS, in chunks, on parallel connections (one per core by default).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from geo.crs import STORAGE_EPSG
from geo.errors import InvalidInput
from geo.joins import VersionedLayer, link_columns
from layers.catalogue import Catalogue, LayerSpec
from linking.sqlfiles import render
from versioning.database import constant, statements

POLYGONAL = {"Polygon", "MultiPolygon"}
CHUNK = 25_000
MAX_VERTICES = {"contains": 256, "nearest": 32}
INPUT = "link_input"


@dataclass(frozen=True)
class Target:
    """A layer to link to: ``contains`` for polygon layers, else ``nearest`` within_m."""

    spec: LayerSpec
    within_m: float

    @property
    def mode(self) -> str:
        """contains or nearest."""
        return "contains" if self.spec.geometry_type in POLYGONAL else "nearest"

    @property
    def columns(self) -> list[str]:
        """The output columns for this target."""
        return link_columns(self.spec.id, self.mode)


def targets(catalogue: Catalogue, layer_ids: list[str], within_m: float
            ) -> list[Target]:
    """The targets named, checked: known, stored (not derived), not twice."""
    if not layer_ids:
        raise InvalidInput("no layer to link to", hint="for example --to "
                           "municipalities,districts,streets")
    if len(set(layer_ids)) != len(layer_ids):
        raise InvalidInput(f"a layer is named twice in {','.join(layer_ids)}",
                           hint="name each layer once")
    if not 0 < within_m <= 10_000:
        raise InvalidInput(f"the distance {within_m} m is out of range",
                           hint="give a distance in metres between 0 and 10000")
    out = []
    for layer_id in layer_ids:
        spec = catalogue.layer(layer_id)
        if spec.derived_from:
            raise InvalidInput(f"layer {layer_id!r} is derived; link to "
                               f"{', '.join(spec.derived_from)} instead",
                               hint=f"link to {', '.join(spec.derived_from)}")
        out.append(Target(spec, within_m))
    return out


@dataclass(frozen=True)
class Records:
    """Records to link: ids, instants (aware), geometries in EPSG:31370."""

    rid: np.ndarray
    at: pd.DatetimeIndex
    geom: np.ndarray  # shapely geometries

    def __len__(self) -> int:
        return len(self.rid)

    def chunk(self, start: int, stop: int) -> Records:
        """Rows start..stop."""
        return Records(self.rid[start:stop], self.at[start:stop], self.geom[start:stop])


def _first_editions(conn: psycopg.Connection, specs: list[LayerSpec]
                    ) -> dict[str, list[tuple[dt.datetime, dt.date]]]:
    rows = conn.execute("SELECT layer_id, valid_from, edition_date FROM edition "
                        "WHERE layer_id = ANY(%s) ORDER BY layer_id, valid_from",
                        ([s.id for s in specs],)).fetchall()
    out: dict[str, list[tuple[dt.datetime, dt.date]]] = {s.id: [] for s in specs}
    for layer_id, valid_from, day in rows:
        out[layer_id].append((valid_from, day))
    for s in specs:
        if not out[s.id]:
            raise InvalidInput(f"layer {s.id!r} has no edition yet",
                               hint=f"import one first: strata load {s.id}")
    return out


def _labels(spec: LayerSpec) -> sql.Composable:
    parts = []
    for lang in ("fr", "nl"):
        name = f"name_{lang}"
        col = sql.SQL("v.{}::text").format(sql.Identifier(name)) if name in spec.attributes \
            else sql.SQL("NULL::text")
        parts.append(sql.SQL("{} AS {}").format(col, sql.Identifier(f"label_{lang}")))
    return sql.SQL(", ").join(parts)


def _query(tgts: list[Target], first: dict[str, dt.datetime], points: bool) -> sql.Composed:
    ctes: list[sql.Composable] = []
    select: list[sql.Composable] = [sql.SQL("i.rid")]
    joins: list[sql.Composable] = []
    for n, t in enumerate(tgts):
        alias = f"t{n}"
        template = "link_nearest" if t.mode == "nearest" else (
            "link_contains" if points else "link_overlap")
        ctes.append(render(template, pieces=f"link_pieces_{n}", alias=alias, input=INPUT,
                           first=sql.Placeholder(f"first_{n}"),
                           within=sql.Placeholder(f"within_{n}")))
        names = ["fid", "name_fr", "name_nl"] + (["distance_m"] if t.mode == "nearest" else [])
        for name, col in zip(names, t.columns, strict=True):
            select.append(sql.SQL("{}.{} AS {}").format(
                sql.Identifier(alias), sql.Identifier(name), sql.Identifier(col)))
        joins.append(sql.SQL("LEFT JOIN {a} ON {a}.rid = i.rid").format(a=sql.Identifier(alias)))
    return sql.SQL("COPY (WITH {} SELECT {} FROM {} AS i {}) TO STDOUT WITH (FORMAT csv, HEADER)"
                   ).format(sql.SQL(", ").join(ctes), sql.SQL(", ").join(select),
                            sql.Identifier(INPUT), sql.SQL(" ").join(joins))


def _prepare_pieces(conn: psycopg.Connection, tgts: list[Target]) -> None:
    """The targets' pieces, once per connection (temporary tables of the session)."""
    # temporary tables live in the session's own buffers: room for the pieces and indexes
    conn.execute("SET temp_buffers = '256MB'")
    for n, t in enumerate(tgts):
        for stmt in statements(render(
                "link_pieces", pieces=f"link_pieces_{n}", table=t.spec.table,
                labels=_labels(t.spec),
                max_vertices=constant(MAX_VERTICES[t.mode])), conn):
            conn.execute(stmt)  # type: ignore[arg-type]


def _link_chunk(conn: psycopg.Connection, tgts: list[Target], first: dict[str, dt.datetime],
                records: Records) -> pd.DataFrame:
    # near records next to each other: the pieces they test stay in cache
    order = np.argsort(gpd.GeoSeries(records.geom).hilbert_distance(), kind="stable")
    records = Records(records.rid[order], records.at[order], records.geom[order])
    with conn.transaction():
        conn.execute(render("link_stage", input=INPUT))
        wkb = shapely.to_wkb(shapely.set_srid(records.geom, STORAGE_EPSG), include_srid=True)
        with conn.cursor().copy(
                sql.SQL("COPY {} (rid, at, geom) FROM STDIN (FORMAT BINARY)").format(
                    sql.Identifier(INPUT))) as copy:
            copy.set_types(["int8", "timestamptz", "bytea"])
            for row in zip(records.rid.tolist(), records.at.to_pydatetime().tolist(),
                           wkb.tolist(), strict=True):
                copy.write_row(row)
        for stmt in statements(render("link_index", input=INPUT), conn):
            conn.execute(stmt)  # type: ignore[arg-type]
        out = io.BytesIO()
        points = bool(shapely.get_type_id(records.geom).max() <= 0)
        bound = {**{f"first_{n}": first[t.spec.id] for n, t in enumerate(tgts)},
                 **{f"within_{n}": float(t.within_m) for n, t in enumerate(tgts)}}
        with conn.cursor().copy(_query(tgts, first, points), bound) as copy:
            for data in copy:
                out.write(data)
    out.seek(0)
    # names as text, and keys as text unless integers (a key "0042" stays "0042"); only an
    # empty field is missing (a street called "NA" is no gap)
    dtypes = {c: "string" for t in tgts
              for c in t.columns[int(t.spec.key.type == "integer"):3]}
    return pd.read_csv(out, dtype=dtypes, keep_default_na=False, na_values=[""])


def check_records(records: Records) -> None:
    """At least one record; unique ids, a geometry and a date for every record; or
    InvalidInput."""
    if not len(records):
        raise InvalidInput("there are no records to link",
                           hint="give at least one record, with a place and a date")
    if len(np.unique(records.rid)) != len(records):
        raise InvalidInput("record ids must be unique", hint="give each record its own id")
    empty = shapely.is_missing(records.geom) | shapely.is_empty(records.geom)
    if empty.any():
        raise InvalidInput(f"{int(empty.sum())} record(s) have no geometry, the first at row "
                           f"{int(np.flatnonzero(empty)[0])}",
                           hint="remove them or give them a geometry")
    if records.at.isna().any():
        raise InvalidInput(f"{int(records.at.isna().sum())} record(s) have no date",
                           hint="give every record a date, or a default date")


def link(connect: Callable[[], AbstractContextManager[psycopg.Connection]],
         catalogue_targets: list[Target], records: Records, workers: int = 2,
         progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Link ``records`` to the targets, each as of the record's own instant.

    ``connect`` opens a connection to the store; ``workers`` connections work on chunks in
    parallel. Returns one row per record (index ``rid``): per target its key and names, the
    edition that answered, and for nearest targets the distance in metres (empty beyond it).
    """
    check_records(records)
    tgts = catalogue_targets
    with connect() as conn:
        editions = _first_editions(conn, [t.spec for t in tgts])
    first = {k: v[0][0] for k, v in editions.items()}
    bounds = list(range(0, len(records), CHUNK)) or [0]
    workers = max(1, min(workers, len(bounds)))

    def run(worker: int) -> list[pd.DataFrame]:
        done = []
        with connect() as conn:
            _prepare_pieces(conn, tgts)
            for start in bounds[worker::workers]:
                done.append(_link_chunk(conn, tgts, first, records.chunk(start, start + CHUNK)))
                if progress:
                    progress(len(done[-1]))
        return done

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = [p for done in pool.map(run, range(workers)) for p in done]
    return linked_result(pd.concat(parts, ignore_index=True).set_index("rid"), tgts, records,
                         editions)


def linked_result(found: pd.DataFrame, tgts: list[Target], records: Records,
                  editions: dict[str, list[tuple[dt.datetime, dt.date]]]) -> pd.DataFrame:
    """The answer of a link, whoever computed ``found`` (index: rid; per target its
    columns): one row per record, in the records' order (index ``rid``); per target its key
    (Int64 for integer keys, else string), the edition that answered, its names (string; an
    empty name is missing) and for nearest targets the distance in metres (float64)."""
    result = found.reindex(records.rid)
    for t in tgts:
        key, names = t.columns[0], t.columns[1:3]
        result[key] = result[key].astype("Int64" if t.spec.key.type == "integer"
                                         else "string")
        for name in names:
            text = result[name].astype("string")
            result[name] = text.mask(text == "")
        if t.mode == "nearest":
            result[t.columns[3]] = result[t.columns[3]].astype("float64")
        result.insert(result.columns.get_loc(key) + 1, f"{t.spec.id}_edition",
                      _edition_of(records.at, editions[t.spec.id]))
    return result


def target_editions(conn: psycopg.Connection, tgts: list[Target]
                   ) -> dict[str, list[tuple[dt.datetime, dt.date]]]:
    """Each target layer's editions (instant, date), in order; a layer without one is said."""
    return _first_editions(conn, [t.spec for t in tgts])


def _edition_of(at: pd.DatetimeIndex, editions: list[tuple[dt.datetime, dt.date]]) -> np.ndarray:
    """The edition date in force at each instant (the first edition for older instants)."""
    starts = pd.DatetimeIndex([pd.Timestamp(v) for v, _ in editions]).tz_convert("UTC")
    days = np.array([d.isoformat() for _, d in editions], dtype=object)
    index = np.searchsorted(starts.as_unit("ns").asi8,
                            at.tz_convert("UTC").as_unit("ns").asi8, side="right") - 1
    return days[np.clip(index, 0, len(days) - 1)]


def versioned_layers(conn: psycopg.Connection, tgts: list[Target], pieces: bool = False
                     ) -> list[VersionedLayer]:
    """Every version of each target layer, in memory (for the geopandas / Dask joins), with
    the instant of its first edition. With ``pieces``, each version cut into the pieces the
    database's link measures (``link_pieces.sql``): the in-memory join then gives the
    database's answers, distances to the last bit."""
    firsts = _first_editions(conn, [t.spec for t in tgts])
    out = []
    for t in tgts:
        geom = sql.SQL("ST_Subdivide(v.geom, {})").format(constant(MAX_VERTICES[t.mode])) \
            if pieces else sql.SQL("v.geom")
        rows = conn.execute(sql.SQL(
            "SELECT v.fid, v.sys_from, lifespan_end(v.sys_to), {}, ST_AsBinary({}) "
            "FROM {} AS v "
            "WHERE v.geom IS NOT NULL ORDER BY v.fid, v.sys_from").format(
                _labels(t.spec), geom, sql.Identifier(t.spec.table))).fetchall()
        frame = pd.DataFrame(rows, columns=["fid", "sys_from", "sys_to", "name_fr", "name_nl",
                                            "wkb"])
        for col in ("sys_from", "sys_to"):
            frame[col] = pd.to_datetime(frame[col], utc=True)
        geometry = gpd.GeoSeries.from_wkb(frame.pop("wkb").map(bytes), crs=STORAGE_EPSG)
        out.append(VersionedLayer(t.spec.id, t.mode, gpd.GeoDataFrame(frame, geometry=geometry),
                                  t.within_m, pd.Timestamp(firsts[t.spec.id][0][0])))
    return out
