# SPDX-License-Identifier: EUPL-1.2
"""In-memory, time-aware joins (geopandas, and dask-geopandas to grow past one machine).

The same rules as the database's link (``versioning/linking.py``): each record is joined to a
layer as it was at the record's instant (its first edition for older records); a polygon
layer gives the feature containing the record (most area / length for polygons and lines;
the smallest key on a shared boundary), any other layer the nearest feature within a
distance (the smallest key on a tie).
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
    geometry; ``mode`` is contains or nearest."""

    id: str
    mode: str
    versions: gpd.GeoDataFrame
    within_m: float = 50.0

    @property
    def starts(self) -> pd.DatetimeIndex:
        """The instants at which the layer changed (its editions), in order."""
        return pd.DatetimeIndex(sorted(self.versions["sys_from"].unique()))

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
    joined = joined.assign(_w=-weight).rename_axis("_rid").reset_index()
    best = joined.sort_values(["_rid", "_w", "fid"]).drop_duplicates("_rid")
    return best.set_index("_rid")[["fid", "name_fr", "name_nl"]]


def _nearest(recs: gpd.GeoDataFrame, alive: gpd.GeoDataFrame, within_m: float) -> pd.DataFrame:
    joined = gpd.sjoin_nearest(recs[["geometry"]], alive, max_distance=within_m,
                               how="inner", distance_col="distance_m")
    joined = joined.rename_axis("_rid").reset_index()
    best = joined.sort_values(["_rid", "distance_m", "fid"]).drop_duplicates("_rid")
    return best.set_index("_rid")[["fid", "name_fr", "name_nl", "distance_m"]]


def link_frame(records: gpd.GeoDataFrame, layers: list[VersionedLayer]) -> pd.DataFrame:
    """Link ``records`` (index: record id; ``at``: aware instants; geometry in the layers'
    CRS) to each layer as of each record's instant. One row per record."""
    out = pd.DataFrame(index=records.index)
    at = pd.DatetimeIndex(records["at"]).tz_convert("UTC")
    for layer in layers:
        starts = layer.starts.tz_convert("UTC")
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
