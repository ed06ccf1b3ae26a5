# SPDX-License-Identifier: EUPL-1.2
"""OGC API Coverages of the raster surfaces (derived estimates), "as of" a date.

- ``/collections/no2_surface``: the collection (its surfaces, extent in space and time,
  method and leave-one-out error), links to the coverage, its domain set and range type;
- ``/collections/{id}/coverage``: the surface valid at ``datetime=`` (an instant; default the
  newest), cut by ``bbox`` (``bbox-crs``) and / or ``subset=E(lo:hi),N(lo:hi)`` (Lambert 72
  metres; ``Lon(..)``/``Lat(..)`` in CRS84; ``time("2021-06-01")`` like ``datetime``), resampled
  (nearest cell) by ``scale-factor`` or ``scale-size=E(n),N(n)``, bands by ``properties``;
  GeoTIFF (a COG; default) or CoverageJSON (``f=covjson``);
- ``/collections/{id}/coverage/domainset``, ``.../rangetype``: the grid and the bands;
- ``/collections/{id}/zonal-statistics?datetime=&zones=districts|municipalities``: mean / min
  / max per zone of the boundary edition in force on 1 July of the surface's year.

A cut is the cells that meet the box (outward to whole cells): the answer equals a rasterio
window read of the COG. The whole surface, uncut, in GeoTIFF is the recorded COG itself
(the same bytes as its checksum; ``Range`` requests read parts of it, as GDAL's /vsicurl/
does). A date with no surface is a 404 whose hint gives the years covered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.windows import Window
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from geo.city import CITY_TZ, REGION_BBOX
from geo.crs import CRS84, SUPPORTED, crs84_box, transformer
from geo.errors import InvalidInput, NotFound
from geo.surfaces import BANDS, DERIVED_NOTE, NODATA
from linking.surfaces import (
    CAMPAIGN_COLLECTION,
    COLLECTIONS,
    NO2_COLLECTION,
    ZONE_LAYERS,
    surface_or_404,
    zonal_statistics,
)
from services import ogc_params as p
from services.surface_files import surfaces_root
from services.web import base_url, catalogue, db, language
from versioning.instants import parse_instant
from versioning.surfaces import surface_collections, surfaces

GEOTIFF = "image/tiff; application=geotiff"
COVJSON = "application/prs.coverage+json"
JSON = "application/json"
LAMBERT = SUPPORTED["31370"].uri
COVERAGE_PARAMS = {"datetime", "bbox", "bbox-crs", "subset", "scale-factor", "scale-size",
                   "properties", "f", "lang"}
MAX_COVJSON_CELLS = 400_000  # cells x bands in one CoverageJSON answer
MAX_CELLS = 16_000_000  # cells of a resampled answer
# degrees (west, south, east, north) well around the region the coverages cover, within
# Lambert 72's domain: a CRS84 subset of one axis takes the other from here
AROUND = (REGION_BBOX[0] - 0.3, REGION_BBOX[1] - 0.3, REGION_BBOX[2] + 0.3,
          REGION_BBOX[3] + 0.3)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/subsetting",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/bbox",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/datetime",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/scaling",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/fieldselection",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/geotiff",
    "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/coveragejson",
]
TEXTS = {
    "title": {"fr": "NO2, moyennes annuelles estimées (surfaces)",
              "nl": "NO2, geschatte jaargemiddelden (oppervlakken)",
              "en": "NO2, estimated annual means (surfaces)"},
    "description": {
        "fr": "Estimations dérivées : krigeage ordinaire des moyennes annuelles de NO2 des "
              "stations IRCEL-CELINE, une surface par année, mailles de 50 m (EPSG:31370). "
              "Ce ne sont pas des mesures.",
        "nl": "Afgeleide schattingen: ordinary kriging van de jaargemiddelden NO2 van de "
              "IRCEL-CELINE-stations, één oppervlak per jaar, cellen van 50 m (EPSG:31370). "
              "Het zijn geen metingen.",
        "en": "Derived estimates: ordinary kriging of the IRCEL-CELINE stations' yearly NO2 "
              "means, one surface a year, 50 m cells (EPSG:31370). Not measurements."},
    "no2": {"fr": "NO2, moyenne annuelle estimée", "nl": "NO2, geschat jaargemiddelde",
            "en": "NO2, estimated annual mean"},
    "no2_variance": {"fr": "variance de krigeage de l'estimation",
                     "nl": "krigingvariantie van de schatting",
                     "en": "kriging variance of the estimate"},
}
CAMPAIGN_TEXTS = {
    "title": {"fr": "NO2, campagne CurieuzenAir estimée (surface)",
              "nl": "NO2, geschatte CurieuzenAir-campagne (oppervlak)",
              "en": "NO2, CurieuzenAir campaign estimated (surface)"},
    "description": {
        "fr": "Estimation dérivée : krigeage ordinaire (voisinage des 16 points les plus "
              "proches) des quelque 2 500 points de mesure citoyens de la campagne "
              "CurieuzenAir, valable pour l'année de la campagne, mailles de 50 m "
              "(EPSG:31370). Ce ne sont pas des mesures.",
        "nl": "Afgeleide schatting: ordinary kriging (buurt van de 16 dichtste punten) van de "
              "zowat 2 500 burgermeetpunten van de CurieuzenAir-campagne, geldig voor het jaar "
              "van de campagne, cellen van 50 m (EPSG:31370). Het zijn geen metingen.",
        "en": "A derived estimate: ordinary kriging (neighbourhood of the 16 nearest points) of "
              "the CurieuzenAir campaign's some 2,500 citizen measuring points, valid for the "
              "campaign's year, 50 m cells (EPSG:31370). Not measurements."},
    "no2": {"fr": "NO2 de la campagne, estimé", "nl": "NO2 van de campagne, geschat",
            "en": "NO2 of the campaign, estimated"},
}
UNITS = {"no2": "ug/m3", "no2_variance": "(ug/m3)2"}


def texts(cid: str) -> dict[str, dict[str, str]]:
    """The titles and band descriptions of a surface collection, in fr / nl / en."""
    return {**TEXTS, **CAMPAIGN_TEXTS} if cid == CAMPAIGN_COLLECTION else TEXTS


def routes() -> list[Route]:
    """The routes of each surface collection's own paths (before the layers' generic
    ``/collections/{collection_id}``): the collection, its EDR position, its picture."""
    def bound(cid: str, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            request.scope["path_params"] = {**request.path_params, "collection_id": cid}
            return await handler(request)
        endpoint.__name__ = handler.__name__
        return endpoint
    return [Route(f"/collections/{cid}{suffix}", bound(cid, handler))
            for cid in COLLECTIONS
            for suffix, handler in (("", collection), ("/position", position),
                                    ("/map", map_picture))]


def built(conn: Any) -> list[str]:
    """The surface collections that hold a surface."""
    return [c for c in surface_collections(conn) if c in COLLECTIONS]


def landing_links(base: str, collections: list[str]) -> list[dict[str, str]]:
    """The landing page's links to the surface collections (those built) and their
    coverages. They are not listed in ``/collections``: Features clients (and the OGC test
    suite) take every collection listed there for a feature collection and ask its items."""
    out = []
    for cid in collections:
        title = texts(cid)["title"]["en"]
        out += [{"rel": "related", "type": JSON, "title": f"{title}: the collection",
                 "href": f"{base}/collections/{cid}"},
                {"rel": "http://www.opengis.net/def/rel/ogc/1.0/coverage", "type": GEOTIFF,
                 "title": f"{title}: the newest coverage",
                 "href": f"{base}/collections/{cid}/coverage"}]
    return out


_AXES = {"e": "x", "x": "x", "n": "y", "y": "y", "lon": "lon", "long": "lon", "lat": "lat",
         "time": "t", "t": "t", "date": "t"}
_PART = re.compile(r"\s*([A-Za-z]+)\(([^()]*)\)\s*(?:,|$)")


def _iso(moment: dt.datetime) -> str:
    """An instant in the city's time (a year starts at midnight in Brussels)."""
    return moment.astimezone(CITY_TZ).isoformat()


# -- which surface ----------------------------------------------------------------------------
def _collection(request: Request) -> str:
    cid = str(request.path_params.get("collection_id", ""))
    if cid not in COLLECTIONS:
        raise NotFound(f"collection {cid!r} has no coverage",
                       hint=f"coverages are offered for: {', '.join(COLLECTIONS)}")
    return cid


def _instant(q: QueryParams, subset_time: str | None) -> dt.datetime | None:
    text = q.get("datetime")
    if text is not None and subset_time is not None:
        raise InvalidInput("datetime and subset=time(...) both ask a date",
                           hint="give the date once")
    text = text if text is not None else subset_time
    if text is None:
        return None
    if "/" in text:
        raise InvalidInput(f"datetime {text!r} is an interval: a coverage is the surface of "
                           "one instant", hint="give an instant, e.g. datetime=2021-06-15")
    return p.optional_date_param(text, "datetime")


def _surface(conn: Any, cid: str, at: dt.datetime | None) -> dict[str, Any]:
    if at is not None:
        return surface_or_404(conn, cid, at)
    known = surfaces(conn, cid)
    if not known:
        raise NotFound(f"{cid} has no surface yet", hint="build them: strata surfaces build no2")
    return known[-1]


# -- where, how many cells, which bands --------------------------------------------------------
@dataclass
class Cut:
    """A request's cut: bounds in Lambert 72 (or None), output size (or None), bands."""

    bounds: tuple[float, float, float, float] | None
    size: tuple[int | None, int | None]
    factor: float | None
    bands: list[int]
    time: str | None

    @property
    def whole(self) -> bool:
        """Every cell of every band, at the grid's own size: the surface as recorded."""
        return (self.bounds is None and self.factor is None and self.size == (None, None)
                and self.bands == list(range(1, len(BANDS) + 1)))


def _number(text: str, what: str, hint: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{what}: {text!r} is not a number", hint=hint) from None
    if not math.isfinite(value):
        raise InvalidInput(f"{what}: {text!r} is not finite", hint=hint)
    return value


def _parts(value: str, name: str, hint: str) -> list[tuple[str, str]]:
    parts, pos = [], 0
    while pos < len(value):
        m = _PART.match(value, pos)
        if not m or m.end() == pos:
            raise InvalidInput(f"{name} {value!r} is not axis(value) pairs", hint=hint)
        axis = _AXES.get(m.group(1).lower())
        if axis is None:
            raise InvalidInput(f"{name}: unknown axis {m.group(1)!r}", hint=hint)
        parts.append((axis, m.group(2).strip()))
        pos = m.end()
    if not parts:
        raise InvalidInput(f"{name} is empty", hint=hint)
    return parts


def _to_lambert(x1: float, y1: float, x2: float, y2: float, epsg: int
                ) -> tuple[float, float, float, float]:
    if epsg == 31370:
        return x1, y1, x2, y2
    t = transformer(epsg, 31370)
    xs = np.linspace(x1, x2, 11)
    ys = np.linspace(y1, y2, 11)
    gx, gy = np.meshgrid(xs, ys)
    ex, ey = t.transform(gx.ravel(), gy.ravel())
    return float(np.min(ex)), float(np.min(ey)), float(np.max(ex)), float(np.max(ey))


def _intersect(a: tuple[float, float, float, float] | None,
               b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    if a is None:
        return b
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def parse_cut(q: QueryParams) -> Cut:
    """The cut asked by ``bbox`` / ``bbox-crs``, ``subset``, ``scale-*``, ``properties``."""
    bounds: tuple[float, float, float, float] | None = None
    box = p.bbox_param(q)
    if box is not None:
        crs = p.crs_param(q, "bbox-crs", CRS84)
        x1, y1, x2, y2 = box
        if crs.flipped:
            x1, y1, x2, y2 = y1, x1, y2, x2
        bounds = _to_lambert(x1, y1, x2, y2, crs.epsg)
    subset_hint = ("write subset=E(150000:152000),N(170000:171000) (Lambert 72 metres), "
                   "Lon(4.35:4.37),Lat(50.84:50.85) or time(\"2021-06-15\")")
    time_text = None
    ranges: dict[str, tuple[float, float]] = {}
    for value in q.getlist("subset"):
        for axis, text in _parts(value, "subset", subset_hint):
            if axis in ranges or (axis == "t" and time_text is not None):
                raise InvalidInput(f"subset names the axis {axis} twice", hint=subset_hint)
            if axis == "t":
                time_text = text.strip('"\'')
                if ":" in time_text and "T" not in time_text:
                    raise InvalidInput(f"subset time({text}) is an interval: a coverage is "
                                       "the surface of one instant", hint=subset_hint)
                continue
            lo_text, _, hi_text = text.partition(":") if ":" in text else (text, "", text)
            lo = -math.inf if lo_text.strip() == "*" else _number(lo_text, "subset", subset_hint)
            hi = math.inf if hi_text.strip() == "*" else _number(hi_text, "subset", subset_hint)
            if lo > hi:
                raise InvalidInput(f"subset {axis}({text}): the low bound comes first",
                                   hint=subset_hint)
            ranges[axis] = (lo, hi)
    if ({"x", "y"} & set(ranges)) and ({"lon", "lat"} & set(ranges)):
        raise InvalidInput("subset mixes Lambert 72 (E, N) and CRS84 (Lon, Lat) axes",
                           hint=subset_hint)
    if "x" in ranges or "y" in ranges:  # * is the whole axis
        (x1, x2), (y1, y2) = ranges.get("x", (-1e9, 1e9)), ranges.get("y", (-1e9, 1e9))
        x1, x2, y1, y2 = max(x1, -1e9), min(x2, 1e9), max(y1, -1e9), min(y2, 1e9)
        bounds = _intersect(bounds, (x1, y1, x2, y2))
    if "lon" in ranges or "lat" in ranges:
        # an axis not cut is the whole coverage on it: the degrees around the region (the
        # whole earth in Lambert 72 would be no box at all)
        (x1, x2), (y1, y2) = (ranges.get("lon", (AROUND[0], AROUND[2])),
                              ranges.get("lat", (AROUND[1], AROUND[3])))
        x1, x2, y1, y2 = max(x1, -180), min(x2, 180), max(y1, -90), min(y2, 90)
        p.check_extent([x1, y1, x2, y2], CRS84, "subset")
        bounds = _intersect(bounds, _to_lambert(x1, y1, x2, y2, 4326))
    size: list[int | None] = [None, None]
    factor = None
    if q.get("scale-factor") is not None and q.get("scale-size") is not None:
        raise InvalidInput("scale-factor and scale-size both scale the answer",
                           hint="give one of them")
    if q.get("scale-factor") is not None:
        factor = _number(q["scale-factor"], "scale-factor", "give a number, e.g. 2 (half the "
                                                            "cells on each axis)")
        if not 0.125 <= factor <= 1000:
            raise InvalidInput(f"scale-factor {factor:g} is out of range",
                               hint="give scale-factor between 0.125 and 1000")
    size_hint = "write scale-size=E(100),N(100): the number of cells on each axis"
    for value in q.getlist("scale-size"):
        for axis, text in _parts(value, "scale-size", size_hint):
            if axis not in ("x", "y"):
                raise InvalidInput(f"scale-size: axis {axis} cannot be scaled", hint=size_hint)
            n = _number(text, "scale-size", size_hint)
            if n != int(n) or not 1 <= n <= 4000:
                raise InvalidInput(f"scale-size {axis}({text}) is not a whole number of "
                                   "cells between 1 and 4000", hint=size_hint)
            size[0 if axis == "x" else 1] = int(n)
    bands = [1, 2]
    if q.get("properties") is not None:
        names = [n.strip() for n in q["properties"].split(",")]
        unknown = [n for n in names if n not in BANDS]
        if unknown or not names:
            raise InvalidInput(f"properties: unknown band(s) {', '.join(unknown) or '(none)'}",
                               hint=f"the bands: {', '.join(BANDS)}")
        bands = [BANDS.index(n) + 1 for n in dict.fromkeys(names)]
    return Cut(bounds, (size[0], size[1]), factor, bands, time_text)


def window_of(bounds: tuple[float, float, float, float], transform: Any, width: int,
              height: int) -> Window:
    """The cells that meet ``bounds`` (outward to whole cells), within the raster; raises
    InvalidInput when none does."""
    cell, west, north = transform.a, transform.c, transform.f
    # a box far beyond the raster (or projected out of bounds) is cut to a finite one first
    xmin, ymin, xmax, ymax = (min(max(v, -1e12), 1e12) for v in bounds)
    c0 = math.floor((xmin - west) / cell)
    c1 = max(math.ceil((xmax - west) / cell), c0 + 1)  # a slice on a cell's edge: that cell
    r0 = math.floor((north - ymax) / cell)
    r1 = max(math.ceil((north - ymin) / cell), r0 + 1)
    c0, c1, r0, r1 = max(0, c0), min(width, c1), max(0, r0), min(height, r1)
    if any(math.isnan(v) for v in bounds) or c1 <= c0 or r1 <= r0:
        south, east = north - height * cell, west + width * cell
        raise InvalidInput(
            "the box asked lies outside the coverage",
            hint=f"the coverage spans E {west:g}..{east:g}, N {south:g}..{north:g} "
                 "(EPSG:31370)")
    return Window(c0, r0, c1 - c0, r1 - r0)


@dataclass
class Read:
    """Cells read from a surface: the array (bands, rows, cols), its transform, the band
    names, the source tags."""

    data: np.ndarray
    transform: Any
    names: list[str]
    tags: dict[str, str]


def read(path: Path, cut: Cut) -> Read:
    """The cells of the COG at ``path`` that ``cut`` asks, resampled to its size (nearest)."""
    with rasterio.open(path) as src:
        window = (window_of(cut.bounds, src.transform, src.width, src.height)
                  if cut.bounds is not None else Window(0, 0, src.width, src.height))
        w, h = int(window.width), int(window.height)
        out_w, out_h = w, h
        if cut.factor is not None:
            out_w, out_h = max(1, round(w / cut.factor)), max(1, round(h / cut.factor))
        if cut.size[0] is not None or cut.size[1] is not None:
            out_w = cut.size[0] or max(1, round(w * (cut.size[1] or h) / h))
            out_h = cut.size[1] or max(1, round(h * (cut.size[0] or w) / w))
        if out_w * out_h > MAX_CELLS:
            raise InvalidInput(f"{out_w} x {out_h} cells is more than this service sends",
                               hint=f"ask at most {MAX_CELLS:,} cells (scale-size)")
        data = src.read(cut.bands, window=window, out_shape=(len(cut.bands), out_h, out_w),
                        resampling=Resampling.nearest)
        transform = src.window_transform(window)
        if (out_w, out_h) != (w, h):
            transform = transform * rasterio.Affine.scale(w / out_w, h / out_h)
        tags = src.tags()
    return Read(data, transform, [BANDS[b - 1] for b in cut.bands], tags)


# -- encodings ---------------------------------------------------------------------------------
def geotiff(cells: Read) -> bytes:
    """The cells as a Cloud Optimized GeoTIFF (deflate, tiles of 128, overviews)."""
    count, height, width = cells.data.shape
    with MemoryFile() as mem:
        with mem.open(driver="COG", width=width, height=height, count=count, dtype="float32",
                      crs="EPSG:31370", transform=cells.transform, nodata=NODATA,
                      compress="deflate", blocksize=128) as dst:
            dst.write(cells.data)
            dst.update_tags(**cells.tags)
            for i, name in enumerate(cells.names, start=1):
                dst.set_band_description(i, name)
                dst.update_tags(i, name=name, unit=UNITS[name])
        return bytes(mem.read())


def parameter(name: str, lang: str, cid: str) -> dict[str, Any]:
    """A band as a CoverageJSON parameter: its description, unit and observed property."""
    words = texts(cid)[name]
    return {"type": "Parameter", "description": {lang: words[lang]},
            "unit": {"symbol": {"value": UNITS[name],
                                "type": "http://www.opengis.net/def/uom/UCUM/"}},
            "observedProperty": {"label": dict(words)}}


def coveragejson(cells: Read, surface: dict[str, Any], lang: str) -> dict[str, Any]:
    """The cells as a CoverageJSON grid coverage (nodata as null)."""
    count, height, width = cells.data.shape
    t = cells.transform
    xs = (t.c + t.a / 2, t.c + t.a * (width - 0.5))
    ys = (t.f + t.e / 2, t.f + t.e * (height - 0.5))
    params, ranges = {}, {}
    for i, name in enumerate(cells.names):
        params[name] = parameter(name, lang, surface["collection"])
        band = cells.data[i].astype("float64")
        values = [None if v == NODATA else round(float(v), 4) for v in band.ravel()]
        ranges[name] = {"type": "NdArray", "dataType": "float", "axisNames": ["t", "y", "x"],
                        "shape": [1, height, width], "values": values}
    return {"type": "Coverage", "domain": {
        "type": "Domain", "domainType": "Grid",
        "axes": {"x": {"start": xs[0], "stop": xs[1], "num": width},
                 "y": {"start": ys[0], "stop": ys[1], "num": height},
                 "t": {"values": [_iso(surface["valid_from"])]}},
        "referencing": [
            {"coordinates": ["x", "y"], "system": {"type": "ProjectedCRS", "id": LAMBERT}},
            {"coordinates": ["t"], "system": {"type": "TemporalRS", "calendar": "Gregorian"}}]},
        "parameters": params, "ranges": ranges,
        "strata:derived": True, "strata:note": DERIVED_NOTE, "strata:method": surface["method"],
        "strata:cv_rmse_ug_m3": surface["cv_rmse"], "strata:period": surface["period"]}


def _format(request: Request) -> str:
    f = request.query_params.get("f")
    if f is None:
        accept = request.headers.get("accept", "")
        return "covjson" if ("cov+json" in accept or "coverage+json" in accept) else "tiff"
    if f in ("tiff", "geotiff", "tif"):
        return "tiff"
    if f in ("covjson", "coveragejson", "json"):
        return "covjson"
    raise InvalidInput(f"f={f} is not offered for a coverage",
                       hint="use f=tiff (GeoTIFF, a COG) or f=covjson (CoverageJSON)")


def _cache(request: Request, response: Response, surface: dict[str, Any], dated: bool
           ) -> Response:
    # the format may come from Accept: the tag names the representation, which varies by it
    kind = response.headers.get("content-type", "")
    tag = hashlib.sha1(f"{surface['checksum']}|{request.url.query}|{kind}".encode()).hexdigest()
    response.headers["ETag"] = f'"{tag}"'
    response.headers["Vary"] = "Accept"
    # a recorded surface never changes; without datetime the newest one may be superseded
    response.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if dated
                                         else "public, max-age=60")
    return response


# -- routes ------------------------------------------------------------------------------------
async def coverage(request: Request) -> Response:
    """``/collections/{id}/coverage``: the surface valid at ``datetime``, cut and scaled."""
    cid = _collection(request)
    q = request.query_params
    p.check_known(q, COVERAGE_PARAMS, repeatable={"subset", "scale-size"})
    kind = _format(request)
    cut = parse_cut(q)
    at = _instant(q, cut.time)
    root = surfaces_root(request.app.state.store_settings)
    lang = language(request)

    def work() -> tuple[bytes, str, dict[str, Any]]:
        with db(request) as conn:
            surface = _surface(conn, cid, at)
        path = root / surface["file_name"]
        if kind != "covjson" and cut.whole:  # the recorded COG itself, byte for byte
            return path.read_bytes(), GEOTIFF, surface
        cells = read(path, cut)
        if kind == "covjson":
            if cells.data.size > MAX_COVJSON_CELLS:
                raise InvalidInput(
                    f"{cells.data.size:,} values is too many for CoverageJSON",
                    hint=f"ask at most {MAX_COVJSON_CELLS:,} (a bbox, scale-size, one band "
                         "with properties), or f=tiff")
            return (json.dumps(coveragejson(cells, surface, lang)).encode(), COVJSON, surface)
        return geotiff(cells), GEOTIFF, surface

    body, media, surface = await run_in_threadpool(work)
    headers = {"Content-Language": lang, "Accept-Ranges": "bytes"}
    if media == GEOTIFF:
        headers["Content-Disposition"] = f'inline; filename="{cid}_{surface["period"]}.tif"'
    status, body = _byte_range(request, body, headers)
    if status == 416:  # said in the one shape by the error middleware
        return Response(status_code=416, media_type="text/plain",
                        headers={"Content-Range": headers["Content-Range"]})
    return _cache(request, Response(body, status_code=status, media_type=media,
                                    headers=headers), surface, at is not None)


def _byte_range(request: Request, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """A single ``Range: bytes=a-b`` (how GDAL's /vsicurl/ reads a COG): 206 with that part;
    one starting beyond the end: 416 with the size (``bytes */size``) and no body, which the
    error middleware says in the one shape, as for a download; anything else (no range,
    several, one ending before it starts): the whole body, 200, as RFC 9110 allows."""
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", "").strip())
    if not m or (not m.group(1) and not m.group(2)):
        return 200, body
    size = len(body)
    if m.group(1):
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    else:
        start, end = max(0, size - int(m.group(2))), size - 1
    if start >= size:
        headers["Content-Range"] = f"bytes */{size}"
        return 416, b""
    if start > end:
        return 200, body
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return 206, body[start:end + 1]


def _bounds_crs84(bounds: list[float]) -> list[float]:
    return crs84_box(bounds[0], bounds[1], bounds[2], bounds[3])  # its edges, not its corners


def domain_set(surface: dict[str, Any], known: list[dict[str, Any]]) -> dict[str, Any]:
    """The CIS JSON domain set: the grid in Lambert 72 and the periods."""
    west, south, east, north = surface["bounds"]
    cell = surface["cell_size_m"]
    width, height = round((east - west) / cell), round((north - south) / cell)
    return {"type": "DomainSet", "generalGrid": {
        "type": "GeneralGridCoverage", "srsName": LAMBERT, "axisLabels": ["E", "N"],
        "axis": [{"type": "RegularAxis", "axisLabel": "E", "lowerBound": west,
                  "upperBound": east, "uomLabel": "m", "resolution": cell},
                 {"type": "RegularAxis", "axisLabel": "N", "lowerBound": south,
                  "upperBound": north, "uomLabel": "m", "resolution": cell}],
        "gridLimits": {"type": "GridLimits",
                       "srsName": "http://www.opengis.net/def/crs/OGC/0/Index2D",
                       "axisLabels": ["i", "j"],
                       "axis": [{"type": "IndexAxis", "axisLabel": "i", "lowerBound": 0,
                                 "upperBound": width - 1},
                                {"type": "IndexAxis", "axisLabel": "j", "lowerBound": 0,
                                 "upperBound": height - 1}]}},
        "temporal": {"axisLabel": "time", "values": [
            {"period": s["period"], "valid_from": _iso(s["valid_from"]),
             "valid_to": _iso(s["valid_to"])} for s in known]}}


def range_type(lang: str, cid: str = NO2_COLLECTION) -> dict[str, Any]:
    """The CIS JSON range type: the bands, their units and nodata."""
    return {"type": "DataRecord", "field": [{
        "type": "Quantity", "id": name, "name": name, "description": texts(cid)[name][lang],
        "definition": "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/8",
        "uom": {"type": "UnitReference", "code": UNITS[name]},
        "nilValues": [{"value": NODATA, "reason": "outside the region"}]} for name in BANDS]}


async def domainset(request: Request) -> Response:
    """``/collections/{id}/coverage/domainset``."""
    cid = _collection(request)
    p.check_known(request.query_params, {"f", "datetime"})
    _json_only(request)
    at = _instant(request.query_params, None)
    with db(request) as conn:
        surface = _surface(conn, cid, at)
        known = surfaces(conn, cid)
    return JSONResponse(domain_set(surface, known))


async def rangetype(request: Request) -> Response:
    """``/collections/{id}/coverage/rangetype``."""
    cid = _collection(request)
    p.check_known(request.query_params, {"f", "lang"})
    _json_only(request)
    lang = language(request)
    return JSONResponse(range_type(lang, cid), headers={"Content-Language": lang})


def _json_only(request: Request) -> None:
    if request.query_params.get("f") not in (None, "json"):
        raise InvalidInput(f"f={request.query_params.get('f')} is not offered here",
                           hint="use f=json")


async def collection(request: Request) -> Response:
    """``/collections/no2_surface`` (and each surface collection): its periods and errors."""
    cid = _collection(request)
    p.check_known(request.query_params, {"f", "lang"})
    _json_only(request)
    lang = language(request)
    base = base_url(request)
    with db(request) as conn:
        known = surfaces(conn, cid)
    if not known:
        raise NotFound(f"{cid} has no surface yet", hint="build them: strata surfaces build no2")
    return JSONResponse(describe(cid, known, base, lang), headers={"Content-Language": lang})


def describe(cid: str, known: list[dict[str, Any]], base: str, lang: str) -> dict[str, Any]:
    """The document of a surface collection: its surfaces, extent, errors and links."""
    words = texts(cid)
    path = f"{base}/collections/{cid}"
    body = {
        "id": cid, "title": words["title"][lang], "description": words["description"][lang],
        "itemType": "coverage", "derived": True, "note": DERIVED_NOTE,
        "method": known[-1]["method"], "cellSize": known[-1]["cell_size_m"],
        "storageCrs": LAMBERT, "crs": [LAMBERT],
        "extent": {"spatial": {"bbox": [_bounds_crs84(known[-1]["bounds"])], "crs": CRS84.uri},
                   "temporal": {"interval": [[_iso(known[0]["valid_from"]),
                                              _iso(known[-1]["valid_to"])]],
                                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        "domainset": domain_set(known[-1], known), "rangetype": range_type(lang, cid),
        "surfaces": [{"period": s["period"], "valid_from": _iso(s["valid_from"]),
                      "valid_to": _iso(s["valid_to"]), "source": s["source_name"],
                      "n_points": s["n_points"], "cv_rmse_ug_m3": s["cv_rmse"],
                      "cv_mae_ug_m3": s["cv_mae"], "checksum": s["checksum"]} for s in known],
        "links": [
            {"rel": "self", "type": JSON, "href": path},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/coverage", "type": GEOTIFF,
             "href": f"{path}/coverage?f=tiff"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/coverage", "type": COVJSON,
             "href": f"{path}/coverage?f=covjson&properties=no2&scale-factor=4"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/coverage-domainset", "type": JSON,
             "href": f"{path}/coverage/domainset"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/coverage-rangetype", "type": JSON,
             "href": f"{path}/coverage/rangetype"},
            {"rel": "related", "type": JSON, "title": "zonal statistics",
             "href": f"{path}/zonal-statistics?zones=districts"}]}
    return body



async def zonal(request: Request) -> Response:
    """``/collections/{id}/zonal-statistics``: mean / min / max per zone, on the boundaries
    in force in the surface's year."""
    cid = _collection(request)
    q = request.query_params
    p.check_known(q, {"datetime", "zones", "f"})
    _json_only(request)
    zones = q.get("zones", "districts")
    if zones not in ZONE_LAYERS:
        raise InvalidInput(f"zones {zones!r} cannot be used for statistics",
                           hint=f"use one of: {', '.join(ZONE_LAYERS)}")
    at = _instant(q, None)
    root = surfaces_root(request.app.state.store_settings)
    cat = catalogue(request)

    def work() -> dict[str, Any]:
        with db(request) as conn:
            when = at or _surface(conn, cid, None)["valid_from"]
            return zonal_statistics(conn, cat, root, cid, when, zones)

    result = await run_in_threadpool(work)
    return JSONResponse(json.loads(json.dumps(result, default=str)))



# -- EDR position: a point's yearly series ------------------------------------------------------
POSITION_PARAMS = {"coords", "datetime", "parameter-name", "crs", "f", "lang"}
_POINT = re.compile(r"\s*POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\s*", re.IGNORECASE)
_YEAR = re.compile(r"\d{4}")
_POINT_HINT = "longitude first, in degrees: coords=POINT(4.35 50.85)"


def _point(text: str | None) -> tuple[float, float]:
    if text is None:
        raise InvalidInput("coords is required", hint=_POINT_HINT)
    m = _POINT.fullmatch(text)
    if not m:
        raise InvalidInput(f"coords {text!r} is not a point", hint=_POINT_HINT)
    lon = _number(m.group(1), "coords", _POINT_HINT)
    lat = _number(m.group(2), "coords", _POINT_HINT)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("coords are not longitude -180..180 and latitude -90..90 (CRS84)",
                           hint=_POINT_HINT)
    return lon, lat


def _years_window(text: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``datetime`` of a series: an instant, a year, or an interval of them (open ends ``..``);
    a bare year as the end includes that year."""
    hint = "give years or dates: datetime=2010/2020, 2015-06-15, ../2020 or 2010/.."
    if text is None:
        return None, None

    def one(part: str, end: bool) -> dt.datetime | None:
        part = part.strip()
        if part in ("", ".."):
            return None
        if _YEAR.fullmatch(part):
            year = int(part)
            if not 1 <= year <= 9998:  # the calendar of Python's dates, a year to spare
                raise InvalidInput(f"datetime {text!r}: {part} is out of the range of years",
                                   hint="give years from 0001 to 9998")
            return parse_instant(f"{year + (1 if end else 0):04d}-01-01") - (
                dt.timedelta(microseconds=1) if end else dt.timedelta(0))
        moment = p.optional_date_param(part, "datetime")
        if moment is None:
            raise InvalidInput(f"datetime {text!r} is not a date", hint=hint)
        return moment

    if "/" not in text:
        at = one(text, False)
        if at is not None and _YEAR.fullmatch(text.strip()):
            return at, one(text, True)
        return at, at
    start_text, end_text = text.split("/", 1)
    start, end = one(start_text, False), one(end_text, True)
    if start and end and start > end:
        raise InvalidInput(f"datetime {text!r}: the interval ends before it starts", hint=hint)
    return start, end


def sample(path: Path, x: float, y: float, bands: list[int]) -> list[float | None]:
    """The cell of the COG at ``path`` holding the Lambert 72 point (x, y), per band; None
    for nodata or a point off the grid."""
    with rasterio.open(path) as src:
        row, col = src.index(x, y)
        if not (0 <= row < src.height and 0 <= col < src.width):
            return [None for _ in bands]
        cells = src.read(bands, window=Window(col, row, 1, 1))
    return [None if float(v) == NODATA else round(float(v), 4) for v in cells[:, 0, 0]]


async def position(request: Request) -> Response:
    """``/collections/no2_surface/position?coords=POINT(lon lat)&datetime=2010/2020``: the
    point's yearly series (CoverageJSON PointSeries), each value from the surface valid in
    that year."""
    cid = _collection(request)
    q = request.query_params
    p.check_known(q, POSITION_PARAMS)
    if q.get("f") not in (None, "json", "covjson", "coveragejson"):
        raise InvalidInput(f"f={q.get('f')} is not offered for a position query",
                           hint="use f=json (CoverageJSON)")
    if q.get("crs") not in (None, CRS84.uri, "CRS84", "OGC:CRS84"):
        raise InvalidInput(f"crs {q.get('crs')!r} is not offered", hint=f"use {CRS84.uri}")
    lon, lat = _point(q.get("coords"))
    start, end = _years_window(q.get("datetime"))
    names = list(BANDS)
    if q.get("parameter-name") is not None:
        names = [n.strip() for n in q["parameter-name"].split(",")]
        unknown = [n for n in names if n not in BANDS]
        if unknown or not names:
            raise InvalidInput(f"parameter-name: unknown {', '.join(unknown) or '(none)'}",
                               hint=f"the parameters: {', '.join(BANDS)}")
        names = list(dict.fromkeys(names))
    bands = [BANDS.index(n) + 1 for n in names]
    root = surfaces_root(request.app.state.store_settings)
    lang = language(request)
    x, y = transformer(4326, 31370).transform(lon, lat)

    def work() -> tuple[list[dict[str, Any]], list[list[float | None]]]:
        with db(request) as conn:
            known = surfaces(conn, cid)
        if not known:
            raise NotFound(f"{cid} has no surface yet",
                           hint="build them: strata surfaces build no2")
        chosen = [s for s in known
                  if (start is None or s["valid_to"] > start)
                  and (end is None or s["valid_from"] <= end)]
        if not chosen:
            raise NotFound(f"{cid} has no surface in {q.get('datetime')!r}",
                           hint=f"surfaces cover {known[0]['period']}-{known[-1]['period']}: "
                                "ask years within, e.g. datetime="
                                f"{known[0]['period']}/{known[-1]['period']}")
        return chosen, [sample(root / s["file_name"], x, y, bands) for s in chosen]

    chosen, values = await run_in_threadpool(work)
    if all(v is None for row in values for v in row):
        raise NotFound(f"POINT({lon:g} {lat:g}) lies outside the region the surfaces cover",
                       hint="the surfaces cover the Brussels-Capital Region: give a point "
                            "inside, e.g. coords=POINT(4.35 50.85)")
    params, ranges = {}, {}
    for i, name in enumerate(names):
        params[name] = parameter(name, lang, cid)
        ranges[name] = {"type": "NdArray", "dataType": "float", "axisNames": ["t"],
                        "shape": [len(chosen)], "values": [row[i] for row in values]}
    body = {
        "type": "Coverage",
        "domain": {"type": "Domain", "domainType": "PointSeries",
                   "axes": {"x": {"values": [lon]}, "y": {"values": [lat]},
                            "t": {"values": [_iso(s["valid_from"]) for s in chosen]}},
                   "referencing": [
                       {"coordinates": ["x", "y"],
                        "system": {"type": "GeographicCRS", "id": CRS84.uri}},
                       {"coordinates": ["t"],
                        "system": {"type": "TemporalRS", "calendar": "Gregorian"}}]},
        "parameters": params, "ranges": ranges,
        "strata:periods": [s["period"] for s in chosen],
        "strata:derived": True, "strata:note": DERIVED_NOTE,
        "strata:method": chosen[-1]["method"],
        "strata:cv_rmse_ug_m3": [s["cv_rmse"] for s in chosen]}
    return JSONResponse(body, media_type=COVJSON, headers={"Content-Language": lang})


# -- a picture of the surface for the viewer -----------------------------------------------------
# the colour scale of NO2 (ug/m3) -> RGB, shared with the viewer's legend (page_config); the WHO
# guideline (10) and the EU limit (40) are stops of their own
RAMP = [(0.0, (49, 54, 149)), (10.0, (69, 170, 120)), (20.0, (254, 224, 90)),
        (30.0, (244, 130, 50)), (40.0, (215, 25, 28)), (60.0, (120, 20, 100))]
WHO_GUIDELINE = 10.0
EU_LIMIT = 40.0
PICTURE_PARAMS = {"datetime", "bbox", "width", "height", "f"}
MAX_SIDE = 2048


def colour(values: np.ndarray) -> np.ndarray:
    """NO2 values (nodata where NODATA) -> RGBA bytes (rows, cols, 4): the ramp, transparent
    nodata."""
    stops = [s for s, _ in RAMP]
    out = np.zeros((*values.shape, 4), dtype=np.uint8)
    for channel in range(3):
        out[..., channel] = np.interp(values, stops, [c[channel] for _, c in RAMP]).round()
    out[..., 3] = np.where(values == NODATA, 0, 255)
    return out


def picture(path: Path, bbox: tuple[float, float, float, float], width: int,
            height: int | None) -> bytes:
    """The NO2 band of the COG at ``path`` over ``bbox`` (CRS84), in EPSG:3857 (so that its
    four corners place it on a web map), coloured by RAMP, as a PNG."""
    from PIL import Image
    from rasterio.transform import from_bounds
    from rasterio.warp import reproject

    west, south, east, north = _mercator(bbox)
    if height is None:
        height = max(1, min(MAX_SIDE, round(width * (north - south) / (east - west))))
    out = np.full((height, width), NODATA, dtype="float32")
    with rasterio.open(path) as src:
        reproject(source=rasterio.band(src, 1), destination=out,
                  dst_transform=from_bounds(west, south, east, north, width, height),
                  dst_crs="EPSG:3857", dst_nodata=NODATA, resampling=Resampling.nearest)
    buffer = io.BytesIO()
    Image.fromarray(colour(out), mode="RGBA").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _mercator(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    t = transformer(4326, 3857)
    x1, y1 = t.transform(bbox[0], bbox[1])
    x2, y2 = t.transform(bbox[2], bbox[3])
    return x1, y1, x2, y2


async def map_picture(request: Request) -> Response:
    """``/collections/no2_surface/map?datetime=&bbox=&width=``: the surface valid at
    ``datetime`` as a coloured PNG in EPSG:3857 over ``bbox`` (CRS84; default the surfaces'
    extent), for the viewer's image layer."""
    cid = _collection(request)
    q = request.query_params
    p.check_known(q, PICTURE_PARAMS)
    if q.get("f") not in (None, "png"):
        raise InvalidInput(f"f={q.get('f')} is not offered for a map of the surface",
                           hint="use f=png")
    at = _instant(q, None)
    box = p.bbox_param(q)
    if box is not None and not (box[0] < box[2] and -85 <= box[1] < box[3] <= 85):
        raise InvalidInput("bbox must be west,south,east,north in CRS84 (latitudes within "
                           "-85..85), not empty", hint="e.g. bbox=4.24,50.76,4.48,50.92")
    width = p.int_param(q, "width", 800, 16, MAX_SIDE)
    height = (p.int_param(q, "height", 800, 16, MAX_SIDE) if q.get("height") is not None
              else None)
    root = surfaces_root(request.app.state.store_settings)

    def work() -> tuple[bytes, dict[str, Any]]:
        with db(request) as conn:
            surface = _surface(conn, cid, at)
        west, south, east, north = box if box is not None else _bounds_crs84(surface["bounds"])
        return (picture(root / surface["file_name"], (west, south, east, north), width, height),
                surface)

    body, surface = await run_in_threadpool(work)
    return _cache(request, Response(body, media_type="image/png"), surface, at is not None)
