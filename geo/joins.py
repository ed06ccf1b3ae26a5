# SPDX-License-Identifier: EUPL-1.2
"""In-memory, time-aware joins (geopandas, and dask-geopandas to grow past one machine).

The same rules as the database's link (``linking/bulk.py``, ``linking/sql/link_*.sql``): each
record is joined to a layer as it was at the record's instant (its first edition for older
records); a polygon layer gives the feature containing the record (most area / length for
polygons and lines, summed over the feature's pieces; the smallest key on a shared boundary),
any other layer the nearest feature within a distance (the smallest key on a tie).

Distances are measured as PostGIS measures them (``ST_Distance``: liblwgeom's point-segment
formula, not GEOS's), so that, given the same pieces as the database (``ST_Subdivide``, see
``linking.bulk.versioned_layers``), a point's distance is the database's to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def link_columns(layer_id: str, mode: str) -> list[str]:
    """The columns a link to a layer adds: its key and names (and the distance, for nearest)."""
    cols = [f"{layer_id}_id", f"{layer_id}_name_fr", f"{layer_id}_name_nl"]
    return cols + ([f"{layer_id}_distance_m"] if mode == "nearest" else [])


@dataclass(frozen=True)
class VersionedLayer:
    """Every version of a layer: fid, sys_from, sys_to (NaT = current), name_fr, name_nl,
    geometry (a version may come as several rows, its pieces); ``mode`` is contains or
    nearest; ``first``, the instant of the layer's first edition (records older than it are
    read at it; default: the first version's)."""

    id: str
    mode: str
    versions: gpd.GeoDataFrame
    within_m: float = 50.0
    first: pd.Timestamp | None = None

    @property
    def starts(self) -> pd.DatetimeIndex:
        """The instants at which the layer changed (a version began or ended), in order,
        from its first edition."""
        v = self.versions
        instants = pd.DatetimeIndex(pd.concat([v["sys_from"], v["sys_to"].dropna()])
                                    ).tz_convert("UTC")
        if self.first is not None:
            first = pd.Timestamp(self.first).tz_convert("UTC")
            instants = instants[instants >= first].append(pd.DatetimeIndex([first]))
        return instants.unique().sort_values()

    def alive(self, at: pd.Timestamp) -> gpd.GeoDataFrame:
        """The versions alive at ``at``."""
        v = self.versions
        return v[(v["sys_from"] <= at) & (v["sys_to"].isna() | (v["sys_to"] > at))]

    @property
    def columns(self) -> list[str]:
        """The output columns."""
        return link_columns(self.id, self.mode)


def _contains(recs: gpd.GeoDataFrame, alive: gpd.GeoDataFrame) -> pd.DataFrame:
    joined = gpd.sjoin(recs[["geometry"]], alive, predicate="intersects", how="inner")
    if joined.empty:
        return joined[["fid", "name_fr", "name_nl"]]
    dims = shapely.get_dimensions(joined.geometry.values)
    weight = np.zeros(len(joined))
    if (dims > 0).any():
        other = alive.geometry.values[alive.index.get_indexer(joined["index_right"])]
        inter = shapely.intersection(joined.geometry.values, other)
        weight = np.where(dims == 2, shapely.area(inter),
                          np.where(dims == 1, shapely.length(inter), 0.0))
    joined = joined.assign(_w=weight).rename_axis("_rid").reset_index()
    if (dims > 0).any():  # a feature's weight is the sum over its pieces
        joined = joined.groupby(["_rid", "fid"], as_index=False, sort=False).agg(
            _w=("_w", "sum"), name_fr=("name_fr", "first"), name_nl=("name_nl", "first"))
    best = joined.assign(_w=-joined["_w"]).sort_values(["_rid", "_w", "fid"]) \
        .drop_duplicates("_rid")
    return best.set_index("_rid")[["fid", "name_fr", "name_nl"]]


# GEOS and liblwgeom measure the same pair within about 1e-10 m at the city's coordinates:
# candidates are sought this much further, then measured the PostGIS way
_MARGIN_M = 1e-6
_PAIRS_PER_STEP = 2_000_000


def _segments(geoms: np.ndarray, first_vertices: bool
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The segments of each geometry (lines, and polygons' rings; a point is a segment from
    itself to itself; with ``first_vertices`` each line's first vertex too, as PostGIS
    measures a point to it first): (offsets per geometry, A, B) sorted by geometry."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    kind = shapely.get_type_id(parts)
    polys = kind == 3
    rings, ring_of = shapely.get_rings(parts[polys], return_index=True)
    lines = np.concatenate([parts[~polys], rings])
    line_owner = np.concatenate([owner[~polys], owner[polys][ring_of]])
    coords, index = shapely.get_coordinates(lines, return_index=True)
    inside = index[1:] == index[:-1]
    a, b = coords[:-1][inside], coords[1:][inside]
    seg_owner = line_owner[index[:-1][inside]]
    starts = np.r_[True, ~inside] if len(index) else np.zeros(0, bool)
    single = np.bincount(index, minlength=len(lines)) == 1  # points, one-vertex lines
    lone = starts & (single[index] | first_vertices) if len(index) else starts
    a = np.concatenate([a, coords[lone]])
    b = np.concatenate([b, coords[lone]])
    seg_owner = np.concatenate([seg_owner, line_owner[index[lone]]])
    order = np.argsort(seg_owner, kind="stable")
    offsets = np.searchsorted(seg_owner[order], np.arange(len(geoms) + 1))
    return offsets, a[order], b[order]


def _vertices(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    return np.searchsorted(index, np.arange(len(geoms) + 1)), coords


def _pt_seg(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """liblwgeom's ``lw_dist2d_pt_seg`` / ``lw_dist2d_pt_pt`` (PostGIS's ST_Distance), term
    for term: the projection's parameter r, then the distance to A, to B or to the projected
    point; 0 for a point found on the segment."""
    px, py, ax, ay, bx, by = p[:, 0], p[:, 1], a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    dx, dy = bx - ax, by - ay
    same = (ax == bx) & (ay == by)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
    r = np.where(same, -1.0, r)
    qx = np.where(r < 0, ax, np.where(r >= 1, bx, ax + r * dx))
    qy = np.where(r < 0, ay, np.where(r >= 1, by, ay + r * dy))
    h, v = qx - px, qy - py
    dist = np.sqrt(h * h + v * v)
    on = (r >= 0) & (r < 1) & ((ay - py) * dx == (ax - px) * dy)
    return np.where(on, 0.0, dist)


def _vertex_segment_min(verts: tuple[np.ndarray, np.ndarray],
                        segs: tuple[np.ndarray, np.ndarray, np.ndarray],
                        vi: np.ndarray, sj: np.ndarray) -> np.ndarray:
    """Per pair k, the least distance from a vertex of geometry ``vi[k]`` to a segment of
    geometry ``sj[k]`` (inf when either has none)."""
    (voff, coords), (soff, a, b) = verts, segs
    nv = voff[vi + 1] - voff[vi]
    ns = soff[sj + 1] - soff[sj]
    count = nv * ns
    out = np.full(len(vi), np.inf)
    step_start = 0
    while step_start < len(vi):  # bounded memory: pairs by steps
        cum = np.cumsum(count[step_start:])
        step_end = step_start + max(1, int(np.searchsorted(cum, _PAIRS_PER_STEP, "right")))
        k = np.arange(step_start, step_end)
        k = k[count[k] > 0]
        if len(k):
            c = count[k]
            first = np.cumsum(c) - c
            pair = np.repeat(np.arange(len(k)), c)
            t = np.arange(int(c.sum())) - first[pair]
            per = ns[k][pair]
            v = voff[vi[k]][pair] + t // per
            s = soff[sj[k]][pair] + t % per
            d = _pt_seg(coords[v], a[s], b[s])
            out[k] = np.minimum.reduceat(d, first)
        step_start = step_end
    return out


def postgis_distance(records: np.ndarray, pieces: np.ndarray, ri: np.ndarray,
                     pj: np.ndarray) -> np.ndarray:
    """``ST_Distance(pieces[pj], records[ri])`` for each pair, measured as PostGIS measures
    it. Exact (the same double) for point and multipoint records; for lines and polygons
    (which PostGIS measures with a pruned search that may take a segment backwards) equal to
    within rounding, and 0 where they meet."""
    out = np.empty(len(ri))
    points = np.isin(shapely.get_type_id(records), (0, 4))
    pt = points[ri]
    if pt.any():
        d = _vertex_segment_min(_vertices(records), _segments(pieces, True), ri[pt], pj[pt])
        areal = shapely.get_dimensions(pieces[pj[pt]]) == 2  # a point inside a polygon: 0
        if areal.any():
            d[areal] = np.where(shapely.intersects(records[ri[pt]][areal],
                                                   pieces[pj[pt]][areal]), 0.0, d[areal])
        out[pt] = d
    other = ~pt
    if other.any():
        ro, po = ri[other], pj[other]
        d = np.minimum(
            _vertex_segment_min(_vertices(records), _segments(pieces, False), ro, po),
            _vertex_segment_min(_vertices(pieces), _segments(records, False), po, ro))
        out[other] = np.where(shapely.intersects(records[ro], pieces[po]), 0.0, d)
    return out


def _nearest(recs: gpd.GeoDataFrame, alive: gpd.GeoDataFrame, within_m: float) -> pd.DataFrame:
    columns = ["fid", "name_fr", "name_nl", "distance_m"]
    geoms = np.asarray(recs.geometry.array, dtype=object)
    pieces = np.asarray(alive.geometry.array, dtype=object)
    tree = shapely.STRtree(pieces)
    (ri, _), geos = tree.query_nearest(geoms, max_distance=within_m + _MARGIN_M,
                                       return_distance=True, all_matches=True)
    least = np.full(len(geoms), np.inf)
    np.minimum.at(least, ri, geos)
    near = np.flatnonzero(np.isfinite(least))
    ri = pj = np.zeros(0, dtype=np.intp)
    if len(near):  # every piece about as near as the nearest: PostGIS's measure picks
        qi, pj = tree.query(geoms[near], predicate="dwithin",
                            distance=least[near] + _MARGIN_M)
        ri = near[qi]
    dist = postgis_distance(geoms, pieces, ri, pj)
    keep = dist <= within_m
    found = pd.DataFrame({"_rid": recs.index.values[ri[keep]],
                          "distance_m": dist[keep]})
    for c in columns[:3]:
        found[c] = alive[c].to_numpy()[pj[keep]]
    best = found.sort_values(["_rid", "distance_m", "fid"]).drop_duplicates("_rid")
    return best.set_index("_rid")[columns]


def link_frame(records: gpd.GeoDataFrame, layers: list[VersionedLayer]) -> pd.DataFrame:
    """Link ``records`` (index: record id; ``at``: aware instants; geometry in the layers'
    CRS) to each layer as of each record's instant. One row per record."""
    out = pd.DataFrame(index=records.index)
    at = pd.DatetimeIndex(records["at"]).tz_convert("UTC").as_unit("ns")
    for layer in layers:
        starts = layer.starts.tz_convert("UTC").as_unit("ns")
        k = np.clip(np.searchsorted(starts.asi8, at.asi8, side="right") - 1, 0, None)
        parts = []
        for i in np.unique(k):
            recs = records[k == i]
            alive = layer.alive(starts[i])[["fid", "name_fr", "name_nl", "geometry"]]
            part = (_contains(recs, alive) if layer.mode == "contains"
                    else _nearest(recs, alive, layer.within_m))
            parts.append(part)
        found = pd.concat(parts) if parts else pd.DataFrame(
            {c: pd.Series(dtype="float64" if c.endswith("_m") else "object")
             for c in ["fid", "name_fr", "name_nl", "distance_m"][:len(layer.columns)]})
        found.columns = layer.columns
        key = layer.columns[0]
        if pd.api.types.is_numeric_dtype(layer.versions["fid"]):
            found[key] = found[key].astype("Int64")
        out = out.join(found)
    return out


def link_dask(records: Any, layers: list[VersionedLayer]) -> Any:
    """The same link on a dask-geopandas frame, partition by partition (each partition is
    linked where it lives; the layers travel with the task)."""
    meta = link_frame(records._meta, layers)
    return records.map_partitions(link_frame, layers, meta=meta)
