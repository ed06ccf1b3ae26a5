# SPDX-License-Identifier: EUPL-1.2
"""Surfaces interpolated from point measurements: ordinary kriging on a grid in Lambert 72,
its leave-one-out cross-validation, and the Cloud Optimized GeoTIFF that holds it.

Pure computation on arrays and files (no database): :mod:`linking.surfaces` gathers the
measurements and the region of a year, :mod:`versioning.surfaces` records the result.

The method is ordinary kriging (PyKrige) with a linear variogram without nugget, its slope
fitted to the year's data (least squares through the origin on every pair of stations): with
ten or so stations a year, one parameter is what the data can support. A nugget fitted as
well came out as the whole variance in 15 years of 25 (a slope of about 0): the surface was
then the stations' mean in every cell, one flat value, a station's own value only at its
exact point. Without nugget the surface is continuous and passes through each station (the
estimate does not depend on the slope, which scales the estimation variance, written as the
second band).

A citizen campaign (CurieuzenAir: some 2,500 points measured in one season) is kriged in a
moving neighbourhood (:func:`interpolate_local`): the variogram (exponential) is fitted once
to every point, each cell is estimated from its :data:`NEIGHBOURS` nearest points, and the
leave-one-out check keeps the fitted variogram (refitting it 2,500 times would say the same at
a thousand times the cost). Points at the same place are merged first (their mean): the
kriging system of two points at one place has no solution.

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
METHOD = ("ordinary kriging (PyKrige), linear variogram without nugget, its slope fitted to "
          "the year's data")
VARIOGRAM = "linear"
DERIVED_NOTE = ("A derived estimate, interpolated from point measurements; not a measurement. "
                "Its leave-one-out cross-validation error (cv_rmse_ug_m3) says how far it "
                "strays from a station it did not see.")
BANDS = ("no2", "no2_variance")
BAND_DESCRIPTION = "NO2 annual mean, estimated (ug/m3)"  # the estimate's band, by default
NEIGHBOURS = 16  # the points each cell of a moving-neighbourhood kriging is estimated from
LOCAL_VARIOGRAM = "exponential"
LOCAL_METHOD = (f"ordinary kriging (moving neighbourhood of the {NEIGHBOURS} nearest points), "
                f"{LOCAL_VARIOGRAM} variogram fitted to the points (PyKrige)")
_CHUNK = 8192  # cells solved at once (a chunk's systems take about 20 MB)


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


def linear_slope(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
    """The slope of the linear variogram without nugget that fits the points best: least
    squares through the origin of every pair's semivariance on its distance (a tiny positive
    slope when every value is the same, so that the kriging system stays solvable)."""
    i, j = np.triu_indices(len(z), k=1)
    h = np.hypot(x[i] - x[j], y[i] - y[j])
    gamma = 0.5 * (z[i] - z[j]) ** 2
    slope = float(np.sum(gamma * h) / np.sum(h * h)) if len(h) and np.sum(h * h) > 0 else 0.0
    return max(slope, 1e-12)


def _kriging(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> Any:
    from pykrige.ok import OrdinaryKriging

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OrdinaryKriging(x, y, z, variogram_model=VARIOGRAM,
                               variogram_parameters={"slope": linear_slope(x, y, z),
                                                     "nugget": 0.0},
                               exact_values=True, enable_plotting=False, verbose=False)


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
    covers ``region``; cells whose centre lies outside it are NODATA. Points at one place are
    merged first (:func:`merge_coincident`: without nugget, two of them make the kriging
    system singular), so ``labels`` of the result may be joined."""
    x, y, z, labels = merge_coincident(np.asarray(x, float), np.asarray(y, float),
                                       np.asarray(z, float), list(labels))
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


def merge_coincident(x: np.ndarray, y: np.ndarray, z: np.ndarray, labels: list[str],
                     tolerance: float = 0.01
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Points at the same place (to ``tolerance`` metres) as one, with the mean of their
    values and their labels joined by ``+``; the others as they are, in their order."""
    places: dict[tuple[int, int], list[int]] = {}
    for i, (px, py) in enumerate(zip(x, y, strict=True)):
        places.setdefault((round(px / tolerance), round(py / tolerance)), []).append(i)
    groups = list(places.values())
    return (np.array([x[g[0]] for g in groups], float), np.array([y[g[0]] for g in groups], float),
            np.array([float(np.mean(z[g])) for g in groups]),
            ["+".join(labels[i] for i in g) for g in groups])


def _fitted_variogram(x: np.ndarray, y: np.ndarray, z: np.ndarray, model: str
                      ) -> tuple[Callable[[np.ndarray], np.ndarray], dict[str, Any]]:
    """The variogram ``model`` fitted to the points by PyKrige: gamma(h) and its parameters."""
    from pykrige.ok import OrdinaryKriging

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = OrdinaryKriging(x, y, z, variogram_model=model, nlags=20,
                                 enable_plotting=False, verbose=False)
    params = [float(v) for v in fitted.variogram_model_parameters]
    function = fitted.variogram_function

    def gamma(h: np.ndarray) -> np.ndarray:
        return np.asarray(function(params, h), float)
    names = ("slope", "nugget") if model == "linear" else ("psill", "range", "nugget")
    return gamma, {"model": model, **dict(zip(names, params, strict=True))}


def local_kriging(x: np.ndarray, y: np.ndarray, z: np.ndarray,
                  gamma: Callable[[np.ndarray], np.ndarray], px: np.ndarray, py: np.ndarray,
                  neighbours: int = NEIGHBOURS, leave_out: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Ordinary kriging at (``px``, ``py``) from the ``neighbours`` nearest points, with the
    variogram ``gamma`` (gamma(0) = 0: exact at a point); the estimates and their variances.
    ``leave_out[i]``, when given, is a point the i-th estimate must not use (leave-one-out)."""
    from scipy.spatial import cKDTree

    k = min(neighbours, len(z) - (leave_out is not None))
    targets = np.column_stack([px, py]).astype(float)
    distances, index = cKDTree(np.column_stack([x, y])).query(
        targets, k + (leave_out is not None))
    distances, index = np.atleast_2d(distances), np.atleast_2d(index)
    if leave_out is not None:  # drop the point left out, or else the farthest
        keep = index != leave_out[:, None]
        keep[keep.all(axis=1), -1] = False
        distances = distances[keep].reshape(len(targets), k)
        index = index[keep].reshape(len(targets), k)
    points = np.column_stack([x, y])
    estimate, variance = np.empty(len(targets)), np.empty(len(targets))
    for start in range(0, len(targets), _CHUNK):
        part = slice(start, start + _CHUNK)
        near, dist = index[part], distances[part]
        xy = points[near]
        lhs = np.ones((len(near), k + 1, k + 1))
        lhs[:, :k, :k] = gamma(np.linalg.norm(xy[:, :, None, :] - xy[:, None, :, :], axis=-1))
        lhs[:, np.arange(k), np.arange(k)] = 0.0
        lhs[:, k, k] = 0.0
        rhs = np.ones((len(near), k + 1))
        rhs[:, :k] = np.where(dist == 0.0, 0.0, gamma(dist))
        weights = np.linalg.solve(lhs, rhs[..., None])[..., 0]
        estimate[part] = np.einsum("ij,ij->i", weights[:, :k], z[near])
        variance[part] = np.einsum("ij,ij->i", weights, rhs)
    return estimate, np.maximum(variance, 0.0)


def interpolate_local(x: np.ndarray, y: np.ndarray, z: np.ndarray, labels: list[str],
                      region: BaseGeometry, cell: float = CELL_SIZE_M,
                      neighbours: int = NEIGHBOURS) -> Surface:
    """Ordinary kriging in a moving neighbourhood of many points (EPSG:31370) on the grid that
    covers ``region`` (cells whose centre lies outside are NODATA); points at one place are
    merged first (:func:`merge_coincident`), so ``labels`` of the result may be joined."""
    x, y, z, labels = merge_coincident(np.asarray(x, float), np.asarray(y, float),
                                       np.asarray(z, float), list(labels))
    gamma, variogram = _fitted_variogram(x, y, z, LOCAL_VARIOGRAM)
    grid = Grid.covering(region.bounds, cell)
    inside = geometry_mask([region], (grid.height, grid.width), grid.transform, invert=True)
    xs, ys = grid.centres()
    rows, cols = np.nonzero(inside)
    est, var = local_kriging(x, y, z, gamma, xs[cols], ys[rows], neighbours)
    estimate = np.full((grid.height, grid.width), NODATA, dtype="float32")
    variance = np.full((grid.height, grid.width), NODATA, dtype="float32")
    estimate[rows, cols], variance[rows, cols] = est, var
    loo, _ = local_kriging(x, y, z, gamma, x, y, neighbours, leave_out=np.arange(len(z)))

    def predict(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return local_kriging(x, y, z, gamma, np.asarray(px, float), np.asarray(py, float),
                             neighbours)
    return Surface(grid, estimate, variance, loo - z, labels,
                   {**variogram, "neighbours": neighbours}, predict)


def write_cog(path: Path, surface: Surface, tags: dict[str, str],
              band_description: str = BAND_DESCRIPTION) -> str:
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
        dst.set_band_description(1, band_description)
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
