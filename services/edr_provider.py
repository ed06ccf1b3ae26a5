# SPDX-License-Identifier: EUPL-1.2
"""OGC API EDR over the air-quality stations: the yearly NO2 means as CoverageJSON point
series, by position (the nearest station within ``POSITION_TOLERANCE_M``), radius and area.

Its errors are Strata's (``InvalidInput``, ``NotFound``): the app answers them in the one
shape, with their hint. The series have no instances: ``/instances`` and what is under it
answer 404."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import shapely
from pygeoapi.provider.base_edr import BaseEDRProvider

from geo.errors import InvalidInput, NotFound
from linking.sqlfiles import render
from services.provider import _context
from versioning.instants import parse_date, parse_instant

POSITION_TOLERANCE_M = 250.0
PARAMETER = "no2_annual_mean"
UNITS_TO_M = {"m": 1.0, "km": 1000.0, "mi": 1609.344, "ft": 0.3048}
YEAR = re.compile(r"^(\d{4})")
FIRST_YEAR, LAST_YEAR = 1900, 2999
CRS84 = {"type": "GeographicCRS", "id": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
TIME = {"type": "TemporalRS", "calendar": "Gregorian"}


def _years(datetime_: str | None) -> tuple[int, int]:
    """The calendar years an EDR datetime (instant or interval, ``..`` open) touches."""
    if not datetime_:
        return FIRST_YEAR, LAST_YEAR
    parts = datetime_.split("/")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise InvalidInput(f"datetime {datetime_!r} is not an instant or an interval",
                           hint="datetime=2010/2020 or datetime=2015")
    bounds = []
    for part, default in zip(parts, (FIRST_YEAR, LAST_YEAR), strict=True):
        m = YEAR.match(part)
        if part not in ("", "..") and not m:
            raise InvalidInput(f"datetime {part!r} is not a date",
                               hint="write 2015 or 2015-01-01")
        bounds.append(int(m.group(1)) if m else default)
    return bounds[0], bounds[1]


DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-\d{2})?)?")
FORMATS = ("json", "html", "jsonld")
QUERY_TYPES = ("position", "radius", "area")


def check_query(query_type: str, params: Mapping[str, str]) -> None:
    """A station-series query's parameters, checked before pygeoapi reads them: its own
    checks say "invalid coords parameter" or "Invalid parameter-name" without what is
    valid, and a datetime dateutil cannot hold (``99999999999``) was a 500."""
    f = params.get("f")
    if f is not None and f not in FORMATS:
        raise InvalidInput(f"f={f} is not offered for a {query_type} query",
                           hint=f"f is one of {', '.join(FORMATS)}")
    names = [n.strip() for n in (params.get("parameter-name") or PARAMETER).split(",")]
    unknown = [n for n in names if n != PARAMETER]
    if unknown:
        raise InvalidInput(f"parameter-name {','.join(unknown)} is not a parameter of the "
                           "station series", hint=f"parameter-name={PARAMETER}")
    for part in (params.get("datetime") or "").split("/"):
        if part not in ("", ".."):
            _check_date(part)
    _years(params.get("datetime"))
    example = AREA_EXAMPLE if query_type == "area" else "coords=POINT(4.35 50.85)"
    coords = params.get("coords")
    if not coords:
        raise InvalidInput(f"a {query_type} query needs coords", hint=example)
    try:
        geometry = shapely.from_wkt(coords)
    except shapely.errors.ShapelyError:
        raise InvalidInput(f"coords {coords!r} is not WKT", hint=example) from None
    _check_kind(geometry, area=query_type == "area")
    if query_type == "radius":
        _within_m(params.get("within"), params.get("within-units"))


def _check_date(part: str) -> None:
    """One end of an EDR datetime: a year, a month, a date or an instant."""
    m = DATE.fullmatch(part)
    try:
        if m and (m.group(2) is None or 1 <= int(m.group(2)) <= 12) and (
                len(part) != 10 or parse_date(part)):
            return
        if not m and len(part) > 10 and parse_instant(part):
            return
    except InvalidInput:
        pass
    raise InvalidInput(f"datetime {part!r} is not a date",
                       hint="write 2015, 2015-06, 2015-06-01 or 2015-06-01T00:00:00Z; "
                            "an interval as 2010/2020")


AREA_EXAMPLE = "coords=POLYGON((4.3 50.8, 4.4 50.8, 4.4 50.9, 4.3 50.9, 4.3 50.8))"


def _check_kind(wkt: Any, area: bool) -> None:
    """A point for a position or a radius, a polygon for an area, in CRS84."""
    kind = getattr(wkt, "geom_type", None)
    if not area and kind != "Point":
        raise InvalidInput("coords must be a point", hint="coords=POINT(4.35 50.85)")
    if area and kind not in ("Polygon", "MultiPolygon"):
        raise InvalidInput("coords must be a polygon", hint=AREA_EXAMPLE)
    _check_lon_lat(wkt)


def _check_lon_lat(geometry: Any) -> None:
    """CRS84 coordinates: longitude within -180..180, latitude within -90..90 (PostGIS cannot
    project the others to Lambert 72, where the stations are compared)."""
    coords = shapely.get_coordinates(geometry)
    if not len(coords) or not all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in coords):
        raise InvalidInput("coords are not longitude -180..180 and latitude -90..90 (CRS84)",
                           hint="longitude first, in degrees: coords=POINT(4.35 50.85)")


def _within_m(within: str | None, units: str | None) -> float:
    try:
        value = float(within) if within is not None else float("nan")
    except ValueError:
        value = float("nan")
    if not (value >= 0 and math.isfinite(value)):
        raise InvalidInput("radius queries need within, a distance",
                           hint="within=2&within-units=km")
    factor = UNITS_TO_M.get((units or "m").lower())
    if factor is None:
        raise InvalidInput(f"within-units {units!r} is not known",
                           hint=f"one of {', '.join(UNITS_TO_M)}")
    return value * factor


class StationSeriesProvider(BaseEDRProvider):
    """``data`` names the stations layer; the series come from the yearly means table."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        catalogue, self.pool = _context(provider_def)
        self.table = catalogue.layer(str(self.data)).table
        self.get_fields()

    def get_fields(self) -> dict[str, dict[str, Any]]:
        self._fields = {PARAMETER: {
            "type": "number", "title": "NO2 annual mean",
            "description": "Mean NO2 concentration over the calendar year starting at t "
                           "(IRCEL-CELINE)", "x-ogc-unit": "ug/m3"}}
        return self._fields

    def instance(self, instance: str) -> bool:
        """No instance exists (pygeoapi asks before an instance's queries)."""
        raise NotFound(f"no instance {instance!r}: the station series have none",
                       hint="query .../position, .../radius or .../area of the collection")

    def position(self, **kwargs: Any) -> dict[str, Any]:
        """The series of the station at (within 250 m of) the point."""
        rows = self._series(kwargs, POSITION_TOLERANCE_M, area=False)
        return self._coverage(rows[:1], kwargs)

    def radius(self, **kwargs: Any) -> dict[str, Any]:
        """The series of every station within the distance of the point."""
        within = _within_m(kwargs.get("within"), kwargs.get("within_units"))
        return self._coverage(self._series(kwargs, within, area=False), kwargs)

    def area(self, **kwargs: Any) -> dict[str, Any]:
        """The series of every station inside the polygon."""
        return self._coverage(self._series(kwargs, 0.0, area=True), kwargs)

    def _series(self, kwargs: dict[str, Any], within_m: float,
                area: bool) -> list[tuple[Any, ...]]:
        wkt = kwargs.get("wkt")
        _check_kind(wkt, area)
        first, last = _years(kwargs.get("datetime_"))
        with self.pool.connection() as conn:
            rows = conn.execute(render("station_series", stations=self.table), {
                "wkt": wkt.wkt, "within_m": within_m, "area": area,  # type: ignore[union-attr]
                "first_year": first, "last_year": last}).fetchall()
        if not rows:
            near = kwargs["query_type"] == "position"
            all_years = (first, last) == (FIRST_YEAR, LAST_YEAR)
            raise NotFound((f"no station with NO2 means within {POSITION_TOLERANCE_M:g} m of "
                            "the coords" if near else "no station with NO2 means in the coords")
                           if all_years else
                           (f"no station with NO2 means in {first}-{last} within "
                            f"{POSITION_TOLERANCE_M:g} m of the coords" if near else
                            f"no station with NO2 means in {first}-{last} in the coords"),
                           hint="widen the area or the years; the stations are items of the "
                                "air_quality_stations collection")
        return rows

    def _coverage(self, rows: list[tuple[Any, ...]], kwargs: dict[str, Any]) -> dict[str, Any]:
        wanted = kwargs.get("select_properties") or [PARAMETER]
        if PARAMETER not in wanted:
            raise InvalidInput("unknown parameter-name", hint=f"parameter-name={PARAMETER}")
        coverages = [{
            "type": "Coverage", "id": station,
            "domain": {"type": "Domain", "domainType": "PointSeries", "axes": {
                "x": {"values": [lon]}, "y": {"values": [lat]},
                "t": {"values": [f"{y}-01-01T00:00:00Z" for y in years]}}},
            "ranges": {PARAMETER: {"type": "NdArray", "dataType": "float",
                                   "axisNames": ["t"], "shape": [len(values)],
                                   "values": [round(v, 3) for v in values]}},
        } for station, lon, lat, _distance, years, values in rows]
        return {
            "type": "CoverageCollection", "domainType": "PointSeries",
            "parameters": self.get_parameters([PARAMETER]),
            "referencing": [{"coordinates": ["x", "y"], "system": CRS84},
                            {"coordinates": ["t"], "system": TIME}],
            "coverages": coverages,
        }


def _no_instances(self: StationSeriesProvider) -> list[str]:
    """The series have no instances (pygeoapi's default answers a 500)."""
    raise NotFound("the station series have no instances",
                   hint="query .../position, .../radius or .../area of the collection")


# set after the class: a method named ``instances`` in its body would make pygeoapi offer
# instance queries (BaseEDRProvider.__init_subclass__ registers the query types by name)
StationSeriesProvider.instances = _no_instances  # type: ignore[method-assign]
