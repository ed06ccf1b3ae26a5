# SPDX-License-Identifier: EUPL-1.2
"""One kind of collection: the collections served from views (reports, aggregates, links,
the station series) answer like the layers (GeoJSON media type, Link headers with the
queryables, crs, bbox-crs, datetime on the view's date, CQL2 filter, property equality), and
the filtering conformance classes are checked on every collection, layers and views.

ogctests 0.1.15's filtering module cannot pass on any server: its queryables test reads the
``href`` of parsed Link headers, which its own parser stores as ``iri``, then asks the URL
``[None]``. The checks of its test purposes (/conf/queryables, /conf/filter) are made here
instead, on every feature collection."""

from __future__ import annotations

import re

import httpx
import pytest

from layers.catalogue import load_catalogue
from services.pygeoapi_config import VIEW_BACKED

LAYERS = sorted(load_catalogue().layers)
VIEWS = sorted(VIEW_BACKED)
QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
LAMBERT = "http://www.opengis.net/def/crs/EPSG/0/31370"


def get(service, path, **params):
    return httpx.get(f"{service}{path}", params=params, timeout=120)


def header_links(response):
    return {m.group(2): m.group(1) for m in re.finditer(
        r'<([^>]+)>; rel="([^"]+)"', response.headers.get("link", ""))}


def count(loaded, view, where="true", params=()):
    with loaded.store.connect() as conn:
        return conn.execute(f"SELECT count(*) FROM {view} WHERE {where}", params).fetchone()[0]


@pytest.mark.parametrize("cid", VIEWS)
def test_a_view_answers_as_a_layer(service, loaded, cid):
    view, time_field = VIEW_BACKED[cid]
    r = get(service, f"/collections/{cid}/items", limit="5")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert body["numberMatched"] == count(loaded, view)
    links = header_links(r)
    assert {"self", "alternate", "collection", QUERYABLES} <= set(links)
    assert {lk["rel"] for lk in body["links"]} >= {"self", "alternate", QUERYABLES}
    lambert = get(service, f"/collections/{cid}/items", limit="5", crs=LAMBERT)
    assert lambert.headers["content-crs"] == f"<{LAMBERT}>"
    for feature in lambert.json()["features"]:
        if feature["geometry"]:
            x, y = _first_point(feature["geometry"]["coordinates"])
            assert 100_000 < x < 200_000 and 150_000 < y < 200_000, (x, y)
    if time_field is None:
        refused = get(service, f"/collections/{cid}/items", datetime="2021-01-01")
        assert refused.status_code == 400 and "datetime" in refused.json()["description"]


def _first_point(coordinates):
    while isinstance(coordinates[0], list):
        coordinates = coordinates[0]
    return coordinates[0], coordinates[1]


def test_datetime_on_a_view_selects_its_date(service, loaded):
    """worksite_links: the start date of each worksite; an instant is the day it falls in
    (Brussels), an interval the days between."""
    with loaded.store.connect() as conn:
        busiest = conn.execute("SELECT start_date FROM worksite_links GROUP BY 1 "
                               "ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0].isoformat()
    day = get(service, "/collections/worksite_links/items", datetime=busiest,
              limit="1000").json()
    expected = count(loaded, "worksite_links", "start_date = %s", (busiest,))
    assert day["numberMatched"] == expected > 1
    assert {f["properties"]["start_date"] for f in day["features"]} == {busiest}
    span = get(service, "/collections/worksite_links/items",
               datetime="2021-01-01T00:00:00+01:00/2021-12-31T23:00:00+01:00").json()
    assert span["numberMatched"] == count(
        loaded, "worksite_links", "start_date BETWEEN '2021-01-01' AND '2021-12-31'")


def test_filter_crs_and_equality_on_a_view(service, loaded):
    body = get(service, "/collections/no2_district_year/items", limit="1000",
               filter="source = 'curieuzenair' AND no2_mean_ug_m3 > 25").json()
    expected = count(loaded, "no2_district_year",
                     "source = 'curieuzenair' AND no2_mean_ug_m3 > 25")
    assert body["numberMatched"] == expected > 0
    assert all(f["properties"]["no2_mean_ug_m3"] > 25 for f in body["features"])
    near = get(service, "/collections/worksite_links/items", limit="1000",
               filter="S_INTERSECTS(geometry, POLYGON((4.37 50.86, 4.39 50.86, 4.39 50.87, "
                      "4.37 50.87, 4.37 50.86)))")
    assert near.status_code == 200 and near.json()["numberMatched"] > 0
    same = get(service, "/collections/worksite_links/items", limit="1000",
               bbox="4.37,50.86,4.39,50.87")
    assert {f["id"] for f in near.json()["features"]} == {f["id"] for f in same.json()["features"]}
    equal = get(service, "/collections/no2_district_year/items", source="irceline",
                year="2019", limit="1000").json()
    assert equal["numberMatched"] == count(loaded, "no2_district_year",
                                           "source = 'irceline' AND year = 2019")
    for params in ({"filter": "nowhere = 1"}, {"filter": "year = 'x'"}, {"year": "x"},
                   {"filter": "year >"}, {"sortby": "nothing"}, {"properties": "nothing"}):
        r = get(service, "/collections/no2_district_year/items", **params)
        assert r.status_code == 400 and r.json()["hint"], (params, r.text)


def test_one_row_of_a_view(service):
    first = get(service, "/collections/worksite_links/items", limit="1").json()["features"][0]
    r = get(service, f"/collections/worksite_links/items/{first['id']}", crs=LAMBERT)
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    assert r.json()["properties"] == first["properties"]
    assert "collection" in header_links(r)
    missing = get(service, "/collections/worksite_links/items/0")
    assert missing.status_code == 404 and missing.json()["hint"]
    page = get(service, "/collections/worksite_links/items", f="html", filter="status = 'x'")
    assert page.status_code == 400 and "filter" in page.json()["description"]


@pytest.mark.parametrize("cid", LAYERS + VIEWS)
def test_queryables_and_filter_on_every_collection(service, cid):
    """/conf/queryables and /conf/filter: the items' Link header names the queryables; they
    are a JSON Schema (https draft 2019-09, $id the URI linked, an object of typed properties,
    the geometry with its format); and a filter on each queryable is answered (200)."""
    items = get(service, f"/collections/{cid}/items", limit="1")
    uri = header_links(items)[QUERYABLES]
    r = httpx.get(uri, headers={"Accept": "application/schema+json"}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "application/schema+json"
    schema = r.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2019-09/schema"
    assert schema["$id"] == uri and schema["type"] == "object"
    properties = schema["properties"]
    assert properties["geometry"]["format"].startswith("geometry-")
    if cid in LAYERS:
        assert {"beginLifespanVersion", "endLifespanVersion"} <= set(properties)
    for name, prop in properties.items():
        if name == "geometry":
            condition = "S_INTERSECTS(geometry, POLYGON((4.2 50.7, 4.5 50.7, 4.5 51, 4.2 51, " \
                        "4.2 50.7)))"
        else:
            assert "type" in prop, (cid, name)
            condition = f"{name} IS NOT NULL"
        answer = get(service, f"/collections/{cid}/items", limit="2", filter=condition)
        assert answer.status_code == 200, (cid, name, answer.text)


def test_queryables_give_each_property_its_title_in_the_asked_language(service):
    """A layer's queryables title each property (and the layer) in the language of lang= or
    Accept-Language, as a planner or QGIS shows them; the names stay the data's."""
    said = {lang: httpx.get(f"{service}/collections/municipalities/queryables",
                            params={"lang": lang}, timeout=60) for lang in ("fr", "nl", "en")}
    titles = {lang: {n: p.get("title") for n, p in r.json()["properties"].items()}
              for lang, r in said.items()}
    assert titles["fr"]["name_fr"] == "Nom en français"
    assert titles["nl"]["name_fr"] == "Naam in het Frans"
    assert titles["en"]["municipality_id"] == "Municipality id (UrbIS)"
    assert titles["nl"]["endLifespanVersion"] == "Einde van deze versie"
    assert said["fr"].headers["content-language"] == "fr"
    assert said["nl"].json()["title"] == "Gemeenten"
    dutch = httpx.get(f"{service}/collections/municipalities/queryables",
                      headers={"Accept-Language": "nl-BE"}, timeout=60)
    assert dutch.json()["properties"]["nat_code"]["title"] == "NIS-code"


def test_a_view_page_in_a_browser_and_its_bad_parameters(service):
    """A browser asks HTML by its Accept header, without f: the page (pygeoapi's) answers;
    a sign belongs to sortby, not to properties."""
    page = httpx.get(f"{service}/collections/worksite_links/items",
                     headers={"Accept": "text/html,application/xhtml+xml"}, timeout=60)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for params in ({"properties": "-label"}, {"properties": "+label"}, {"sortby": "-nothing"}):
        r = get(service, "/collections/worksite_links/items", **params)
        assert r.status_code == 400 and r.json()["hint"], (params, r.text)
    ordered = get(service, "/collections/worksite_links/items", sortby="-start_date",
                  properties="start_date", limit="5").json()["features"]
    dates = [f["properties"]["start_date"] for f in ordered]
    assert dates == sorted(dates, reverse=True) and set(ordered[0]["properties"]) == {
        "start_date"}


@pytest.mark.parametrize("cid", ["municipalities", "streets"])
def test_every_queryable_of_a_layer_is_a_query_parameter(service, cid):
    """OGC API Features Part 3, queryables as query parameters: each property /queryables
    lists (but JSON ones, compared with filter=) is taken as name=value; the lifespan's ends
    too (they were refused as unknown parameters)."""
    queryables = httpx.get(f"{service}/collections/{cid}/queryables", timeout=60).json()
    one = httpx.get(f"{service}/collections/{cid}/items", params={"limit": 1},
                    timeout=60).json()["features"][0]
    for name, schema in queryables["properties"].items():
        value = one["properties"].get(name, one["id"] if name not in one["properties"]
                                      else None)
        if schema.get("format") == "geometry-any" or "geometry" in name or value is None \
                or isinstance(value, dict | list):
            continue
        r = httpx.get(f"{service}/collections/{cid}/items",
                      params={name: str(value).lower() if isinstance(value, bool) else value,
                              "limit": 10_000, "skipGeometry": "true"}, timeout=60)
        assert r.status_code == 200, (name, r.text)
        ids = {f["id"] for f in r.json()["features"]}
        assert one["id"] in ids, (name, value)
