# SPDX-License-Identifier: EUPL-1.2
"""OGC API Features items, the map of any date (OGC "Versioned Features" draft).

GeoJSON is concatenated by PostgreSQL; Python only frames it. HTML goes to pygeoapi.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from geo.errors import InvalidInput, NotFound
from services import ogc_params as p
from services.http_errors import Gone
from services.pygeoapi_config import VIEW_BACKED
from services.routes import views
from services.web import (
    GEOJSON,
    cache_headers,
    db,
    http_date,
    language,
    layer,
    link_header,
    url,
    wants_html,
)
from versioning.instants import parse_instant
from versioning.pages import CRS84, PageQuery, features_alive, page, timeline, versions_of

ITEMS_PARAMS = {"f", "limit", "offset", "after", "bbox", "bbox-crs", "crs", "datetime",
                "properties", "sortby", "lang", "filter", "filter-lang", "filter-crs",
                "skipGeometry", "profile"}
PROFILE_URI, PROFILES = p.PROFILE_URI, p.PROFILES
ITEM_PARAMS = {"f", "crs", "datetime", "lang"}


def _pygeoapi_serves(request: Request) -> bool:
    """HTML pages, and collections that are not layers (the records catalogue), are
    pygeoapi's."""
    return wants_html(request) or (
        request.path_params["collection_id"] not in request.app.state.catalogue.layers)


async def _dispatch(request: Request, handler: Callable[[Request], Response]) -> Response:
    """pygeoapi's page (its links as they work here), or ``handler`` in the thread pool (it
    talks to the database)."""
    if _pygeoapi_serves(request):
        from pygeoapi import starlette_app

        from services.routes.inspire import amend_json, true_links

        response = await starlette_app.collection_items(request)
        return amend_json(response, lambda body: body.update(
            links=true_links(body.get("links", []))) if isinstance(body, dict) else None)
    return await run_in_threadpool(handler, request)


def _limit(q: QueryParams, max_items: int) -> int:
    """``limit``: a whole number from 1; above the maximum, the maximum is served (OGC API
    Features, /req/core/fc-limit-response-1: no error), with the next link."""
    value = q.get("limit")
    hint = f"give limit between 1 and {max_items} (more is served as {max_items})"
    try:  # ASCII digits (int() alone takes "1_0" or "１")
        if value is not None and not p.WHOLE.fullmatch(value):
            raise ValueError(value)
        number = 10 if value is None else int(value)
    except ValueError:
        raise InvalidInput(f"limit {value!r} is not a whole number", hint=hint) from None
    if number < 1:
        raise InvalidInput(f"limit {number} is out of range", hint=hint)
    return min(number, max_items)


async def items(request: Request) -> Response:
    """``/collections/{id}/items``: JSON here (a layer's, or a view's:
    services/routes/views.py), HTML by pygeoapi."""
    if request.path_params["collection_id"] in VIEW_BACKED:
        max_items = request.app.state.service.max_items
        if wants_html(request):
            await run_in_threadpool(views.check_html, request)
        else:
            return await run_in_threadpool(views.items, request,
                                           _limit(request.query_params, max_items))
    return await _dispatch(request, _items)


def _items(request: Request) -> Response:
    spec = layer(request)
    q = request.query_params
    for name in q:
        if name in spec.attributes and name not in p.equality_names(spec):
            raise InvalidInput(f"{name} cannot be compared for equality",
                               hint=f"use filter= with a CQL2 condition on {name}")
    p.check_known(q, ITEMS_PARAMS | p.equality_names(spec))
    if q.get("f") not in (None, "json", "geojson"):
        raise InvalidInput(f"f={q.get('f')} is not offered here", hint="use f=json or f=html")
    at, interval = p.datetime_param(q.get("datetime"))
    crs = p.crs_param(q, "crs", CRS84)
    service = request.app.state.service
    max_items = service.max_items
    pq = PageQuery(at=at, interval=interval, bbox=p.bbox_param(q),
                   bbox_crs=p.crs_param(q, "bbox-crs", CRS84), crs=crs,
                   limit=_limit(q, max_items),
                   offset=p.int_param(q, "offset", 0, 0, 10**9),
                   after=p.key_value(spec, q["after"]) if "after" in q else None,
                   properties=p.properties_param(q, spec), sortby=p.sortby_param(q, spec),
                   filter=p.filter_param(q, spec, service.max_filter_length,
                                         service.max_filter_depth), equals=p.equals_param(q, spec),
                   skip_geometry=p.bool_param(q, "skipGeometry"),
                   unique_ids=_profile(q) == PROFILES[0])
    if "after" in q and pq.after is None:
        raise InvalidInput(f"after={q['after']!r} is not a key of {spec.id}",
                           hint="follow the next link of a page, or use offset=")
    if "after" in q and (pq.sortby or pq.interval is not None):  # it would be ignored
        raise InvalidInput("after= pages features in key order at an instant, not with "
                           "sortby or a datetime interval",
                           hint="use offset= there (or follow the next link of a page)")
    path = f"/collections/{spec.id}/items"
    with db(request) as conn:
        result = page(conn, spec, pq)
        head = {"type": "FeatureCollection", "numberReturned": result.returned,
                "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        if pq.interval is None and pq.bbox is None and pq.filter is None and not pq.equals:
            # the map of an instant: the edition record knows its size, no COUNT needed
            head["numberMatched"] = features_alive(conn, spec, pq.at or dt.datetime.now(dt.UTC))
        params = {k: v for k, v in q.items() if k not in ("offset", "after", "f")}
        if "limit" in params:  # the limit served, when more was asked
            params["limit"] = str(pq.limit)
        links = [
            {"rel": "self", "type": GEOJSON, "href": url(request, path, **{**q, "f": "json"})},
            {"rel": "alternate", "type": "text/html", "href": url(request, path, **params,
                                                                  f="html")},
            {"rel": "collection", "type": "application/json",
             "href": url(request, f"/collections/{spec.id}")},
            views.queryables_link(request, spec.id),
        ]
        if result.returned == pq.limit:
            nxt = ({"after": result.last_key} if not pq.sortby and pq.interval is None
                   else {"offset": pq.offset + pq.limit})
            links.append({"rel": "next", "type": GEOJSON,
                          "href": url(request, path, **params, **nxt, f="json")})
        head["links"] = links
        body = json.dumps(head, ensure_ascii=False)
        body = body[:-1] + ', "features": [' + result.features + "]}"
        links_text = link_header(links)
        if pq.interval is not None:  # several versions of a feature: the profile answered
            links_text += f', <{PROFILE_URI}{_profile(q)}>; rel="profile"'
        response = Response(body, media_type=GEOJSON, headers={
            "Content-Crs": f"<{crs.uri}>", "Link": links_text})
        end = pq.interval[1] if pq.interval else None
        if pq.interval and end is None:
            return cache_headers(request, response, conn, spec, None)
        return cache_headers(request, response, conn, spec, pq.at, end)


def _profile(q: QueryParams) -> str:
    """The Versioned Features profile asked (by name or URI); versions as features with
    unique ids (key@start) by default."""
    text = q.get("profile", PROFILES[0]).strip()
    name = text.removeprefix(PROFILE_URI)
    if name not in PROFILES:
        raise InvalidInput(
            f"profile {text!r} is not offered",
            hint=f"use {PROFILES[0]} or {PROFILES[1]} (several versions of a feature, with "
                 "a datetime interval, as features whose ids are unique or are the key); "
                 "features-with-time-slices is not offered")
    return name


async def item(request: Request) -> Response:
    """``/collections/{id}/items/{key}``: the feature now, or at ``datetime`` (a view's row:
    services/routes/views.py)."""
    if request.path_params["collection_id"] in VIEW_BACKED and not wants_html(request):
        return await run_in_threadpool(views.item, request)
    return await _dispatch(request, _item)


def _item(request: Request) -> Response:
    spec = layer(request)
    q = request.query_params
    p.check_known(q, ITEM_PARAMS)
    if q.get("f") not in (None, "json", "geojson"):
        raise InvalidInput(f"f={q.get('f')} is not offered here", hint="use f=json or f=html")
    at, interval = p.datetime_param(q.get("datetime"))
    if interval is not None:
        raise InvalidInput("datetime must be an instant for a single feature",
                           hint="list its versions at .../items/{id}/versions")
    crs = p.crs_param(q, "crs", CRS84)
    raw_key, version_at = _version_id(request.path_params["item_id"])
    if version_at is not None:  # a version's own id (key@instant, as /versions names them)
        if "datetime" in q:  # two instants: which one?
            raise InvalidInput(f"{request.path_params['item_id']} names its instant: "
                               "datetime is one too many",
                               hint="leave datetime out, or ask .../items/{key}?datetime=")
        at = version_at
    key = p.key_value(spec, raw_key)
    with db(request) as conn:
        versions = [] if key is None else timeline(conn, spec, key, at, crs)
        alive = [i for i, v in enumerate(versions) if v[0] is not None]
        if not alive:
            if versions:
                when = at.isoformat() if at else "now"
                history = url(request, _versions_path(spec.id, raw_key))
                raise Gone(f"{spec.id} {raw_key} existed, but not at {when}",
                           hint=f"its versions: {history}",
                           links=_gone_links(request, spec.id, raw_key, versions, history))
            raise NotFound(f"{spec.id} has no feature {raw_key!r}",
                           hint="list the features at .../items")
        i = alive[0]
        feature, since, _ = versions[i]
        assert feature is not None
        if version_at is not None and since != version_at:
            raise NotFound(f"no version of {spec.id} {raw_key} starts at {_iso(version_at)}",
                           hint=f"its versions: {url(request, _versions_path(spec.id, raw_key))}")
        starts = [v[1] for v in versions]
        base = f"/collections/{spec.id}/items/{quote(raw_key, safe='')}"
        history = url(request, _versions_path(spec.id, raw_key))
        links = [
            {"rel": "self", "type": GEOJSON,
             "href": url(request, f"/collections/{spec.id}/items/"
                                  f"{quote(request.path_params['item_id'], safe='@:')}", **q)},
            {"rel": "collection", "type": "application/json",
             "href": url(request, f"/collections/{spec.id}")},
            # OGC Versioned Features (and Memento): the version's own URI, the feature's
            # (original, latest), its history (a Time Map)
            {"rel": "canonical", "type": GEOJSON, "href": url(request, f"{base}@{_iso(since)}")},
            {"rel": "original", "type": GEOJSON, "href": url(request, base)},
            {"rel": "latest-version", "type": GEOJSON, "href": url(request, base)},
            {"rel": "version-history", "type": GEOJSON, "href": history},
            {"rel": "timemap", "type": GEOJSON, "href": history},
        ]
        if i > 0:
            links.append({"rel": "predecessor-version", "type": GEOJSON,
                          "href": url(request, base, datetime=_iso(starts[i - 1]))})
        if i + 1 < len(starts):
            links.append({"rel": "successor-version", "type": GEOJSON,
                          "href": url(request, base, datetime=_iso(starts[i + 1]))})
        body = feature[:-1] + ', "links": ' + json.dumps(links) + "}"
        response = Response(body, media_type=GEOJSON, headers={
            "Content-Crs": f"<{crs.uri}>", "Memento-Datetime": http_date(since),
            "Link": link_header(links)})
        return cache_headers(request, response, conn, spec, at or None)


def _gone_links(request: Request, layer_id: str, raw_key: str,
                versions: list[tuple[str | None, dt.datetime, dt.datetime | None]],
                history: str) -> list[dict[str, str]]:
    """The links of a 410 (OGC Versioned Features): the latest version (its own version id),
    the feature's history (a Time Map, under both its names), the feature itself."""
    base = f"/collections/{layer_id}/items/{quote(raw_key, safe='')}"
    return [{"rel": "latest-version", "type": GEOJSON,
             "href": url(request, f"{base}@{_iso(versions[-1][1])}")},
            {"rel": "timemap", "type": GEOJSON, "href": history},
            {"rel": "version-history", "type": GEOJSON, "href": history},
            {"rel": "original", "type": GEOJSON, "href": url(request, base)}]


def versions(request: Request) -> Response:
    """``/collections/{id}/items/{key}/versions``: every version, oldest first."""
    spec = layer(request)
    q = request.query_params
    p.check_known(q, {"f", "crs", "lang"})
    crs = p.crs_param(q, "crs", CRS84)
    raw_key = request.path_params["item_id"]
    key = p.key_value(spec, raw_key)
    with db(request) as conn:
        found = [] if key is None else versions_of(conn, spec, key, crs)
        if not found:
            raise NotFound(f"{spec.id} has no feature {raw_key!r}",
                           hint="list the features at .../items")
        base = f"/collections/{spec.id}/items/{quote(raw_key, safe='')}"
        # a Time Map (Memento): the original, and each version (memento) with its datetime
        links = [{"rel": "self", "type": GEOJSON,
                  "href": url(request, _versions_path(spec.id, raw_key))},
                 {"rel": "original", "type": GEOJSON, "href": url(request, base)},
                 {"rel": "first", "type": GEOJSON,
                  "href": url(request, f"{base}@{_iso(found[0][1])}")},
                 {"rel": "last", "type": GEOJSON,
                  "href": url(request, f"{base}@{_iso(found[-1][1])}")},
                 {"rel": "latest-version", "type": GEOJSON,
                  "href": url(request, f"{base}@{_iso(found[-1][1])}")},
                 # each version, its datetime as Memento-Datetime says it (an HTTP-date)
                 *({"rel": "memento", "type": GEOJSON, "datetime": http_date(v[1]),
                    "href": url(request, f"{base}@{_iso(v[1])}")} for v in found)]
        head = {"type": "FeatureCollection", "numberReturned": len(found),
                "numberMatched": len(found), "links": links}
        body = json.dumps(head)[:-1] + ', "features": [' + ",".join(v[0] for v in found) + "]}"
        response = Response(body, media_type=GEOJSON, headers={
            "Content-Crs": f"<{crs.uri}>", "Link": link_header(links)})
        response.headers["Content-Language"] = language(request)
        return response


def _version_id(text: str) -> tuple[str, dt.datetime | None]:
    """``7400@2015-07-19T22:00:00Z`` -> ("7400", that instant); a plain key -> (key, None)."""
    key, sep, stamp = text.rpartition("@")
    if not sep:
        return text, None
    try:
        return key, parse_instant(stamp)
    except InvalidInput:
        return text, None


def _versions_path(layer_id: str, key: str) -> str:
    """A feature's Time Map (its key as a path segment, percent-encoded)."""
    return f"/collections/{layer_id}/items/{quote(key, safe='')}/versions"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
