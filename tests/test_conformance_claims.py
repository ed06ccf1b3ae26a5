# SPDX-License-Identifier: EUPL-1.2
"""What Strata declares is what it does: every class of /conformance has a check here that
exercises it on the real service, and a class without a check fails the test (declare
nothing that is not checked)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

OGC = "http://www.opengis.net/spec/"
TILE = "/collections/municipalities/tiles/WebMercatorQuad/11/686/1048"


def get(service: str, path: str, **params: str) -> httpx.Response:
    r = httpx.get(service + path, params=params, timeout=60)
    assert r.status_code == 200, (path, params, r.status_code, r.text[:300])
    return r


def json_of(service: str, path: str, **params: str) -> dict:
    return get(service, path, f="json", **params).json()


def html_of(service: str, path: str) -> str:
    r = get(service, path, f="html")
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def items(service: str, **params: str) -> list:
    r = get(service, "/collections/municipalities/items", **params)
    assert r.headers["content-type"].startswith("application/geo+json")
    return r.json()["features"]


def filtered(service: str, text: str, lang: str = "cql2-text") -> list:
    return items(service, filter=text, **{"filter-lang": lang})


CHECKS: dict[str, Callable[[str], object]] = {
    # Common and Features Part 1
    "ogcapi-common-1/1.0/conf/core": lambda s: json_of(s, "/")["links"],
    "ogcapi-common-1/1.0/conf/landing-page": lambda s: json_of(s, "/")["links"],
    "ogcapi-common-1/1.0/conf/json": lambda s: json_of(s, "/conformance")["conformsTo"],
    "ogcapi-common-1/1.0/conf/html": lambda s: html_of(s, "/"),
    "ogcapi-common-1/1.0/conf/oas30": lambda s: json_of(s, "/openapi")["openapi"][:2] == "3.",
    "ogcapi-common-2/1.0/conf/collections": lambda s: json_of(s, "/collections")["collections"],
    "ogcapi-common-3/1.0/conf/schemas": lambda s: json_of(
        s, "/collections/municipalities/schema")["properties"],
    "ogcapi-common-3/1.0/conf/advanced-property-roles": lambda s: json_of(
        s, "/collections/municipalities/schema")["properties"],
    "ogcapi-features-1/1.0/conf/core": lambda s: len(items(s, limit="3")) == 3,
    "ogcapi-features-1/1.0/conf/geojson": lambda s: items(s, limit="1")[0]["type"] == "Feature",
    "ogcapi-features-1/1.0/conf/html": lambda s: "Anderlecht" in html_of(
        s, "/collections/municipalities/items"),
    "ogcapi-features-1/1.0/conf/oas30": lambda s: "/collections/municipalities/items" in
    json_of(s, "/openapi")["paths"],
    # Part 2: CRS
    "ogcapi-features-2/1.0/conf/crs": lambda s: get(
        s, "/collections/municipalities/items", crs="http://www.opengis.net/def/crs/EPSG/0/31370",
        limit="1").headers["content-crs"].endswith("31370>"),
    # Part 3 and CQL2
    "ogcapi-features-3/1.0/conf/filter": lambda s: len(filtered(s, "name_fr='Ixelles'")) == 1,
    "ogcapi-features-3/1.0/conf/features-filter": lambda s: len(
        filtered(s, "name_fr='Ixelles'")) == 1,
    "ogcapi-features-3/1.0/conf/queryables": lambda s: "name_fr" in json_of(
        s, "/collections/municipalities/queryables")["properties"],
    "ogcapi-features-3/1.0/conf/queryables-query-parameters": lambda s: len(
        items(s, name_fr="Ixelles")) == 1,
    "cql2/1.0/conf/cql2-text": lambda s: len(filtered(s, "name_fr LIKE 'Ix%'")) == 1,
    "cql2/1.0/conf/cql2-json": lambda s: len(filtered(
        s, '{"op": "=", "args": [{"property": "name_fr"}, "Ixelles"]}', "cql2-json")) == 1,
    "cql2/1.0/conf/basic-cql2": lambda s: len(
        items(s, filter="municipality_id > 0", limit="50")) == 19,
    "cql2/1.0/conf/basic-spatial-functions": lambda s: len(filtered(
        s, "S_INTERSECTS(geometry, POINT(4.3525 50.8467))")) == 1,
    "cql2/1.0/conf/spatial-functions": lambda s: len(filtered(
        s, "S_CONTAINS(geometry, POINT(4.3525 50.8467))")) == 1,
    # Tiles
    "ogcapi-tiles-1/1.0/conf/core": lambda s: get(s, TILE).headers["content-type"],
    "ogcapi-tiles-1/1.0/conf/mvt": lambda s: get(s, TILE).headers["content-type"] ==
    "application/vnd.mapbox-vector-tile",
    "ogcapi-tiles-1/1.0/conf/datetime": lambda s: get(s, TILE, datetime="2016-01-01").content,
    "ogcapi-tiles-1/1.0/conf/tileset": lambda s: json_of(
        s, "/collections/municipalities/tiles/WebMercatorQuad")["tileMatrixSetURI"],
    "ogcapi-tiles-1/1.0/conf/tilesets-list": lambda s: json_of(
        s, "/collections/municipalities/tiles")["tilesets"],
    "ogcapi-tiles-1/1.0/conf/geodata-tilesets": lambda s: json_of(
        s, "/collections/municipalities/tiles")["tilesets"],
    "ogcapi-tiles-1/1.0/conf/dataset-tilesets": lambda s: json_of(s, "/tiles")["tilesets"],
    # EDR, Processes, Records
    "ogcapi-edr-1/1.0/conf/core": lambda s: get(
        s, "/collections/no2_station_series/position", coords="POINT(4.3855 50.8242)").json(),
    "ogcapi-processes-1/1.0/conf/core": lambda s: json_of(s, "/processes")["processes"],
    "ogcapi-processes-1/1.0/conf/json": lambda s: json_of(s, "/processes/link")["inputs"],
    "ogcapi-processes-1/1.0/conf/oas30": lambda s: "/processes/link/execution" in json_of(
        s, "/openapi")["paths"],
    "ogcapi-processes-1/1.0/conf/ogc-process-description": lambda s: json_of(
        s, "/processes/link")["outputs"],
    "ogcapi-records-1/1.0/conf/core": lambda s: json_of(
        s, "/collections/catalogue/items")["features"],
    "ogcapi-records-1/1.0/conf/json": lambda s: json_of(
        s, "/collections/catalogue/items")["features"],
    "ogcapi-records-1/1.0/conf/html": lambda s: html_of(s, "/collections/catalogue/items"),
    "ogcapi-records-1/1.0/conf/opensearch": lambda s: json_of(
        s, "/collections/catalogue/items", q="streets")["features"],
}


def test_every_declared_class_does_what_it_says(service):
    declared = json_of(service, "/conformance")["conformsTo"]
    unchecked = [c for c in declared if c.removeprefix(OGC) not in CHECKS]
    assert not unchecked, f"declared without a check here: {unchecked}"
    failed = {}
    for uri in declared:
        try:
            assert CHECKS[uri.removeprefix(OGC)](service)
        except (AssertionError, KeyError, httpx.HTTPError) as exc:
            failed[uri] = repr(exc)[:300]
    assert not failed, failed


def test_what_is_not_offered_is_not_declared(service):
    declared = json_of(service, "/conformance")["conformsTo"]
    assert not [c for c in declared if "create-replace-delete" in c or "callback" in c
                or c.endswith("records-1/1.0/conf/sorting")]
    r = httpx.post(f"{service}/collections/municipalities/items", json={}, timeout=30)
    assert r.status_code == 405
