# SPDX-License-Identifier: EUPL-1.2
"""Geometry cleaning: 2D, EPSG:31370, valid, of the layer's declared type.

All operations are vectorised (shapely 2); nothing loops over features in Python except
the rare repaired geometry.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Polygon
>>> bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
>>> s = gpd.GeoSeries([bowtie], crs=31370)
>>> out, report = clean_geometries(s, "MultiPolygon")
>>> report.repaired, out.iloc[0].geom_type
(1, 'MultiPolygon')
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import STORAGE_EPSG
from geo.errors import InvalidInput

# shapely geometry type ids
_POINT, _LINE, _POLY = 0, 1, 3
_FAMILY = {
    "Point": _POINT, "MultiPoint": _POINT,
    "LineString": _LINE, "MultiLineString": _LINE,
    "Polygon": _POLY, "MultiPolygon": _POLY,
}
GEOMETRY_TYPES = (*_FAMILY, "Geometry")


@dataclass
class CleanReport:
    """What cleaning did: counts a user wants to read after an import."""

    total: int = 0
    reprojected_from: int | None = None
    z_dropped: int = 0
    repaired: int = 0
    parts_dropped: int = 0
    empty: int = 0

    def lines(self) -> list[str]:
        """Human lines for the non-zero counters."""
        out = []
        if self.reprojected_from and self.reprojected_from != STORAGE_EPSG:
            out.append(f"reprojected from EPSG:{self.reprojected_from} to EPSG:{STORAGE_EPSG}")
        if self.z_dropped:
            out.append(f"{self.z_dropped} geometries had Z values, dropped (stored 2D)")
        if self.repaired:
            out.append(f"{self.repaired} invalid geometries repaired with make_valid")
        if self.parts_dropped:
            out.append(f"{self.parts_dropped} geometries lost parts of another dimension")
        if self.empty:
            out.append(f"{self.empty} features have no geometry")
        return out


def clean_geometries(
    geoms: gpd.GeoSeries, geometry_type: str, default_epsg: int | None = None
) -> tuple[gpd.GeoSeries, CleanReport]:
    """Return ``geoms`` as 2D, valid geometries of ``geometry_type`` in EPSG:31370.

    Parameters
    ----------
    geoms : GeoSeries
        Geometries as read; their ``crs`` is used, else ``default_epsg``.
    geometry_type : str
        The layer's declared type ("Point", "MultiPolygon", ...; "Geometry" keeps any).
        Single types are promoted to multi when the layer is multi; parts of another
        dimension (lines in a polygon collection) are dropped and counted.
    default_epsg : int, optional
        The CRS to assume when the file declares none.
    """
    if geometry_type not in GEOMETRY_TYPES:
        raise InvalidInput(f"unknown geometry type {geometry_type!r}",
                           hint=f"use one of {', '.join(GEOMETRY_TYPES)}")
    report = CleanReport(total=len(geoms))
    if geoms.crs is None:
        if default_epsg is None:
            raise InvalidInput("the file declares no coordinate reference system",
                               hint="give the layer's source a 'crs' in config/layers.yml "
                                    "or re-export the file with its CRS")
        geoms = geoms.set_crs(default_epsg)
    report.reprojected_from = geoms.crs.to_epsg()
    arr = np.asarray(geoms.array, dtype=object)

    missing = shapely.is_missing(arr) | shapely.is_empty(arr)
    has_z = shapely.has_z(arr)
    report.z_dropped = int(np.count_nonzero(has_z & ~missing))
    if report.z_dropped:
        arr = shapely.force_2d(arr)

    if report.reprojected_from != STORAGE_EPSG:
        arr = np.asarray(
            gpd.GeoSeries(arr, crs=geoms.crs).to_crs(STORAGE_EPSG).array, dtype=object)

    invalid = ~shapely.is_valid(arr) & ~missing
    report.repaired = int(np.count_nonzero(invalid))
    if report.repaired:
        arr[invalid] = shapely.make_valid(arr[invalid])

    if geometry_type != "Geometry":
        arr, dropped = _coerce(arr, missing, geometry_type)
        report.parts_dropped = dropped
    arr[missing] = None
    report.empty = int(np.count_nonzero(shapely.is_missing(arr) | shapely.is_empty(arr)))
    arr[shapely.is_empty(arr)] = None
    return gpd.GeoSeries(arr, index=geoms.index, crs=STORAGE_EPSG), report


_KEEP = {_POINT: (0, 4), _LINE: (1, 5), _POLY: (3, 6)}
_DIM = {_POINT: 0, _LINE: 1, _POLY: 2}
_MAKER = {_POINT: shapely.multipoints, _LINE: shapely.multilinestrings,
          _POLY: shapely.multipolygons}


def _coerce(arr: np.ndarray, missing: np.ndarray, geometry_type: str) -> tuple[np.ndarray, int]:
    """Keep the parts of the declared dimension; promote to multi when the type is multi."""
    family = _FAMILY[geometry_type]
    dropped = 0
    foreign = ~missing & ~np.isin(shapely.get_type_id(arr), _KEEP[family])
    for i in np.flatnonzero(foreign):
        # collections (from the source or from make_valid): flatten twice, keep one dimension
        parts = shapely.get_parts(shapely.get_parts(arr[i]))
        keep = parts[shapely.get_dimensions(parts) == _DIM[family]]
        dropped += int(len(keep) != len(parts))
        if not len(keep):
            arr[i] = None
        elif family == _POLY:
            arr[i] = shapely.union_all(keep)
        else:
            arr[i] = _MAKER[family](keep)
    if geometry_type.startswith("Multi"):
        single = shapely.get_type_id(arr) == family
        if single.any():
            arr[single] = [_MAKER[family]([g]) for g in arr[single]]
    return arr, dropped
