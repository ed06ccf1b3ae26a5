# SPDX-License-Identifier: EUPL-1.2
"""``/collections/{id}/editions``: the dated editions of a layer with what each changed
(features added / modified / deleted / unchanged), as ``strata layers --json`` lists them,
with the links a planner follows from an edition: the map of its date, its download, the
changes since the edition before.

The viewer's date slider snaps to these dates (``services/static/viewer/``). A derived layer
(``administrativeunit``) lists the editions of the layers it is made of, each naming its
layer: its own map changes on their dates.

Examples
--------
>>> _edition_links("http://localhost:5000", "municipalities", "2021-02-05", "2015-07-20")[1]["href"]
'http://localhost:5000/collections/municipalities/download?date=2021-02-05&f=gpkg'
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from geo.errors import InvalidInput
from services import ogc_params as p
from services.web import base_url, db, language, layer
from versioning.reading import editions as recorded_editions

COUNTS = ("n_features", "n_added", "n_modified", "n_deleted", "n_unchanged")


def _edition_links(base: str, layer_id: str, date: str, before: str | None
                   ) -> list[dict[str, str]]:
    """Links of one edition: its map, its download, its changes since ``before``."""
    def path(route: str, **params: str) -> str:
        return f"{base}/collections/{layer_id}/{route}?{urlencode(params)}"

    links = [
        {"rel": "related", "type": "text/html", "title": "map", "href":
         f"{base}/map?{urlencode({'layers': layer_id, 'date': date})}"},
        {"rel": "enclosure", "type": "application/geopackage+sqlite3", "title": "download",
         "href": path("download", date=date, f="gpkg")},
    ]
    if before is not None:
        links.append({"rel": "related", "type": "application/json", "title": "changes",
                      "href": path("changes", **{"from": before, "to": date, "f": "json"})})
    return links


async def editions(request: Request) -> Response:
    """``/collections/{id}/editions?f=json``: the layer's editions, oldest first."""
    return await run_in_threadpool(_editions, request)


def _editions(request: Request) -> Response:
    spec = layer(request)
    q = request.query_params
    p.check_known(q, {"f", "lang"})
    if q.get("f", "json") != "json":
        raise InvalidInput(f"f={q['f']} is not offered here", hint="use f=json")
    lang = language(request)
    base = base_url(request)
    with db(request) as conn:
        found: list[dict[str, Any]] = []
        for source in spec.edition_layers:
            found.extend(recorded_editions(conn, source))
    found.sort(key=lambda e: (e["edition_date"], e["layer_id"]))
    out = []
    previous: dict[str, str] = {}  # per source layer, the date of its edition before
    for e in found:
        date = e["edition_date"].isoformat()
        out.append({
            "layer": e["layer_id"], "date": date, "valid_from": e["valid_from"].isoformat(),
            "source": e["source_name"], "file": e["source_file"],
            **{k.removeprefix("n_"): e[k] for k in COUNTS},
            "links": _edition_links(base, e["layer_id"], date, previous.get(e["layer_id"]))})
        previous[e["layer_id"]] = date
    body = {"id": spec.id, "title": spec.title.get(lang), "editions": out,
            "links": [{"rel": "collection", "type": "application/json",
                       "href": f"{base}/collections/{spec.id}"}]}
    return JSONResponse(body, headers={"Content-Language": lang,
                                       "Cache-Control": "public, max-age=60"})
