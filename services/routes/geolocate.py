# SPDX-License-Identifier: EUPL-1.2
"""``GET /geolocate``: for a point (lon/lat, or x/y in a CRS) on the map of a date, the
nearest street, the municipality, the district, the postcode, and who must act."""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from geo.crs import CRS84, CrsInfo
from geo.errors import InvalidInput, Unavailable
from linking.geolocate import geolocate as locate
from linking.geolocate import localise
from services import ogc_params as p
from services.web import db, language

PARAMS = {"lon", "lat", "x", "y", "crs", "date", "datetime", "category", "lang", "f"}


def number(value: str | None, name: str, hint: str) -> float:
    """A required number parameter."""
    if value is None or value.strip() == "":
        raise InvalidInput(f"{name} is missing", hint=hint)
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"{name}={value!r} is not a number", hint=hint) from None


def point_params(q: QueryParams) -> tuple[float, float, CrsInfo]:
    """lon / lat (CRS84), or x / y with crs (the CRS's own axis order)."""
    hint = "give lon=4.3525&lat=50.8467, or x=148800&y=170700&crs=EPSG:31370"
    if "lon" in q or "lat" in q:
        if "x" in q or "y" in q:
            raise InvalidInput("give lon / lat or x / y, not both", hint=hint)
        return number(q.get("lon"), "lon", hint), number(q.get("lat"), "lat", hint), CRS84
    crs = p.crs_param(q, "crs", CRS84)
    x, y = number(q.get("x"), "x", hint), number(q.get("y"), "y", hint)
    try:  # a place of the CRS (1e300 metres is none)
        p.check_extent([x, y], crs, "x / y")
    except InvalidInput as exc:
        raise InvalidInput(exc.message, hint=hint) from None
    return x, y, crs


def category_param(value: str | None) -> int | None:
    """An optional Fix My Street category id."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"category={value!r} is not a category id",
                           hint="the categories are listed at /open311/v2/services.json") from None


async def geolocate(request: Request) -> Response:
    """The answer, in the negotiated language; Server-Timing gives the time spent here."""
    return await run_in_threadpool(_geolocate, request)


def _geolocate(request: Request) -> Response:
    with request.app.state.locate_slots:
        return _answer(request)


def _answer(request: Request) -> Response:
    started = time.perf_counter()
    q = request.query_params
    p.check_known(q, PARAMS)
    if q.get("f") not in (None, "json"):
        raise InvalidInput(f"f={q.get('f')} is not offered here", hint="use f=json")
    x, y, crs = point_params(q)
    if "date" in q and "datetime" in q:  # two dates: which one?
        raise InvalidInput("date and datetime both give the date",
                           hint="give one of them: date=2016-06-01")
    at = p.date_param(q.get("date") or q.get("datetime"), "date")
    state = request.app.state
    if state.responsibility is None:
        raise Unavailable("geolocation needs the municipality, district, street, region and "
                          "postcode layers, which this catalogue lacks",
                          hint="serve the Brussels catalogue (config/layers.yml)")
    with db(request) as conn:
        answer = locate(conn, state.catalogue, state.responsibility, x, y, crs, at,
                        category_param(q.get("category")))
    lang = language(request)
    elapsed = (time.perf_counter() - started) * 1000
    return JSONResponse(localise(answer, lang), headers={
        "Content-Language": lang, "Server-Timing": f"app;dur={elapsed:.2f}",
        "Cache-Control": "no-store"})
