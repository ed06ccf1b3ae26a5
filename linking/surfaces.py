# SPDX-License-Identifier: EUPL-1.2
"""Yearly NO2 surfaces from the real measurements, and zonal statistics on the boundaries of
their year.

- :func:`build_no2`: for each year with at least :data:`MIN_STATIONS` IRCEL-CELINE station
  means, ordinary kriging of those means (:mod:`geo.surfaces`) over the region as it was that
  year (cells outside it are nodata), written as a Cloud Optimized GeoTIFF; recorded by
  :func:`versioning.surfaces.record` (edition rules: date order, no-op when identical).
- :func:`build_campaign`: for the CurieuzenAir campaign's year, ordinary kriging of its
  2,484 points in a moving neighbourhood (:func:`geo.surfaces.interpolate_local`), the
  collection ``no2_surface_curieuzenair``;
- :func:`zonal_statistics`: for the surface valid at an instant, the mean / min / max of the
  cells whose centre lies in each zone (districts, municipalities) of the boundary edition in
  force on 1 July of the surface's year (the rule of the ``no2_district_year`` view).

Every surface is a derived estimate, and says so in its metadata.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import rasterio
import shapely
from rasterio.features import rasterize
from shapely.geometry.base import BaseGeometry

from geo import surfaces as raster
from geo.city import CITY_TZ
from geo.errors import InvalidInput, NotFound
from layers.catalogue import Catalogue
from linking.sqlfiles import render
from versioning.surfaces import SurfaceBuild, surface_at

NO2_COLLECTION = "no2_surface"
NO2_SOURCE = "irceline"
MIN_STATIONS = 7  # a linear variogram and its leave-one-out check need that many
ZONE_LAYERS = ("districts", "municipalities")
UNIT = "ug/m3"
CAMPAIGN_COLLECTION = "no2_surface_curieuzenair"
CAMPAIGN_SOURCE = "curieuzenair"
CAMPAIGN_LAYER = "no2_points"
CAMPAIGN_NOTE = ("The CurieuzenAir values are citizens' measurements of one campaign, at house "
                 "fronts and at several floors; they are interpolated as published, points at "
                 "one place merged (their mean). The surface is valid for the campaign's year.")
COLLECTIONS = (NO2_COLLECTION, CAMPAIGN_COLLECTION)


def year_interval(year: int) -> tuple[dt.datetime, dt.datetime]:
    """A year in the city's time: [1 January, 1 January of the next year)."""
    return (dt.datetime(year, 1, 1, tzinfo=CITY_TZ), dt.datetime(year + 1, 1, 1, tzinfo=CITY_TZ))


def mid_year(year: int) -> dt.datetime:
    """1 July of the year in the city's time: when the boundaries of a year are read."""
    return dt.datetime(year, 7, 1, tzinfo=CITY_TZ)


def no2_years(conn: psycopg.Connection, catalogue: Catalogue) -> dict[int, int]:
    """Every year of the yearly NO2 means -> how many stations have one."""
    stations = catalogue.layer("air_quality_stations").table
    rows = conn.execute(render("surface_no2_years", stations=stations)).fetchall()
    return {int(year): int(n) for year, n in rows}


@dataclass
class StationMeans:
    """The stations' yearly means of one year, in Lambert 72."""

    year: int
    stations: list[str]
    x: np.ndarray
    y: np.ndarray
    values: np.ndarray


def no2_inputs(conn: psycopg.Connection, catalogue: Catalogue, year: int) -> StationMeans:
    """The IRCEL-CELINE means of ``year`` at their stations."""
    stations = catalogue.layer("air_quality_stations").table
    rows = conn.execute(render("surface_no2_stations", stations=stations),
                        {"year": year}).fetchall()
    return StationMeans(year, [r[0] for r in rows], np.array([r[2] for r in rows], float),
                        np.array([r[3] for r in rows], float),
                        np.array([r[1] for r in rows], float))


def zones_at(conn: psycopg.Connection, catalogue: Catalogue, layer_id: str, at: dt.datetime
             ) -> list[dict[str, Any]]:
    """The zones of a boundary layer as they were at ``at`` (their first version for an
    older instant): ``zone_id``, ``name_fr``, ``name_nl``, ``geometry``, ``edition_date``."""
    spec = catalogue.layer(layer_id)
    rows = conn.execute(render("zones_at", table=spec.table),
                        {"at": at, "layer": spec.id}).fetchall()
    return [{"zone_id": r[0], "name_fr": r[1], "name_nl": r[2],
             "geometry": shapely.from_wkb(bytes(r[3])), "edition_date": r[4]} for r in rows]


def region_at(conn: psycopg.Connection, catalogue: Catalogue, year: int) -> BaseGeometry:
    """The region's outline as it was on 1 July of ``year``."""
    zones = zones_at(conn, catalogue, "region", mid_year(year))
    if not zones:
        raise NotFound("the region layer has no edition: a surface needs the region's outline",
                       hint="load the region first: strata load region")
    return shapely.union_all([z["geometry"] for z in zones])


def build_no2(conn: psycopg.Connection, catalogue: Catalogue, workdir: Path,
              years: list[int] | None = None) -> list[SurfaceBuild]:
    """Interpolate the NO2 surface of each year (every year with enough stations when
    ``years`` is None) into COGs under ``workdir``; not yet recorded."""
    counts = no2_years(conn, catalogue)
    if not counts:
        raise NotFound("there are no yearly NO2 means in the store",
                       hint="load them with the reference tables: strata load")
    enough = [y for y, n in counts.items() if n >= MIN_STATIONS]
    if years:
        short = [y for y in years if y not in enough]
        if short:
            raise InvalidInput(
                f"too few stations for a surface in {', '.join(map(str, short))} "
                f"(at least {MIN_STATIONS} are needed)",
                hint=f"years with enough stations: {min(enough)}-{max(enough)}")
        enough = sorted(years)
    builds = []
    for year in enough:
        means = no2_inputs(conn, catalogue, year)
        region = region_at(conn, catalogue, year)
        surface = raster.interpolate(means.x, means.y, means.values, means.stations, region)
        builds.append(_written(
            workdir, NO2_COLLECTION, NO2_SOURCE, raster.METHOD, year, surface,
            {"fr": f"NO2, moyenne annuelle {year} (estimation)",
             "nl": f"NO2, jaargemiddelde {year} (schatting)",
             "en": f"NO2, annual mean {year} (estimate)"},
            "IRCEL-CELINE yearly NO2 means per station (CC BY 4.0)", "N_STATIONS",
            {"stations": {s: float(v) for s, v in zip(means.stations, means.values,
                                                      strict=True)}}))
    return builds


def campaign_years(conn: psycopg.Connection, catalogue: Catalogue) -> dict[int, int]:
    """The campaign's year (of the points layer's first edition) -> how many points have a
    value then; empty when no point is loaded."""
    rows = conn.execute(render("surface_campaign_years",
                               points=catalogue.layer(CAMPAIGN_LAYER).table),
                        {"layer": CAMPAIGN_LAYER}).fetchall()
    return {int(year): int(n) for year, n in rows}


def campaign_inputs(conn: psycopg.Connection, catalogue: Catalogue, year: int) -> StationMeans:
    """The CurieuzenAir points with a value at the end of ``year``, in Lambert 72."""
    rows = conn.execute(render("surface_campaign_points",
                               points=catalogue.layer(CAMPAIGN_LAYER).table),
                        {"year": year}).fetchall()
    return StationMeans(year, [r[0] for r in rows], np.array([r[2] for r in rows], float),
                        np.array([r[3] for r in rows], float),
                        np.array([r[1] for r in rows], float))


def build_campaign(conn: psycopg.Connection, catalogue: Catalogue, workdir: Path,
                   years: list[int] | None = None) -> list[SurfaceBuild]:
    """The surface of each CurieuzenAir campaign year (of those in ``years``, when given),
    kriged in a moving neighbourhood of its points, into COGs under ``workdir``; not yet
    recorded. No campaign points loaded: no surface."""
    builds = []
    for year, n in campaign_years(conn, catalogue).items():
        if n < MIN_STATIONS or (years and year not in years):
            continue
        points = campaign_inputs(conn, catalogue, year)
        region = region_at(conn, catalogue, year)
        surface = raster.interpolate_local(points.x, points.y, points.values, points.stations,
                                           region)
        builds.append(_written(
            workdir, CAMPAIGN_COLLECTION, CAMPAIGN_SOURCE, raster.LOCAL_METHOD, year, surface,
            {"fr": f"NO2 {year}, campagne CurieuzenAir (estimation)",
             "nl": f"NO2 {year}, CurieuzenAir-campagne (schatting)",
             "en": f"NO2 {year}, CurieuzenAir campaign (estimate)"},
            "CurieuzenAir Brussels: the campaign's NO2 value at each measuring point (open "
            "data)", "N_POINTS",
            {"campaign_note": CAMPAIGN_NOTE, "n_points_read": len(points.stations),
             "n_places": len(surface.labels)},
            band_description="NO2 of the CurieuzenAir campaign, estimated (ug/m3)"))
    return builds


def _written(workdir: Path, collection: str, source_name: str, method: str, year: int,
             surface: raster.Surface, title: dict[str, str], source: str, count_tag: str,
             extra: dict[str, Any], band_description: str = raster.BAND_DESCRIPTION
             ) -> SurfaceBuild:
    """``surface`` written as a COG under ``workdir`` with its metadata (``extra`` added)
    and tags: the build to record."""
    valid_from, valid_to = year_interval(year)
    metadata: dict[str, Any] = {
        "title": title,
        "derived": True, "note": raster.DERIVED_NOTE, "method": method,
        "variogram": surface.variogram, "unit": UNIT, "year": year, "source": source,
        "cv": {"kind": "leave-one-out", "rmse_ug_m3": surface.cv_rmse,
               "mae_ug_m3": surface.cv_mae,
               "bias_ug_m3": float(np.mean(surface.loo_errors)),
               "errors_ug_m3": dict(zip(surface.labels,
                                        map(float, surface.loo_errors), strict=True))},
        "cell_size_m": surface.grid.cell, "crs": f"EPSG:{raster.EPSG}",
        "nodata": raster.NODATA, "bands": list(raster.BANDS),
        "region_read_at": mid_year(year).isoformat(), **extra}
    tags = {"TITLE": title["en"], "DERIVED": "true",
            "NOTE": raster.DERIVED_NOTE, "METHOD": method,
            "CV_RMSE_UG_M3": f"{surface.cv_rmse:.4f}", "CV_MAE_UG_M3": f"{surface.cv_mae:.4f}",
            count_tag: str(len(surface.labels)), "YEAR": str(year), "UNIT": UNIT,
            "SOURCE": source, "CELL_SIZE_M": f"{surface.grid.cell:g}"}
    path = Path(tempfile.mkstemp(suffix=".tif", dir=workdir)[1])
    checksum = raster.write_cog(path, surface, tags, band_description)
    return SurfaceBuild(collection, valid_from, valid_to, str(year), source_name, method,
                        surface.cv_rmse, surface.cv_mae, len(surface.labels), surface.grid.cell,
                        raster.EPSG, surface.grid.bounds, list(raster.BANDS), checksum, path,
                        metadata)


def zonal_statistics(conn: psycopg.Connection, catalogue: Catalogue, root: Path,
                     collection: str, at: dt.datetime, zones: str) -> dict[str, Any]:
    """The mean / min / max of the surface valid at ``at`` in each zone of the layer
    ``zones`` as it was on 1 July of the surface's year (cells whose centre lies inside)."""
    if zones not in ZONE_LAYERS:
        raise InvalidInput(f"zones {zones!r} cannot be used for statistics",
                           hint=f"use one of: {', '.join(ZONE_LAYERS)}")
    surface = surface_or_404(conn, collection, at)
    year = int(surface["period"])
    shapes = zones_at(conn, catalogue, zones, mid_year(year))
    if not shapes:
        raise NotFound(f"the layer {zones} has no edition", hint=f"strata load {zones}")
    with rasterio.open(root / surface["file_name"]) as src:
        band = src.read(1)
        transform = src.transform
    index = rasterize(((z["geometry"], i + 1) for i, z in enumerate(shapes)),
                      out_shape=band.shape, transform=transform, fill=0, dtype="int32")
    valid = (band != raster.NODATA) & (index > 0)
    ids, values = index[valid], band[valid].astype("float64")
    n = len(shapes) + 1
    count = np.bincount(ids, minlength=n)
    total = np.bincount(ids, weights=values, minlength=n)
    low = np.full(n, np.inf)
    high = np.full(n, -np.inf)
    np.minimum.at(low, ids, values)
    np.maximum.at(high, ids, values)
    rows = []
    for i, z in enumerate(shapes, start=1):
        has = bool(count[i])
        rows.append({"zone_id": z["zone_id"], "name_fr": z["name_fr"], "name_nl": z["name_nl"],
                     "n_cells": int(count[i]),
                     "no2_mean": float(total[i] / count[i]) if has else None,
                     "no2_min": float(low[i]) if has else None,
                     "no2_max": float(high[i]) if has else None})
    return {"collection": collection, "period": surface["period"], "zones": zones,
            "boundaries_at": mid_year(year).isoformat(),
            "boundary_edition": str(shapes[0]["edition_date"]),
            "method": surface["method"], "cv_rmse_ug_m3": surface["cv_rmse"], "unit": UNIT,
            "derived": True, "note": raster.DERIVED_NOTE, "statistics": rows}


def surface_or_404(conn: psycopg.Connection, collection: str, at: dt.datetime
                   ) -> dict[str, Any]:
    """The surface of ``collection`` valid at ``at``; NotFound with the periods that exist."""
    surface = surface_at(conn, collection, at)
    if surface is not None:
        return surface
    from versioning.surfaces import surfaces

    known = surfaces(conn, collection)
    if not known:
        raise NotFound(f"{collection} has no surface yet",
                       hint="build them: strata surfaces build no2")
    first, last = known[0], known[-1]
    raise NotFound(
        f"{collection} has no surface valid at {at.isoformat()}",
        hint=f"surfaces cover {first['valid_from'].astimezone(CITY_TZ).date()} to "
             f"{(last['valid_to'].astimezone(CITY_TZ) - dt.timedelta(days=1)).date()}, one per "
             f"period "
             f"({first['period']}-{last['period']}): ask a datetime within one")
