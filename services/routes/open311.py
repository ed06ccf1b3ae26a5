# SPDX-License-Identifier: EUPL-1.2
"""Open311 GeoReport v2 at ``/open311/v2``: the Fix My Street categories as services,
reports geolocated, routed and stored, read back with public fields only.

Formats by suffix (``.json``, ``.xml``); errors in the spec's shape, in both formats.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import urllib.parse
import xml.etree.ElementTree as ET
from typing import Any

import psycopg
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response

from geo.errors import InvalidInput, NotFound, StrataError, Unavailable
from geo.text import unstorable
from layers.references import place_names
from linking.reports import (
    PRIVATE,
    Report,
    incidents,
    key_failed,
    key_name,
    key_wait,
    report,
)
from services import ogc_params as p
from services.error_text import localise, translate
from services.http_errors import (
    Forbidden,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    database_error,
    status_of,
)
from services.language import DEFAULT, request_language
from services.web import db, language

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
BIGINT, INT = 2**63 - 1, 2**31 - 1
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000


class Open311Error(Exception):
    """An error already mapped to its HTTP status, answered in the spec's error format."""

    def __init__(self, status: int, description: str, fmt: str, hint: str) -> None:
        self.status, self.description, self.fmt, self.hint = status, description, fmt, hint


# characters XML 1.0 cannot hold (controls but tab, newline, return; surrogates; U+FFFE/F)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """A value as XML text: a character XML 1.0 cannot hold (a control character of a
    report's description, say) becomes U+FFFD; JSON keeps it, escaped (``\\u0007``)."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return NOT_XML.sub("\ufffd", text)


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for k, v in row.items():
            child = ET.SubElement(el, k)
            if isinstance(v, list):
                for x in v:
                    ET.SubElement(child, "item").text = xml_text(x)
            elif v is not None:
                child.text = xml_text(v)
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


def error(status: int, description: str, fmt: str, hint: str | None = None,
          headers: dict[str, str] | None = None, lang: str = DEFAULT) -> Response:
    """The Open311 error body: ``[{"code", "description", "hint"}]`` / ``<errors><error>``
    (the spec's shape, with Strata's hint beside the description). XML is said in ``lang``
    here (the error middleware translates JSON bodies only)."""
    said = None
    if fmt == "xml":
        body, said = localise({"description": description, "hint": hint}, lang)
        description, hint = body["description"], body["hint"]
    response = render([{"code": status, "description": description, "hint": hint}], fmt,
                      "errors", "error", status)
    response.headers.update(headers or {})
    if said is not None:
        response.headers["Content-Language"] = said
    return response


def _format(request: Request) -> str:
    fmt = request.path_params.get("format", "json")
    if fmt not in FORMATS:
        raise Open311Error(404, f"format .{fmt} is not offered", "json",
                           "use .json or .xml")
    return fmt


async def _answer(request: Request, handler: Any) -> Response:
    fmt = "json"
    try:
        fmt = _format(request)
        return await run_in_threadpool(handler, request, fmt)
    except Open311Error as exc:
        return error(exc.status, exc.description, exc.fmt, exc.hint,
                     lang=request_language(request.scope) or DEFAULT)
    except StrataError as exc:
        return _strata_error(request, exc, fmt)
    except psycopg.Error as exc:
        service = request.app.state.service
        failure = database_error(exc, service.retry_after_s)
        if failure is None:
            raise
        return _strata_error(request, failure, fmt)


def _strata_error(request: Request, exc: StrataError, fmt: str) -> Response:
    status = status_of(exc)
    retry = getattr(exc, "retry_after", request.app.state.service.retry_after_s)
    headers = {"Retry-After": str(retry)} if status in (429, 503) else None
    return error(status, exc.message, fmt, exc.hint, headers,
                 lang=request_language(request.scope) or DEFAULT)


def _service(row: tuple[Any, ...], lang: str) -> dict[str, Any]:
    code, families, types, subtypes, place = row[0], row[1:4], row[4:7], row[7:10], row[10]
    i = {"fr": 0, "nl": 1, "en": 2}[lang]
    name = types[i] if subtypes[i] in (None, "", types[i]) else f"{types[i]} - {subtypes[i]}"
    # the place tells apart the services of one type (on a pavement, on a cycle path...)
    where = place_names().get(place, {}).get(lang, place) if place else None
    return {"service_code": str(code),
            "service_name": f"{name} ({where})" if where else name,
            "description": f"{families[i]} / {types[i]} / {subtypes[i]}" +
                           (f" ({where})" if where else ""),
            "metadata": False, "type": "realtime", "keywords": families[i], "group": families[i]}


SERVICE_SQL = ("SELECT category_id, family_fr, family_nl, family_en, type_fr, type_nl, type_en, "
               "subtype_fr, subtype_nl, subtype_en, place_fr FROM fms_category")


SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
KEY_SERVICE = "API keys are given by the service desk (strata apikey create)"
CHANGESET = "2026-11-30T00:00:00Z"  # when this endpoint's interface last changed


async def discovery(request: Request) -> Response:
    """``GET /open311/discovery.{format}``: where the GeoReport v2 endpoint is and what it
    speaks (the spec's service discovery)."""
    fmt = request.path_params.get("format", "json")
    if fmt not in FORMATS:
        return error(404, f"format .{fmt} is not offered", "json", "use .json or .xml")
    base = request.app.state.service.public_url()
    lang = language(request)
    endpoint = {"specification": SPECIFICATION, "url": f"{base}/open311/v2",
                "changeset": CHANGESET, "type": "production",
                "formats": ["application/json", "text/xml"]}
    doc = {"changeset": CHANGESET, "contact": f"{base}/ (Strata, Brussels)",
           "key_service": translate(KEY_SERVICE, lang) or KEY_SERVICE,
           "endpoints": [endpoint]}
    if fmt == "json":
        return render(doc, fmt, "discovery", "discovery", lang=lang)
    top = ET.Element("discovery")
    for name in ("changeset", "contact", "key_service"):
        ET.SubElement(top, name).text = xml_text(doc[name])
    el = ET.SubElement(ET.SubElement(top, "endpoints"), "endpoint")
    for name in ("specification", "url", "changeset", "type"):
        ET.SubElement(el, name).text = xml_text(endpoint[name])
    formats = ET.SubElement(el, "formats")
    for mt in endpoint["formats"]:
        ET.SubElement(formats, "format").text = mt
    return Response(ET.tostring(top, encoding="utf-8", xml_declaration=True),
                    media_type=FORMATS["xml"])


async def services(request: Request) -> Response:
    """``GET services.{format}``: every category, named in the negotiated language."""
    def handler(request: Request, fmt: str) -> Response:
        lang = language(request)
        with db(request) as conn:
            rows = conn.execute(SERVICE_SQL + " ORDER BY category_id").fetchall()
        return render([_service(r, lang) for r in rows], fmt, "services", "service", lang=lang)
    return await _answer(request, handler)


def _code(value: Any) -> int:
    text = str(value)  # ASCII digits only ("١" and " 1 " are no code)
    code = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else -1
    if not 0 <= code < 2**31:
        raise InvalidInput(f"service_code {value!r} is not a service code",
                           hint="the codes are listed at /open311/v2/services.json")
    return code


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
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InvalidInput(f"{name}={value!r} is not a number",
                           hint="give lat and long in WGS 84 degrees, e.g. lat=50.8467&"
                                "long=4.3525")
    return number


# the longest value each field of a report may hold (the spec: a description of 4,000
# characters at most); other fields of the spec (attribute[...], jurisdiction_id) are ignored
FIELDS = {"api_key": 200, "service_code": 20, "lat": 40, "long": 40, "address_string": 250,
          "description": 4000, "media_url": 2048, "email": 254, "first_name": 100,
          "last_name": 100, "phone": 50, "device_id": 200, "account_id": 200,
          "address_id": 200, "jurisdiction_id": 200}
NUMBER_FIELDS = {"lat", "long", "service_code"}
QUERY_FIELDS = {"service_request_id", "service_code", "status", "start_date", "end_date",
                "bbox", "page", "page_size", "lang"}
# a form's types (curl sends none with --data-binary; a form is what the spec describes)
FORM_TYPES = ("application/x-www-form-urlencoded", "")


async def read_report(request: Request) -> dict[str, Any]:
    """The fields of a report: a form (``application/x-www-form-urlencoded``, decoded as
    UTF-8 as the spec says, or multipart) or a JSON object; each a string (numbers too for
    lat, long, service_code), without NUL, within its length."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    hint = "send the report as a form (field=value&...) or a JSON object, in UTF-8"
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            form: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("the body is not valid JSON", hint=hint) from None
        if not isinstance(form, dict):
            raise InvalidInput("the body must be a JSON object", hint=hint)
    elif ctype == "multipart/form-data":
        try:
            form = _once((await request.form()).multi_items())
        except (MultiPartException, HTTPException):  # Starlette's 400 for a bad form
            raise InvalidInput("the body is not a multipart form that can be read",
                               hint=hint) from None
    elif ctype in FORM_TYPES:
        try:
            form = _once(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True,
                                                encoding="utf-8", errors="strict"))
        except UnicodeDecodeError:
            raise InvalidInput("the form is not UTF-8", hint=hint) from None
    else:
        raise UnsupportedMediaType(f"a report is not read from a body of type {ctype}",
                                   hint="send it as application/x-www-form-urlencoded, "
                                        "multipart/form-data or application/json")
    for name, limit in FIELDS.items():
        value = form.get(name)
        if value is None:
            continue
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if not isinstance(value, str) and not (numeric and name in NUMBER_FIELDS):
            raise InvalidInput(f"{name} must be a string, not {type(value).__name__}",
                               hint=f'for example "{name}": "..."')
        text = str(value)
        if unstorable(text):
            raise InvalidInput(f"{name} holds a NUL character or half of a UTF-16 pair",
                               hint="remove it")
        if len(text) > limit:
            raise InvalidInput(f"{name} has {len(text):,} characters, more than {limit:,}",
                               hint=f"shorten {name} to {limit:,} characters")
    media = form.get("media_url")
    if media and not _web_address(str(media)):
        raise InvalidInput("media_url must be an http or https address",
                           hint="for example media_url=https://example.org/photo.jpg")
    return {k: form.get(k) for k in FIELDS}


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The fields of a form or a query, each of the spec's given once (which of two
    service codes was meant?)."""
    names = [name for name, _ in pairs]
    twice = sorted({n for n in names if names.count(n) > 1} & (set(FIELDS) | QUERY_FIELDS))
    if twice:
        raise InvalidInput(f"given more than once: {', '.join(twice)}",
                           hint="give each of them once (a list of ids or codes is "
                                "comma-separated)")
    return dict(pairs)


def _web_address(text: str) -> bool:
    """Whether ``text`` is an absolute http(s) address (a javascript: or data: one would
    run or show something else wherever a report's picture is linked)."""
    try:
        parts = urllib.parse.urlsplit(text.strip())
    except ValueError:  # an unbalanced [ in the host
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


async def post_request(request: Request) -> Response:
    """``POST requests.{format}``: needs ``api_key``; lat/long or address_string. Wrong keys
    from one address are limited (``failed_key_limit`` a minute, then 429)."""
    fmt = request.path_params.get("format", "json")
    try:
        form = await read_report(request)
    except StrataError as exc:
        return _strata_error(request, exc, fmt if fmt in FORMATS else "json")

    def handler(request: Request, fmt: str) -> Response:
        state = request.app.state
        if state.responsibility is None:
            raise Unavailable("reports need the Brussels layers, which this catalogue lacks",
                              hint="serve the shipped catalogue (config/layers.yml)")
        address = request.client.host if request.client else "unknown"
        limit = state.service.failed_key_limit
        with state.writer_pool.connection() as conn:
            wait = key_wait(conn, address, limit)
            if wait:
                raise TooManyRequests("too many wrong API keys from this address", wait)
            if form.get("api_key") in (None, ""):
                key_failed(conn, address)
                raise Unauthorized("an api_key is needed to report",
                                   hint="ask the service desk for a key")
            client = key_name(conn, form.get("api_key"))
            if client is None:
                key_failed(conn, address)
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


def _list(value: str | None, high: int, name: str) -> list[int] | None:
    """A comma-separated list of ids within 0..high (None when absent)."""
    if not value:
        return None
    try:
        ids = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        ids = [-1]
    if not all(0 <= i <= high for i in ids):
        raise InvalidInput(f"{name} {value!r} is not a comma-separated list of ids",
                           hint=f"for example {name}=12,13")
    return ids


async def get_requests(request: Request) -> Response:
    """``GET requests.{format}``: service_request_id, service_code, status, start_date,
    end_date (90 days by default), bbox (lon/lat), page and page_size."""
    def handler(request: Request, fmt: str) -> Response:
        q = request.query_params
        _once(q.multi_items())  # (other parameters of the spec, jurisdiction_id..., are let be)
        ids = _list(q.get("service_request_id"), BIGINT, "service_request_id")
        status = q.get("status")
        if status not in (None, "open", "closed"):
            raise InvalidInput(f"status {status!r} is not open or closed",
                               hint="status=open or status=closed")
        start = p.optional_date_param(q.get("start_date"), "start_date")
        end = p.optional_date_param(q.get("end_date"), "end_date")
        if start and end and start > end:
            raise InvalidInput("start_date is after end_date",
                               hint="give the earlier date as start_date")
        if ids is None and start is None:
            try:
                start = (end or dt.datetime.now(dt.UTC)) - dt.timedelta(days=DEFAULT_DAYS)
            except OverflowError:  # an end_date in the first 90 days of year 1
                start = dt.datetime.min.replace(tzinfo=dt.UTC)
        bbox = None
        if q.get("bbox"):
            try:
                b = [float(v) for v in q["bbox"].split(",")]
            except ValueError:
                b = []
            if len(b) != 4 or b[0] > b[2] or b[1] > b[3] or not all(
                    -180 <= v <= 180 for v in b[0::2]) or not all(-90 <= v <= 90 for v in b[1::2]):
                raise InvalidInput(f"bbox {q['bbox']!r} is not minlon,minlat,maxlon,maxlat",
                                   hint="for example bbox=4.34,50.84,4.36,50.85")
            bbox = (b[0], b[1], b[2], b[3])
        try:
            page = int(q.get("page", "1"))
            size = int(q.get("page_size", str(MAX_REQUESTS)))
        except ValueError:
            raise InvalidInput("page and page_size are whole numbers",
                               hint="for example page=2&page_size=100") from None
        if not 1 <= page <= 10**6 or not 1 <= size <= MAX_REQUESTS:
            raise InvalidInput(f"page is within 1..1000000; page_size within 1..{MAX_REQUESTS}",
                               hint="for example page=2&page_size=100")
        with db(request) as conn:
            rows = incidents(conn, ids=ids, service_codes=_list(q.get("service_code"), INT,
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
        rid = _list(request.path_params["rid"], BIGINT, "service_request_id")
        with db(request) as conn:
            rows = incidents(conn, ids=rid, limit=1)
        if not rows:
            raise NotFound(f"service request {request.path_params['rid']} does not exist",
                           hint="list the requests at /open311/v2/requests.json")
        lang = language(request)
        return render([_request_row(rows[0], lang)], fmt, "service_requests", "request",
                      lang=lang)
    return await _answer(request, handler)
