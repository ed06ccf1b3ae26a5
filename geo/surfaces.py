# SPDX-License-Identifier: EUPL-1.2
"""Surfaces interpolated from point measurements: ordinary kriging on a grid in Lambert 72,
its leave-one-out cross-validation, and the Cloud Optimized GeoTIFF that holds it.

Pure computation on arrays and files (no database): :mod:`linking.surfaces` gathers the
measurements and the region of a year, :mod:`versioning.surfaces` records the result.

The method is ordinary kriging (PyKrige) with a linear variogram fitted to the year's data:
with ten or so stations a year, a variogram of two parameters (slope and nugget) is what the
data can support, and its leave-one-out error is as low as the spherical or exponential
models'. Kriging is an exact interpolator at the measuring points (``exact_values``), and
gives the estimation variance, written as the second band.

>>> g = Grid.covering((140_012.0, 160_030.0, 141_000.0, 161_000.0), 50.0)
>>> g.bounds, g.width, g.height
((140000.0, 160000.0, 141000.0, 161000.0), 20, 20)
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.features import geometry_mask
from rasterio.transform import Affine, from_origin
from shapely.geometry.base import BaseGeometry

NODATA = -9999.0
CELL_SIZE_M = 50.0  # the grid's cell, in metres of EPSG:31370
EPSG = 31370
BLOCK_SIZE = 128  # internal tiles of the COG (overviews until one tile holds the raster)
METHOD = "ordinary kriging (PyKrige), linear variogram fitted to the year's data"
VARIOGRAM = "linear"
DERIVED_NOTE = ("A derived estimate, interpolated from point measurements; not a measurement. "
                "Its leave-one-out cross-validation error (cv_rmse_ug_m3) says how far it "
                "strays from a station it did not see.")
BANDS = ("no2", "no2_variance")


@dataclass(frozen=True)
class Grid:
    """A north-up grid of square cells in EPSG:31370."""

    west: float
    north: float
    cell: float
    width: int
    height: int

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cell: float = CELL_SIZE_M
                 ) -> Grid:
        """The grid of whole cells (aligned on multiples of ``cell``) that covers
        ``bounds`` (minx, miny, maxx, maxy)."""
        minx, miny, maxx, maxy = bounds
        west, south = math.floor(minx / cell) * cell, math.floor(miny / cell) * cell
        east, north = math.ceil(maxx / cell) * cell, math.ceil(maxy / cell) * cell
        return cls(west, north, cell, round((east - west) / cell), round((north - south) / cell))

    @property
    def transform(self) -> Affine:
        """The affine map from (col, row) to Lambert 72."""
        return from_origin(self.west, self.north, self.cell, self.cell)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """minx, miny, maxx, maxy."""
        return (self.west, self.north - self.height * self.cell,
                self.west + self.width * self.cell, self.north)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """The x of each column's centre, the y of each row's centre (north first)."""
        xs = self.west + (np.arange(self.width) + 0.5) * self.cell
        ys = self.north - (np.arange(self.height) + 0.5) * self.cell
        return xs, ys


@dataclass
class Surface:
    """An interpolated surface: the estimate and its variance (NODATA outside the region),
    the grid, the leave-one-out errors and what it was made from."""

    grid: Grid
    estimate: np.ndarray
    variance: np.ndarray
    loo_errors: np.ndarray  # prediction without the point minus its value, per point
    labels: list[str]  # the points, in the order of loo_errors
    variogram: dict[str, Any]
    predict: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] = field(
        repr=False)

    @property
    def cv_rmse(self) -> float:
        """The root mean square of the leave-one-out errors."""
        return float(np.sqrt(np.mean(np.square(self.loo_errors))))

    @property
    def cv_mae(self) -> float:
        """The mean absolute leave-one-out error."""
        return float(np.mean(np.abs(self.loo_errors)))


def _kriging(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> Any:
    from pykrige.ok import OrdinaryKriging

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OrdinaryKriging(x, y, z, variogram_model=VARIOGRAM, exact_values=True,
                               enable_plotting=False, verbose=False)


def _predictor(model: Any) -> Callable[[np.ndarray, np.ndarray],
                                       tuple[np.ndarray, np.ndarray]]:
    def predict(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        est, var = model.execute("points", np.asarray(px, float), np.asarray(py, float))
        return np.asarray(est, float), np.asarray(var, float)
    return predict


def leave_one_out(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """For each point, the kriging of the others at its place minus its value (the
    variogram fitted again each time, as it would be without that point)."""
    errors = np.empty(len(z))
    for i in range(len(z)):
        keep = np.arange(len(z)) != i
        est, _ = _predictor(_kriging(x[keep], y[keep], z[keep]))(x[i:i + 1], y[i:i + 1])
        errors[i] = est[0] - z[i]
    return errors


def interpolate(x: np.ndarray, y: np.ndarray, z: np.ndarray, labels: list[str],
                region: BaseGeometry, cell: float = CELL_SIZE_M) -> Surface:
    """Ordinary kriging of the values ``z`` at (``x``, ``y``) (EPSG:31370) on the grid that
    covers ``region``; cells whose centre lies outside it are NODATA."""
    x, y, z = (np.asarray(a, float) for a in (x, y, z))
    grid = Grid.covering(region.bounds, cell)
    model = _kriging(x, y, z)
    predict = _predictor(model)
    xs, ys = grid.centres()
    est, var = model.execute("grid", xs, ys)
    inside = geometry_mask([region], (grid.height, grid.width), grid.transform, invert=True)
    estimate = np.where(inside, np.asarray(est, float), NODATA).astype("float32")
    variance = np.where(inside, np.maximum(np.asarray(var, float), 0.0),
                        NODATA).astype("float32")
    slope, nugget = (float(v) for v in model.variogram_model_parameters)
    return Surface(grid, estimate, variance, leave_one_out(x, y, z), list(labels),
                   {"model": VARIOGRAM, "slope": slope, "nugget": nugget}, predict)


def write_cog(path: Path, surface: Surface, tags: dict[str, str]) -> str:
    """Write ``surface`` as a Cloud Optimized GeoTIFF (deflate, internal tiles of
    :data:`BLOCK_SIZE`, overviews) with two bands, the estimate and its variance; the
    SHA-256 of the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {"driver": "COG", "width": surface.grid.width, "height": surface.grid.height,
               "count": 2, "dtype": "float32", "crs": f"EPSG:{EPSG}",
               "transform": surface.grid.transform, "nodata": NODATA, "compress": "deflate",
               "predictor": 3, "blocksize": BLOCK_SIZE, "overview_resampling": "average"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(surface.estimate, 1)
        dst.write(surface.variance, 2)
        dst.update_tags(**tags)
        dst.set_band_description(1, "NO2 annual mean, estimated (ug/m3)")
        dst.set_band_description(2, "kriging variance of the estimate ((ug/m3)^2)")
        dst.update_tags(1, name=BANDS[0], unit="ug/m3")
        dst.update_tags(2, name=BANDS[1], unit="(ug/m3)^2")
    return file_sha256(path)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
