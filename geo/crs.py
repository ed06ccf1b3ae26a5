# SPDX-License-Identifier: EUPL-1.2
"""The CRS registry: which coordinate reference systems Strata stores and serves.

Storage is always EPSG:31370 (Belgian Lambert 72). Output may be any registered CRS.

Examples
--------
>>> parse_crs("EPSG:4326").epsg
4326
>>> parse_crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84").epsg
4326
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from pyproj import CRS, Transformer

from geo.errors import InvalidInput

STORAGE_EPSG = 31370


@dataclass(frozen=True)
class CrsInfo:
    """A supported CRS: its EPSG code, its OGC URI and a human title."""

    epsg: int
    uri: str
    title: str
    lon_lat: bool = False  # CRS84: longitude first
    # the authority's axis order is not x/y (latitude first, or northing first):
    # OGC API Part 2 wants coordinates in that order
    flipped: bool = False

    @property
    def in_degrees(self) -> bool:
        """Whether coordinates are degrees (a geographic CRS), not metres."""
        return self.epsg in (4326, 4258)


SUPPORTED: dict[str, CrsInfo] = {
    "CRS84": CrsInfo(4326, "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "WGS 84 (lon/lat)",
                     True),
    "4326": CrsInfo(4326, "http://www.opengis.net/def/crs/EPSG/0/4326", "WGS 84",
                    flipped=True),
    "4258": CrsInfo(4258, "http://www.opengis.net/def/crs/EPSG/0/4258", "ETRS89 (INSPIRE)",
                    flipped=True),
    "3035": CrsInfo(3035, "http://www.opengis.net/def/crs/EPSG/0/3035", "ETRS89 / LAEA Europe",
                    flipped=True),
    "31370": CrsInfo(31370, "http://www.opengis.net/def/crs/EPSG/0/31370", "Belgian Lambert 72"),
    "3812": CrsInfo(3812, "http://www.opengis.net/def/crs/EPSG/0/3812", "Belgian Lambert 2008"),
    "3857": CrsInfo(3857, "http://www.opengis.net/def/crs/EPSG/0/3857", "Web Mercator"),
}

_PATTERNS = [
    re.compile(r"^(?:EPSG:)(\d+)$", re.I),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$", re.I),
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d+)$", re.I),
    re.compile(r"^(\d+)$"),
]
_CRS84 = {"crs84", "ogc:crs84", "urn:ogc:def:crs:ogc:1.3:crs84",
          "http://www.opengis.net/def/crs/ogc/1.3/crs84"}


CRS84 = SUPPORTED["CRS84"]


def parse_crs(text: str) -> CrsInfo:
    """Parse a CRS given as ``EPSG:n``, ``n``, an OGC URI/URN or ``CRS84``.

    Raises :class:`InvalidInput` naming the supported CRSs when the text is not one of them.
    """
    value = str(text).strip()
    if value.lower() in _CRS84:
        return SUPPORTED["CRS84"]
    for pattern in _PATTERNS:
        match = pattern.match(value)
        if match and match.group(1) in SUPPORTED:
            return SUPPORTED[match.group(1)]
    choices = ", ".join(f"EPSG:{k}" if k.isdigit() else k for k in SUPPORTED)
    raise InvalidInput(f"unsupported CRS {text!r}", hint=f"use one of: {choices}")


@lru_cache(maxsize=64)
def transformer(src_epsg: int, dst_epsg: int) -> Transformer:
    """A cached, thread-safe-enough transformer (always x/y order: lon, lat for geographic)."""
    return Transformer.from_crs(CRS.from_epsg(src_epsg), CRS.from_epsg(dst_epsg), always_xy=True)


def crs84_box(xmin: float, ymin: float, xmax: float, ymax: float,
              epsg: int = STORAGE_EPSG) -> list[float]:
    """The CRS84 box (west, south, east, north) around a box of ``epsg``: its edges
    projected point by point (the corners alone miss the bulge of a projected edge: a box of
    Lambert 72 reaches further north in its middle than at its corners), widened outward to
    whole millionths of a degree, so that every place in the box is in it.

    >>> crs84_box(141000, 161000, 158000, 178200)
    [4.240775, 50.759435, 4.482511, 50.914125]
    """
    west, south, east, north = transformer(epsg, 4326).transform_bounds(
        xmin, ymin, xmax, ymax, densify_pts=64)
    return [round(math.floor(west * 1e6) / 1e6, 6), round(math.floor(south * 1e6) / 1e6, 6),
            round(math.ceil(east * 1e6) / 1e6, 6), round(math.ceil(north * 1e6) / 1e6, 6)]


DOMAIN_MARGIN = 1.0  # degrees around the storage CRS's area of use


@lru_cache(maxsize=16)
def storage_domain(epsg: int) -> tuple[float, float, float, float]:
    """Where the storage CRS can take a place from ``epsg``: one degree around its area of
    use (Belgium), as (xmin, ymin, xmax, ymax) in the x / y order of ``epsg`` (longitude
    first in degrees). A box or a geometry asked beyond it (a hemisphere, a pole, a million
    kilometres) is cut to it before it is projected, where it would not project (Lambert 72
    sends the south pole to infinity); nothing is stored outside it.

    >>> storage_domain(4326)
    (1.5, 48.5, 7.4, 52.51)
    """
    area = CRS.from_epsg(STORAGE_EPSG).area_of_use
    assert area is not None  # EPSG:31370 has one
    box = (area.west - DOMAIN_MARGIN, area.south - DOMAIN_MARGIN,
           area.east + DOMAIN_MARGIN, area.north + DOMAIN_MARGIN)
    if CRS.from_epsg(epsg).is_geographic:
        return tuple(round(v, 6) for v in box)  # type: ignore[return-value]
    west, south, east, north = transformer(4326, epsg).transform_bounds(*box, densify_pts=21)
    return west, south, east, north
