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
