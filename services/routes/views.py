# SPDX-License-Identifier: EUPL-1.2
"""The collections served from views (reports, aggregates, links, the station series) answer
as the layers do: ``application/geo+json``, ``Link`` headers, ``crs``, ``bbox-crs``,
``datetime`` on the view's date (``VIEW_TIME``; an aggregate has none, and says so), property
equality, ``properties``, ``sortby``, ``skipGeometry`` and CQL2 ``filter`` on their
queryables. The queryables of every collection (layers and views) are Strata's too: an
``https`` JSON Schema whose ``$id`` is the URI linked, the geometry with its type, a layer's
lifespan. HTML pages stay pygeoapi's.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from geo.crs import CRS84
from geo.errors import InvalidInput, NotFound
from linking.view_pages import ViewQuery, ViewSpec, view_item, view_page, view_spec
from services import ogc_params as p
from services.pygeoapi_config import VIEW_BACKED
from services.web import (
    GEOJSON,
    NEGOTIATED,
    catalogue,
    db,
    language,
    link_header,
    url,
    wants_html,
)

ITEMS_PARAMS = {"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "properties",
                "sortby", "lang", "filter", "filter-lang", "filter-crs", "skipGeometry"}
ITEM_PARAMS = {"f", "crs", "lang"}
HTML_PARAMS = {"f", "limit", "offset", "bbox", "properties", "sortby", "lang", "skipGeometry",
               "datetime"}
QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SCHEMA = "https://json-schema.org/draft/2019-09/schema"
JSON_TYPES = {"text": "string", "integer": "integer", "double": "number",
              "boolean": "boolean", "json": "object"}
FORMATS = {"date": "date", "timestamp": "date-time"}
GEOMETRY_FORMATS = {"POINT": "geometry-point", "MULTIPOINT": "geometry-multipoint",
                    "LINESTRING": "geometry-linestring",
                    "MULTILINESTRING": "geometry-multilinestring",
                    "POLYGON": "geometry-polygon", "MULTIPOLYGON": "geometry-multipolygon"}


def spec_of(request: Request, conn: Any) -> ViewSpec:
    """The view behind the request's collection (its columns read once per process: the
    views are made when the store is prepared, before the app serves)."""
    cid = request.path_params["collection_id"]
    known: dict[str, ViewSpec] = request.app.state.view_specs  # the views are made at start
    if cid not in known:
        view, time_field = VIEW_BACKED[cid]
        known[cid] = view_spec(conn, cid, view, "id", time_field)
    spec = known[cid]
    if not spec.kinds:  # a store that serves no city has no views
        raise NotFound(f"collection {cid!r} is not served here",
                       hint="see the collections at /collections")
    return spec


def queryables_link(request: Request, cid: str) -> dict[str, str]:
    """The link to a collection's queryables (in items' bodies and Link headers)."""
    return {"rel": QUERYABLES, "type": "application/schema+json",
            "href": url(request, f"/collections/{cid}/queryables")}


def _names(q: Any, name: str, spec: ViewSpec, signed: bool = False) -> list[str] | None:
    """``properties=a,b`` (or ``sortby=+a,-b``, ``signed``): columns of the view."""
    value = q.get(name)
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if (n.lstrip("+-") if signed else n) not in spec.kinds]
    if unknown or not names:
        raise InvalidInput(f"{name}: {', '.join(unknown) or '(none)'} not in {spec.id}",
                           hint=f"choose among: {', '.join(spec.kinds)}")
    return names


def _checked(q: Any, spec: ViewSpec, offered: set[str], formats: tuple[str | None, ...]
             ) -> set[str]:
    """Refuse what the page does not take; the columns property equality may compare."""
    equality = {n for n, k in spec.kinds.items() if k != "json"}
    for name in q:
        if name in spec.kinds and name not in equality:
            raise InvalidInput(f"{name} cannot be compared for equality",
                               hint=f"use filter= with a CQL2 condition on {name}")
    p.check_known(q, offered - ({"datetime"} if spec.time_field is None else set())
                  | equality)
    if q.get("f") not in formats:
        raise InvalidInput(f"f={q.get('f')} is not offered here", hint="use f=json or f=html")
    return equality


def check_html(request: Request) -> None:
    """The parameters of a view's HTML page (pygeoapi's, over services/view_provider.py,
    which knows no crs nor filter): refused here when it would not use them."""
    q = request.query_params
    with db(request) as conn:
        spec = spec_of(request, conn)
    equality = _checked(q, spec, HTML_PARAMS, (None, "html"))
    p.int_param(q, "offset", 0, 0, 10**9)
    p.int_param(q, "limit", 10, 1, 10**9)
    p.bbox_param(q)
    p.bool_param(q, "skipGeometry")
    p.datetime_param(q.get("datetime"))
    _names(q, "properties", spec)
    _names(q, "sortby", spec, signed=True)
    for name in equality & set(q):
        p.typed_value(q[name], spec.kinds[name], name)


def _query(request: Request, spec: ViewSpec, limit: int) -> ViewQuery:
    q = request.query_params
    equality = _checked(q, spec, ITEMS_PARAMS, (None, "json", "geojson"))
    at, interval = p.datetime_param(q.get("datetime"))
    service = request.app.state.service
    sortby = [(n.lstrip("+-"), n.startswith("-"))
              for n in _names(q, "sortby", spec, signed=True) or []]
    return ViewQuery(
        crs=p.crs_param(q, "crs", CRS84), limit=limit,
        offset=p.int_param(q, "offset", 0, 0, 10**9),
        interval=(at, at) if at is not None else interval,
        bbox=p.bbox_param(q), bbox_crs=p.crs_param(q, "bbox-crs", CRS84),
        properties=_names(q, "properties", spec), sortby=sortby,
        filter=p.filter_param(q, spec.fields, service.max_filter_length,
                              service.max_filter_depth),
        equals={n: p.typed_value(q[n], spec.kinds[n], n) for n in q if n in equality},
        skip_geometry=p.bool_param(q, "skipGeometry"))


def items(request: Request, limit: int) -> Response:
    """``/collections/{view}/items``: a page of the view as GeoJSON."""
    q = request.query_params
    with db(request) as conn:
        spec = spec_of(request, conn)
        vq = _query(request, spec, limit)
        text, returned, matched = view_page(conn, spec, vq)
    path = f"/collections/{spec.id}/items"
    params = {k: v for k, v in q.items() if k not in ("offset", "f")}
    if "limit" in params:
        params["limit"] = str(limit)
    links = [{"rel": "self", "type": GEOJSON, "href": url(request, path, **{**q, "f": "json"})},
             {"rel": "alternate", "type": "text/html",
              "href": url(request, path, **params, offset=vq.offset or None, f="html")},
             {"rel": "collection", "type": "application/json",
              "href": url(request, f"/collections/{spec.id}")},
             queryables_link(request, spec.id)]
    if vq.offset + returned < matched:
        links.append({"rel": "next", "type": GEOJSON, "href": url(
            request, path, **params, offset=vq.offset + limit, f="json")})
    if vq.offset > 0:
        links.append({"rel": "prev", "type": GEOJSON, "href": url(
            request, path, **params, offset=max(0, vq.offset - limit), f="json")})
    head = {"type": "FeatureCollection", "numberMatched": matched, "numberReturned": returned,
            "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": links}
    body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [' + text + "]}"
    return Response(body, media_type=GEOJSON, headers={
        "Content-Crs": f"<{vq.crs.uri}>", "Link": link_header(links)})


def item(request: Request) -> Response:
    """``/collections/{view}/items/{id}``: one row of the view."""
    q = request.query_params
    p.check_known(q, ITEM_PARAMS)
    if q.get("f") not in (None, "json", "geojson"):
        raise InvalidInput(f"f={q.get('f')} is not offered here", hint="use f=json or f=html")
    crs = p.crs_param(q, "crs", CRS84)
    key = request.path_params["item_id"]
    with db(request) as conn:
        spec = spec_of(request, conn)
        feature = view_item(conn, spec, key, crs)
    if feature is None:
        raise NotFound(f"{spec.id} has no feature {key!r}", hint="list the features at .../items")
    path = f"/collections/{spec.id}/items/{key}"
    links = [{"rel": "self", "type": GEOJSON, "href": url(request, path, **q)},
             {"rel": "alternate", "type": "text/html", "href": url(request, path, f="html")},
             {"rel": "collection", "type": "application/json",
              "href": url(request, f"/collections/{spec.id}")}]
    body = feature[:-1] + ', "links": ' + json.dumps(links) + "}"
    return Response(body, media_type=GEOJSON, headers={
        "Content-Crs": f"<{crs.uri}>", "Link": link_header(links)})


def queryables(request: Request) -> Response:
    """``/collections/{id}/queryables`` (JSON) of a layer or a view: what ``filter`` and the
    property parameters accept."""
    cid = request.path_params["collection_id"]
    q = request.query_params
    p.check_known(q, {"f", "lang", "profile"})
    if q.get("profile") not in (None, "actual-domain", "valid-domain"):
        raise InvalidInput(f"profile={q.get('profile')} is not offered here",
                           hint="use profile=valid-domain or actual-domain (the same here)")
    if q.get("f") not in (None, "json"):
        raise InvalidInput(f"f={q.get('f')} is not offered here", hint="use f=json or f=html")
    cat = catalogue(request)
    layers = cat.layers
    lang = language(request)
    props: dict[str, Any] = {}
    title = cid
    if cid in layers:
        spec = layers[cid]
        title = spec.title.get(lang)
        geometry = GEOMETRY_FORMATS.get(spec.geometry_type.upper(), "geometry-any")
        kinds: dict[str, str] = {
            spec.key.name: spec.key.type, **spec.attributes,
            "beginLifespanVersion": "timestamp", "endLifespanVersion": "timestamp"}
        key = spec.key.name
    elif cid in VIEW_BACKED:
        with db(request) as conn:
            vspec = spec_of(request, conn)
        geometry = GEOMETRY_FORMATS.get(str(vspec.geometry_type).upper(), "geometry-any")
        kinds, key = vspec.kinds, vspec.key
    else:
        raise NotFound(f"collection {cid!r} has no queryables here",
                       hint="see the collections at /collections")
    props["geometry"] = {"format": geometry, "x-ogc-role": "primary-geometry"}
    for name, kind in kinds.items():
        entry: dict[str, Any] = {"title": cat.attribute_title(name, lang),
                                 "type": JSON_TYPES.get(kind, "string")}
        if kind in FORMATS:
            entry["format"] = FORMATS[kind]
        if name == key:
            entry["x-ogc-role"] = "id"
        props[name] = entry
    body = {"$schema": SCHEMA, "$id": url(request, f"/collections/{cid}/queryables"),
            "type": "object", "title": title, "properties": props,
            "additionalProperties": False}
    return JSONResponse(body, media_type="application/schema+json",
                        headers={"Content-Language": lang, "Vary": NEGOTIATED})


async def queryables_route(request: Request) -> Response:
    """``/collections/{id}/queryables``: Strata's for a layer or a view (JSON); HTML, and the
    records catalogue's, pygeoapi's."""
    from pygeoapi import starlette_app
    from starlette.concurrency import run_in_threadpool

    cid = request.path_params["collection_id"]
    if wants_html(request) or (cid not in catalogue(request).layers and cid not in VIEW_BACKED):
        return await starlette_app.collection_queryables(request, cid)
    return await run_in_threadpool(queryables, request)
