# SPDX-License-Identifier: EUPL-1.2
"""Open311 GeoReport v2 at ``/open311/v2``: the Fix My Street categories as services,
reports geolocated, routed and stored, read back with public fields only.

Formats by suffix (``.json``, ``.xml``); errors in the spec's shape, in both formats.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from geo.errors import InvalidInput, NotFound, StrataError, Unavailable
from services import ogc_params as p
from services.http_errors import status_of
from services.web import db, language
from versioning.incidents import PRIVATE, Report, incidents, key_name, report

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000


class Unauthorized(StrataError):
    """No API key given."""

    code = "Unauthorized"


class Forbidden(StrataError):
    """An API key that is not ours."""

    code = "Forbidden"


class Open311Error(Exception):
    """An error already mapped to its HTTP status, answered in the spec's error format."""

    def __init__(self, status: int, description: str, fmt: str) -> None:
        self.status, self.description, self.fmt = status, description, fmt


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for k, v in row.items():
            child = ET.SubElement(el, k)
            if isinstance(v, list):
                for x in v:
                    ET.SubElement(child, "item").text = str(x)
            elif v is not None:
                child.text = str(v).lower() if isinstance(v, bool) else str(v)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def render(rows: list[dict[str, Any]] | dict[str, Any], fmt: str, root: str, item: str,
           status: int = 200, lang: str = "en") -> Response:
    """Rows as JSON (a list, or one object) or as XML (``<root><item>...``)."""
    if fmt == "xml":
        body = _xml(root, item, rows if isinstance(rows, list) else [rows])
    else:
        body = json.dumps(rows, ensure_ascii=False, default=str).encode()
    return Response(body, status_code=status, media_type=FORMATS[fmt],
                    headers={"Content-Language": lang})


def error(status: int, description: str, fmt: str) -> Response:
    """The Open311 error body: ``[{"code", "description"}]`` / ``<errors><error>``."""
    return render([{"code": status, "description": description}], fmt, "errors", "error",
                  status)


def _format(request: Request) -> str:
    fmt = request.path_params.get("format", "json")
    if fmt not in FORMATS:
        raise Open311Error(404, f"format .{fmt} is not offered: use .json or .xml", "json")
    return fmt


async def _answer(request: Request, handler: Any) -> Response:
    fmt = "json"
    try:
        fmt = _format(request)
        return await run_in_threadpool(handler, request, fmt)
    except Open311Error as exc:
        return error(exc.status, exc.description, exc.fmt)
    except StrataError as exc:
        status = {Unauthorized: 401, Forbidden: 403}.get(type(exc)) or status_of(exc)
        text = exc.message + (f" ({exc.hint})" if exc.hint else "")
        return error(status, text, fmt)


def _service(row: tuple[Any, ...], lang: str) -> dict[str, Any]:
    code, families, types, subtypes, place = row[0], row[1:4], row[4:7], row[7:10], row[10]
    i = {"fr": 0, "nl": 1, "en": 2}[lang]
    name = types[i] if subtypes[i] in (None, "", types[i]) else f"{types[i]} - {subtypes[i]}"
    return {"service_code": str(code), "service_name": name,
            "description": f"{families[i]} / {types[i]} / {subtypes[i]}" +
                           (f" ({place})" if place and lang == "fr" else ""),
            "metadata": False, "type": "realtime", "keywords": families[i], "group": families[i]}


SERVICE_SQL = ("SELECT category_id, family_fr, family_nl, family_en, type_fr, type_nl, type_en, "
               "subtype_fr, subtype_nl, subtype_en, place_fr FROM fms_category")


async def services(request: Request) -> Response:
    """``GET services.{format}``: every category, named in the negotiated language."""
    def handler(request: Request, fmt: str) -> Response:
        lang = language(request)
        with db(request) as conn:
            rows = conn.execute(SERVICE_SQL + " ORDER BY category_id").fetchall()
        return render([_service(r, lang) for r in rows], fmt, "services", "service", lang=lang)
    return await _answer(request, handler)


def _code(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise InvalidInput(f"service_code {value!r} is not a service code",
                           hint="the codes are listed at /open311/v2/services.json") from None


async def service_definition(request: Request) -> Response:
    """``GET services/{code}.{format}``: the definition (no extra attributes are asked)."""
    def handler(request: Request, fmt: str) -> Response:
        code = _code(request.path_params["code"])
        with db(request) as conn:
            row = conn.execute(SERVICE_SQL + " WHERE category_id = %s", (code,)).fetchone()
        if row is None:
            raise NotFound(f"service_code {code} is unknown",
                           hint="the codes are listed at /open311/v2/services.json")
        return render({"service_code": str(code), "attributes": []}, fmt,
                      "service_definition", "definition")
    return await _answer(request, handler)


def _number(form: Any, name: str) -> float | None:
    value = form.get(name)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"{name}={value!r} is not a number",
                           hint="give lat and long in WGS 84 degrees, e.g. lat=50.8467&"
                                "long=4.3525") from None


async def post_request(request: Request) -> Response:
    """``POST requests.{format}``: needs ``api_key``; lat/long or address_string."""
    ctype = request.headers.get("content-type", "")
    if "json" in ctype:
        try:
            form: Any = await request.json()
        except ValueError:
            return error(400, "the body is not valid JSON", "json")
        if not isinstance(form, dict):
            return error(400, "the body must be a JSON object", "json")
    else:
        form = await request.form()

    def handler(request: Request, fmt: str) -> Response:
        state = request.app.state
        if state.responsibility is None:
            raise Unavailable("reports need the Brussels layers, which this catalogue lacks")
        with state.writer_pool.connection() as conn:
            if form.get("api_key") in (None, ""):
                raise Unauthorized("an api_key is needed to report",
                                   hint="ask the service desk for a key")
            client = key_name(conn, form.get("api_key"))
            if client is None:
                raise Forbidden("this api_key is not valid", hint="check the key")
            code = _code(form.get("service_code") or "")
            if conn.execute("SELECT 1 FROM fms_category WHERE category_id = %s",
                            (code,)).fetchone() is None:
                raise InvalidInput(f"service_code {code} is unknown",
                                   hint="the codes are listed at /open311/v2/services.json")
            lat, lon = _number(form, "lat"), _number(form, "long")
            if (lat is None) != (lon is None):
                raise InvalidInput("give both lat and long", hint="or an address_string")
            r = Report(code, lon, lat, form.get("address_string") or None,
                       form.get("description") or None, form.get("media_url") or None,
                       {k: form.get(k) or None for k in PRIVATE})
            new_id, answer = report(conn, state.catalogue, state.responsibility, r, client)
        lang = language(request)
        org = answer["responsible"]["organisation"]
        notice = "" if org is None else org["name"]["nl" if lang == "nl" else "fr"]
        return render([{"service_request_id": str(new_id), "service_notice": notice,
                        "account_id": None}], fmt, "service_requests", "request", 201, lang)
    return await _answer(request, handler)


def _request_row(r: dict[str, Any], lang: str) -> dict[str, Any]:
    side = "nl" if lang == "nl" else "fr"
    street = r[f"street_{side}"]
    return {
        "service_request_id": str(r["id"]), "status": r["status"], "status_notes": None,
        "service_name": r[f"type_{lang}"] if r[f"subtype_{lang}"] in (None, r[f"type_{lang}"])
        else f"{r[f'type_{lang}']} - {r[f'subtype_{lang}']}",
        "service_code": str(r["service_code"]), "description": r["description"],
        "agency_responsible": r[f"agency_{side}"], "service_notice": None,
        "requested_datetime": r["requested_at"].isoformat(),
        "updated_datetime": r["updated_at"].isoformat(), "expected_datetime": None,
        "address": r["address_string"] or (
            f"{street}, {r['postcode'] or ''} {r[f'municipality_{side}'] or ''}".strip()
            if street else None),
        "address_id": None, "zipcode": r["postcode"], "lat": round(r["lat"], 7),
        "long": round(r["lon"], 7), "media_url": r["media_url"],
        "municipality": r[f"municipality_{side}"], "routing_rule": r["rule"],
    }


def _list(value: str | None, cast: Any, name: str) -> list[Any] | None:
    if not value:
        return None
    try:
        return [cast(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a comma-separated list of ids") from None


async def get_requests(request: Request) -> Response:
    """``GET requests.{format}``: service_request_id, service_code, status, start_date,
    end_date (90 days by default), bbox (lon/lat), page and page_size."""
    def handler(request: Request, fmt: str) -> Response:
        q = request.query_params
        ids = _list(q.get("service_request_id"), int, "service_request_id")
        status = q.get("status")
        if status not in (None, "open", "closed"):
            raise InvalidInput(f"status {status!r} is not open or closed")
        start = p.optional_date_param(q.get("start_date"), "start_date")
        end = p.optional_date_param(q.get("end_date"), "end_date")
        if start and end and start > end:
            raise InvalidInput("start_date is after end_date")
        if ids is None and start is None:
            start = (end or dt.datetime.now(dt.UTC)) - dt.timedelta(days=DEFAULT_DAYS)
        bbox = None
        if q.get("bbox"):
            try:
                b = [float(v) for v in q["bbox"].split(",")]
            except ValueError:
                b = []
            if len(b) != 4 or b[0] > b[2] or b[1] > b[3]:
                raise InvalidInput(f"bbox {q['bbox']!r} is not minlon,minlat,maxlon,maxlat")
            bbox = (b[0], b[1], b[2], b[3])
        try:
            page = int(q.get("page", "1"))
            size = int(q.get("page_size", str(MAX_REQUESTS)))
        except ValueError:
            raise InvalidInput("page and page_size are whole numbers") from None
        if page < 1 or not 1 <= size <= MAX_REQUESTS:
            raise InvalidInput(f"page starts at 1; page_size is within 1..{MAX_REQUESTS}")
        with db(request) as conn:
            rows = incidents(conn, ids=ids, service_codes=_list(q.get("service_code"), int,
                                                                  "service_code"),
                             status=status, start=start, end=end, bbox=bbox, limit=size,
                             offset=(page - 1) * size)
        lang = language(request)
        return render([_request_row(r, lang) for r in rows], fmt, "service_requests",
                      "request", lang=lang)
    return await _answer(request, handler)


async def get_request(request: Request) -> Response:
    """``GET requests/{id}.{format}``: one request (a list of one, as the spec says)."""
    def handler(request: Request, fmt: str) -> Response:
        rid = _list(request.path_params["rid"], int, "service_request_id")
        with db(request) as conn:
            rows = incidents(conn, ids=rid, limit=1)
        if not rows:
            raise NotFound(f"service request {request.path_params['rid']} does not exist")
        lang = language(request)
        return render([_request_row(rows[0], lang)], fmt, "service_requests", "request",
                      lang=lang)
    return await _answer(request, handler)
