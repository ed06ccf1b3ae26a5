# SPDX-License-Identifier: EUPL-1.2
"""A spatial order for writing features: along a Hilbert curve through their bounding boxes'
centres, so that features near each other on the map are near each other on disk (a tile or
a bounding box then reads few pages).

Examples
--------
>>> import shapely
>>> hilbert_order(shapely.points([(0, 0), (10, 10), (0, 10), (10, 0), (1, 1)])).tolist()
[0, 4, 2, 1, 3]
>>> hilbert_order(shapely.points([(5, 5)] * 3)).tolist()  # ties keep their order
[0, 1, 2]
"""

from __future__ import annotations

import numpy as np
import shapely

BITS = 16  # cells per side of the curve's grid: 2**BITS


def hilbert_keys(x: np.ndarray, y: np.ndarray, bits: int = BITS) -> np.ndarray:
    """The distance along the Hilbert curve of each cell (x, y) of a 2**bits grid
    (whole numbers from 0 to 2**bits - 1)."""
    x = x.astype(np.int64).copy()
    y = y.astype(np.int64).copy()
    d = np.zeros_like(x)
    s = 1 << (bits - 1)
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        # rotate the quadrant so that the curve runs on inside it
        flip = ~ry & rx
        x = np.where(flip, s - 1 - x, x)
        y = np.where(flip, s - 1 - y, y)
        swap = ~ry
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        s >>= 1
    return d


def hilbert_order(geometries: np.ndarray) -> np.ndarray:
    """The positions of ``geometries`` in Hilbert order of their bounding boxes' centres
    (missing or empty geometries last; a stable sort: ties keep their order)."""
    bounds = shapely.bounds(np.asarray(geometries, dtype=object))
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    known = np.isfinite(cx) & np.isfinite(cy)
    if not known.any():
        return np.arange(len(cx))
    side = (1 << BITS) - 1
    lo_x, hi_x = cx[known].min(), cx[known].max()
    lo_y, hi_y = cy[known].min(), cy[known].max()
    span = max(hi_x - lo_x, hi_y - lo_y) or 1.0
    gx = np.where(known, np.round((np.where(known, cx, lo_x) - lo_x) / span * side), 0)
    gy = np.where(known, np.round((np.where(known, cy, lo_y) - lo_y) / span * side), 0)
    keys = np.where(known, hilbert_keys(gx, gy), np.iinfo(np.int64).max)
    return np.argsort(keys, kind="stable")
