# SPDX-License-Identifier: EUPL-1.2
"""``/collections/catalogue/items``: OGC API Records as JSON, in the asked language."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from geo.errors import NotFound
from services import ogc_params as p
from services.records import localised, search
from services.web import language, url, wants_html

CATALOGUE = "catalogue"


def _records(request: Request) -> list[dict]:
    state = request.app.state
    if not hasattr(state, "records"):
        state.records = json.loads(state.records_path.read_text())
    return state.records  # type: ignore[no-any-return]


async def records(request: Request) -> Response:
    """Search the catalogue: q, bbox, datetime, limit, offset."""
    if wants_html(request):
        from pygeoapi import starlette_app

        return await starlette_app.collection_items(request, CATALOGUE)
    q = request.query_params
    p.check_known(q, {"f", "q", "bbox", "datetime", "limit", "offset", "lang"})
    found = search(_records(request), q.get("q"), p.bbox_param(q), q.get("datetime"))
    limit = p.int_param(q, "limit", 10, 1, 1000)
    offset = p.int_param(q, "offset", 0, 0, 10**6)
    lang = language(request)
    page = [localised(r, lang) for r in found[offset:offset + limit]]
    path = f"/collections/{CATALOGUE}/items"
    links = [{"rel": "self", "type": "application/geo+json", "href": url(request, path, **q)}]
    if offset + limit < len(found):
        links.append({"rel": "next", "type": "application/geo+json",
                      "href": url(request, path, **{**q, "offset": offset + limit})})
    return JSONResponse({"type": "FeatureCollection", "numberMatched": len(found),
                         "numberReturned": len(page), "features": page, "links": links},
                        media_type="application/geo+json", headers={"Content-Language": lang})


async def record(request: Request) -> Response:
    """One record."""
    if wants_html(request):
        from pygeoapi import starlette_app

        return await starlette_app.collection_items(request, CATALOGUE,
                                                    request.path_params["item_id"])
    p.check_known(request.query_params, {"f", "lang"})
    lang = language(request)
    for r in _records(request):
        if r["id"] == request.path_params["item_id"]:
            body = localised(r, lang)
            body["links"] = [
                {"rel": "self", "type": "application/geo+json",
                 "href": url(request, f"/collections/{CATALOGUE}/items/{r['id']}")},
                {"rel": "collection", "type": "application/json",
                 "href": url(request, f"/collections/{CATALOGUE}")},
                *body["links"]]
            return JSONResponse(body, media_type="application/geo+json",
                                headers={"Content-Language": lang})
    raise NotFound(f"the catalogue has no record {request.path_params['item_id']!r}",
                       hint="list the records at /collections/catalogue/items")
