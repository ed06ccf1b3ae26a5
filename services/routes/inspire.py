# SPDX-License-Identifier: EUPL-1.2
"""INSPIRE pieces pygeoapi lacks: metadata records per data set, and the links of the
``/collections`` document (licence, metadata, bulk download of the whole map); the
conformance classes and the links of Strata's own routes (vector tiles) on pygeoapi's
landing page, conformance and collections documents."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from geo.errors import InvalidInput
from services import metadata
from services.ogc_params import check_known
from services.pygeoapi_config import inspire_links
from services.routes import coverages, dashboard, datasets, tiles, viewer
from services.web import base_url, db, language, layer, wants_html


def collection_metadata(request: Request) -> Response:
    """``/collections/{id}/metadata?f=xml|html``: the data set's ISO 19139 record, or a page."""
    spec = layer(request)
    bbox, first, last = request.app.state.extents.get(spec.id, (None, None, None))
    return _metadata(request, metadata.of_layer(spec, base_url(request), bbox, first, last))


def map_metadata(request: Request) -> Response:
    """``/metadata?f=xml|html``: the record of the whole map, a data set series."""
    return _metadata(request, metadata.of_map(base_url(request), request.app.state.extents))


def _metadata(request: Request, described: metadata.Described) -> Response:
    check_known(request.query_params, {"f", "lang"})
    f = request.query_params.get("f", "xml")
    if f == "xml":
        return Response(metadata.iso19139(described), media_type="application/xml")
    if f == "html":
        lang = language(request)
        return HTMLResponse(metadata.html_page(described, lang),
                            headers={"Content-Language": lang})
    raise InvalidInput(f"f={f} is not offered", hint="use f=xml (ISO 19139) or f=html")


CONFORMANCE = [  # what Strata's own routes add to pygeoapi's declaration
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *tiles.CONFORMANCE,
]


async def conformance(request: Request) -> Response:
    """``/conformance``: pygeoapi's declaration plus the classes Strata implements."""
    from pygeoapi import starlette_app

    response = await starlette_app.conformance(request)
    # a data set's own API (/inspire/{dataset}) serves its collection only: not the
    # processes, the records catalogue, EDR, nor the map tileset of the root
    beyond = DATASET_LACKS if datasets.dataset_of(request) else ()
    return amend_json(response, lambda body: body.update(conformsTo=sorted(
        c for c in (set(body.get("conformsTo", [])) | set(CONFORMANCE)) - NOT_IMPLEMENTED
        if not any(part in c for part in beyond))))


DATASET_LACKS = ("/ogcapi-processes-", "/ogcapi-records-", "/ogcapi-edr-",
                 "/ogcapi-tiles-1/1.0/conf/dataset-tilesets")


# classes pygeoapi declares for features Strata does not offer: no layer is editable over
# HTTP (editions are imported), processes run synchronously without callbacks, the records
# catalogue is not sortable (tests/test_conformance_claims.py checks every class declared)
NOT_IMPLEMENTED = {
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/callback",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
}


def amend_json(response: Response, change: Callable[[dict], object]) -> Response:
    """Apply ``change`` to a successful JSON answer of pygeoapi (HTML and errors pass
    through), keeping its media type."""
    ctype = response.headers.get("content-type", "")
    if response.status_code >= 400 or "json" not in ctype.split(";")[0]:
        return response
    body = json.loads(bytes(response.body))
    change(body)
    headers = {k: v for k, v in response.headers.items()
               if k.lower() not in ("content-length", "content-encoding", "content-type")}
    return Response(json.dumps(body, ensure_ascii=False), status_code=response.status_code,
                    headers=headers, media_type=ctype)


async def collections(request: Request) -> Response:
    """``/collections``: pygeoapi's document, plus the INSPIRE links it cannot carry."""
    from pygeoapi import starlette_app

    dataset = datasets.dataset_of(request)
    if dataset is not None and wants_html(request):
        return datasets.collections_page(request, dataset)
    response = await starlette_app.collections(request)
    base = base_url(request)
    links = inspire_links(f"{base}/metadata", f"{base}/download?f=gpkg",
                          "The whole map today (GeoPackage)")
    layers = request.app.state.catalogue.layers

    def amend(body: dict) -> None:
        body.setdefault("links", []).extend(links)
        for entry in body.get("collections", []):
            entry["links"] = true_links(entry.get("links", []))
            if entry.get("id") in layers:
                entry.setdefault("links", []).extend(tiles.collection_links(base, entry["id"]))
                entry["versioning"] = VERSIONING
        if dataset is not None:
            datasets.narrow(body, request, dataset)

    return amend_json(response, amend)


# OGC Versioned Features: a version starts when its edition says the state began to be true
# (the edition's date), not when it was recorded
VERSIONING = {"timeAxis": "validity-time"}
NOT_SERVED = ("f=jsonld", "f=csv")  # items formats pygeoapi links and Strata does not serve
EDR_QUERY = re.compile(r"/(position|radius|area)(\?|$)")


def true_links(links: list[dict]) -> list[dict]:
    """pygeoapi's links, as they work here: the items in JSON-LD or CSV (not offered) left
    out; the EDR queries, which need coordinates, given as templates (``templated``)."""
    out = []
    for link in links:
        href = str(link.get("href", ""))
        if "/items" in href and any(f in href for f in NOT_SERVED):
            continue
        if EDR_QUERY.search(href.split("#")[0]):
            path, _, query = href.partition("?")
            link = {**link, "href": f"{path}?coords={{coords}}" + (f"&{query}" if query
                                                                    else ""),
                    "templated": True}
        out.append(link)
    return out


async def collection(request: Request) -> Response:
    """``/collections/{id}``: pygeoapi's document, its links as they work here, plus the link
    to a layer's tilesets."""
    from pygeoapi import starlette_app

    response = await starlette_app.collections(request)
    cid = request.path_params["collection_id"]
    layer = cid in request.app.state.catalogue.layers

    def amend(body: dict) -> None:
        body["links"] = true_links(body.get("links", [])) + (
            tiles.collection_links(base_url(request), cid) if layer else [])
        if layer:
            body["versioning"] = VERSIONING

    return amend_json(response, amend)


async def landing(request: Request) -> Response:
    """``/``: pygeoapi's landing page, its tiling schemes replaced by the links to the map's
    vector tiles and to Strata's tile matrix sets; the links to the viewer (``/map``) and
    the dashboard (``/dashboard``)."""
    from pygeoapi import starlette_app

    dataset = datasets.dataset_of(request)
    if dataset is not None:
        return datasets.landing(request, dataset)
    response = await starlette_app.landing_page(request)

    def built() -> list[str]:
        with db(request) as conn:
            return coverages.built(conn)
    surface_collections = await run_in_threadpool(built) if \
        response.status_code < 400 else []

    def amend(body: dict) -> None:
        body["links"] = [link for link in body.get("links", []) if not str(
            link.get("rel", "")).endswith("/tiling-schemes")] + tiles.landing_links(
            base_url(request)) + viewer.landing_links(base_url(request)) + \
            dashboard.landing_links(base_url(request)) + datasets.landing_links(
            base_url(request)) + coverages.landing_links(base_url(request), surface_collections)

    return amend_json(response, amend)
