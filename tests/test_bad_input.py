# SPDX-License-Identifier: EUPL-1.2
"""Every bad input found by the hardening campaign (issue 9) is a 4xx in the one error shape,
with a hint; the limits that protect the service are set and bite; CORS on every answer."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET

import httpx
import pytest
from strata_helpers import serve

from layers.catalogue import load_catalogue

LAYERS = sorted(load_catalogue().layers)
VIEWS = ["incidents", "incidents_district_month", "no2_district_year", "worksite_links",
         "road_event_links", "permit_links", "worksites_per_street"]
ANDS = " AND ".join(["name_fr='x'"] * 500)
FC = '{"type":"FeatureCollection","features":%s}'
POINT = '[{"type":"Feature","geometry":{"type":"Point","coordinates":[%s]},"properties":{}}]'


def one_shape(body: object) -> None:
    assert isinstance(body, dict) and set(body) == {"code", "description", "hint"}, body
    assert all(isinstance(body[k], str) and body[k] for k in body), body


GETS = [
    # equality on a property, not of its type
    ("/collections/worksites/items", {"start_date": "abc"}, 400),
    ("/collections/districts/items", {"area_m2": "abc"}, 400),
    ("/collections/municipalities/items", {"municipality_id": "99999999999999999999"}, 400),
    # paging and boxes on the view collections
    ("/collections/incidents_district_month/items", {"limit": "true"}, 400),
    ("/collections/incidents_district_month/items", {"offset": "99999999999999999999"}, 400),
    ("/collections/incidents_district_month/items", {"bbox": "0,-1e17,1,1e17"}, 400),
    ("/collections/worksite_links/items", {"bbox": "0,-1e17,1,1e17"}, 400),
    ("/collections/incidents/items", {"limit": "-1"}, 400),
    ("/collections/municipalities/items", {"limit": "true"}, 400),
    ("/collections/municipalities/items", {"offset": "99999999999999999999"}, 400),
    # whole numbers in ASCII digits only
    ("/collections/municipalities/items", {"limit": "1_0"}, 400),
    ("/collections/municipalities/items", {"limit": "\uff11"}, 400),
    ("/collections/municipalities/items", {"offset": "\u0661"}, 400),
    # a place of its CRS
    ("/geolocate", {"x": "1e300", "y": "1e300", "crs": "EPSG:3857"}, 400),
    ("/geolocate", {"x": "148800", "y": "170700"}, 400),  # metres, but CRS84 by default
    # NUL characters in a parameter, a key, a path
    ("/collections/districts/items", {"name_fr": "a\x00b"}, 400),
    ("/collections/districts/items/a\x00b", {}, 400),
    ("/open311/v2/requests.json", {"status": "open\x00"}, 400),
    # CQL2: types, BBOX, coordinates, depth
    ("/collections/districts/items", {"filter": "name_fr=1"}, 400),
    ("/collections/districts/items", {"filter": "name_fr LIKE 5"}, 400),
    ("/collections/municipalities/items", {"filter": "municipality_id='x'"}, 400),
    ("/collections/districts/items", {"filter": "BBOX(geometry,1,2,3)"}, 400),
    ("/collections/districts/items", {"filter": "S_INTERSECTS(geometry,POINT(1e308 1e308))"},
     400),
    ("/collections/districts/items", {"filter": ANDS}, 414),
    ("/collections/districts/items", {"filter": " AND ".join(["name_fr='x'"] * 60)}, 400),
    ("/collections/districts/items", {"filter-lang": "cql2-json",
                                      "filter": json.dumps({"op": "and", "args": [
                                          {"op": "=", "args": [{"property": "name_fr"}, 1]},
                                          {"op": "=", "args": [{"property": "name_fr"}, "a"]}]})},
     400),
    # boxes that are no place, or Lambert metres without their CRS
    ("/collections/districts/items", {"bbox": "-inf,50,4,51"}, 400),
    ("/collections/districts/items", {"bbox": "NaN,50,4,51"}, 400),
    ("/collections/districts/items", {"bbox": "140000,160000,160000,180000"}, 400),
    ("/collections/districts/items", {"bbox": "4,50,5,51", "bbox-crs": "EPSG:31370",
                                      "crs": "EPSG:1"}, 400),
    # EDR, a point far from any station
    ("/collections/no2_station_series/position", {"coords": "POINT(500 500)"}, 400),
    # Open311: ids and codes beyond 64 bits, dates at the edge of the calendar
    ("/open311/v2/requests/99999999999999999999.json", {}, 400),
    ("/open311/v2/requests.json", {"service_request_id": "99999999999999999999"}, 400),
    ("/open311/v2/requests.json", {"service_code": "99999999999999999999"}, 400),
    ("/open311/v2/services/99999999999999999999.json", {}, 400),
    ("/open311/v2/services/" + "9" * 4301 + ".json", {}, 400),  # beyond int()'s digits
    ("/open311/v2/requests.json", {"page": "0"}, 400),
    ("/open311/v2/requests.json", {"bbox": "0,-100,1,100"}, 400),
    # formats
    ("/collections/municipalities/items/7400", {"f": "xyz"}, 400),
    ("/collections/municipalities/items", {"f": "xyz"}, 400),
    # dates
    ("/collections/municipalities/items", {"datetime": "2021-13-45"}, 400),
    ("/collections/municipalities/changes", {"from": "yesterday"}, 400),
    ("/collections/municipalities/download", {"date": "2021-02-30"}, 400),
    ("/collections/permits/download", {"f": "shp"}, 400),  # points and polygons mixed
    ("/geolocate", {"lon": "nan", "lat": "50"}, 400),
    ("/geolocate", {"lon": "4.35", "lat": "50.85", "category": "99999999999999999999"}, 400),
]


@pytest.mark.parametrize(("path", "params", "status"), GETS,
                         ids=[f"{p}?{'&'.join(q)}"[:80] for p, q, _ in GETS])
def test_bad_get_is_4xx_in_the_one_shape(service, path, params, status):
    r = httpx.get(service + path.replace("\x00", "%00"), params=params, timeout=60)
    assert r.status_code == status, (r.status_code, r.text[:500])
    body = r.json()
    if path.startswith("/open311"):  # the spec's shape: a list of {code, description} (+hint)
        assert isinstance(body, list) and body[0]["code"] == status, body
        assert body[0]["description"] and body[0]["hint"], body
    else:
        one_shape(body)


def _json(node: object) -> dict[str, str]:
    return {"filter-lang": "cql2-json", "filter": json.dumps(node)}


STREET = {"property": "name_fr"}
FILTERS = [  # what PostGIS, PostgreSQL or pygeofilter would fail on, and what it says
    ({"filter": "S_INTERSECTS(geometry,POLYGON((4 50,5 50,5 51)))"}, "not closed"),
    ({"filter": "S_INTERSECTS(geometry,POLYGON((4 50,5 50,5 51,4 50),(1 1,2 2)))"},
     "not closed"),
    ({"filter": "S_INTERSECTS(geometry,POLYGON((4.35 50.85,4.36 50.86,4.36 50.85,"
                "4.35 50.86,4.35 50.85)))"}, "Self-intersection"),
    (_json({"op": "s_intersects", "args": [{"property": "geometry"},
                                           {"type": "Foo", "coordinates": [1, 2]}]}),
     "not a type of geometry"),
    (_json({"op": "s_intersects", "args": [{"property": "geometry"},
                                           {"type": "Point", "coordinates": [4]}]}),
     "not x y"),
    ({"filter": "name_fr LIKE '\\'"}, "escape character"),
    ({"filter": "name_fr NOT LIKE 'Rue\\'"}, "escape character"),
    (_json({"op": "=", "args": [STREET, "\u0000"]}), "NUL"),
    (_json({"op": "in", "args": [STREET, ["a", "\u0000"]]}), "NUL"),
    ({"filter-lang": "cql2-json",
      "filter": '{"op": "=", "args": [{"property": "name_fr"}, "a\\ud800"]}'}, "UTF-16"),
    (_json({"op": "t_before", "args": [{"property": "beginLifespanVersion"},
                                       {"timestamp": "tomorrow"}]}), "RFC 3339"),
    (_json({"op": "t_after", "args": [{"property": "beginLifespanVersion"},
                                      {"interval": ["2020-01-01", "hello"]}]}), "RFC 3339"),
    (_json({"op": "and", "args": []}), "at least 2 arguments"),
    (_json({"op": "=", "args": [STREET, "a", "b"]}), "2 arguments, not 3"),
    (_json({"op": "between", "args": [{"property": "osm_way_id"}, 1]}), "3 arguments"),
    (_json({"op": "isNull", "args": []}), "one argument"),
    (_json({"op": "nearby", "args": [STREET, 1]}), "not a CQL2 operator"),
    ({"filter": "CASEI(name_fr) = casei('RUE')"}, "CASEI"),
    ({"filter": "name_fr = 'a' OR"}, "ends too soon"),
    ({"filter": "name_fr ~ 'a'"}, "at column 9"),
    ({"filter-lang": "cql2-json", "filter": '{"op": "="'}, "line 1, column"),
    # half a UTF-16 pair where a number is wanted: said (escaped), not a 500 on the way out
    ({"filter-lang": "cql2-json",
      "filter": '{"op": "=", "args": [{"property": "osm_way_id"}, "\\ud800"]}'},
     "is not a value of osm_way_id"),
    (_json({"op": "t_metBy", "args": [{"property": "beginLifespanVersion"},
                                      {"timestamp": "2020-01-01T00:00:00Z"}]}),
     "is not supported here"),
]


@pytest.mark.parametrize(("params", "says"), FILTERS, ids=[s for _, s in FILTERS])
def test_a_filter_nothing_could_run_is_a_400_that_says_why(service, params, says):
    """A filter that PostGIS, PostgreSQL or the parser would fail on is refused before any
    of them sees it: a 400 in the one shape that says what is wrong in words (no parser
    token, no Python), in the language asked."""
    path = f"{service}/collections/streets/items"
    r = httpx.get(path, params=params, timeout=60)
    assert r.status_code == 400, (r.status_code, r.text[:500])
    one_shape(r.json())
    said = r.json()["description"]
    assert says in said, said
    assert not any(w in said for w in ("Token(", "__", "datetime.", "object", "Traceback"))
    fr = httpx.get(path, params={**params, "lang": "fr"}, timeout=60)
    assert fr.status_code == 400 and fr.headers["Content-Language"] == "fr", fr.text
    assert fr.json()["description"] != said, fr.json()  # said in French


def test_a_long_value_in_an_error_is_cut_and_said_at_once(service):
    """A filter echoing thousands of characters back: its message shows a short piece of
    the value, and is answered at once in the language asked (translating a long text took
    minutes, and held every other request meanwhile)."""
    import time

    started = time.monotonic()
    r = httpx.get(f"{service}/collections/streets/items", params={
        "filter": "osm_way_id = '" + "ab" * 3000 + "'", "lang": "fr"}, timeout=60)
    assert r.status_code == 400 and len(r.json()["description"]) < 400, r.text[:300]
    assert time.monotonic() - started < 10
    assert r.headers["Content-Language"] == "fr"


def test_a_filter_in_cql2_json_as_the_standard_writes_it(service):
    """BETWEEN with three arguments (CQL2 1.0; pygeofilter wants the bounds in a list, which
    is taken too), and instants and dates as RFC 3339."""
    path = f"{service}/collections/streets/items"
    counts = []
    for args in ([{"property": "osm_way_id"}, 1, 30_000_000],
                 [{"property": "osm_way_id"}, [1, 30_000_000]]):
        r = httpx.get(path, params={**_json({"op": "between", "args": args}),
                                    "limit": 10_000, "skipGeometry": "true"}, timeout=60)
        assert r.status_code == 200, r.text
        counts.append(len(r.json()["features"]))
    assert counts[0] == counts[1] > 0
    r = httpx.get(path, params={**_json({"op": "t_before", "args": [
        {"property": "beginLifespanVersion"}, {"timestamp": "2021-01-01T00:00:00Z"}]}),
        "limit": 1, "datetime": "2020-06-01"}, timeout=60)
    assert r.status_code == 200 and r.json()["features"], r.text


def test_the_open311_end_date_of_year_one_is_not_a_500(service):
    r = httpx.get(f"{service}/open311/v2/requests.json", params={"end_date": "0001-01-01"},
                  timeout=30)
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/download", "/geolocate", "/open311/v2/services.json",
                                  "/collections/municipalities/download",
                                  "/collections/municipalities/items/7400"])
def test_a_wrong_method_is_405_with_allow(service, method, path):
    r = httpx.request(method, service + path, timeout=30)
    assert r.status_code == 405, r.text
    assert "GET" in r.headers["allow"]
    if path.startswith("/open311/"):  # the spec's list, the same description and hint
        assert r.json()[0]["code"] == 405 and r.json()[0]["hint"], r.json()
    else:
        one_shape(r.json())


@pytest.mark.parametrize("path, params, says", [
    ("/collections/municipalities/items", {"after": "7400", "sortby": "-name_fr"}, "after="),
    ("/collections/municipalities/items", {"after": "7400", "datetime": "2016-01-01/.."},
     "after="),
    ("/collections/municipalities/items/7400@2015-07-19T22:00:00Z",
     {"datetime": "2022-01-01"}, "names its instant"),
    ("/geolocate", {"lon": "4.35", "lat": "50.85", "date": "2016-06-01",
                    "datetime": "2022-01-01"}, "date and datetime"),
])
def test_two_parameters_that_would_contradict_are_refused(service, path, params, says):
    """One of them would be ignored silently: neither is."""
    r = httpx.get(service + path, params=params, timeout=30)
    assert r.status_code == 400, r.text
    one_shape(r.json())
    assert says in r.json()["description"]


@pytest.mark.parametrize("path", ["/open311/v2/requests.json", "/processes/link/execution"])
def test_a_json_body_nested_too_deep_is_a_400(service, path):
    """A parser would recurse 300,000 levels: refused before any route parses it."""
    deep = b'{"a": ' + b"[" * 300_000 + b"]" * 300_000 + b"}"
    r = httpx.post(service + path, content=deep, timeout=60,
                   headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    body = r.json()
    if path.startswith("/open311/"):  # the spec's list, the same description and hint
        assert body[0]["code"] == 400 and body[0]["hint"], body
    else:
        one_shape(body)
    assert "nested deeper" in r.text
    # a document of ordinary depth still reaches the route (which says what it lacks)
    flat = httpx.post(service + path, json={"a": [[[1]]]}, timeout=60)
    assert flat.status_code in (400, 401) and "nested deeper" not in flat.text


@pytest.mark.parametrize("path", ["/map", "/tiles", "/tiles/WebMercatorQuad/10/343/524",
                                  "/tileMatrixSets/WebMercatorQuad", "/dashboard", "/download"])
def test_options_says_which_methods(service, path):
    r = httpx.request("OPTIONS", service + path, timeout=30)
    assert r.status_code == 200 and not r.content, r.text
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in r.headers["allow"].split(",")}


@pytest.mark.parametrize("path, params", [
    ("/tiles/WebMercatorQuad/10/343/524", [("datetime", "bad"), ("datetime", "2016-01-01")]),
    ("/collections/municipalities/tiles/WebMercatorQuad/10/343/524",
     [("properties", "nope"), ("properties", "name_fr")]),
    ("/collections/municipalities/changes", [("from", "bad"), ("from", "2016-01-01")]),
    ("/collections/municipalities/items", [("limit", "1"), ("limit", "2")]),
    ("/map", [("date", "2016-01-01"), ("date", "2017-01-01")]),
])
def test_a_parameter_given_twice_is_refused(service, path, params):
    """Which of the two was meant? Neither is picked silently."""
    r = httpx.get(service + path, params=params, timeout=30)
    assert r.status_code == 400, r.text
    one_shape(r.json())
    assert params[0][0] in r.json()["description"] and "once" in r.json()["hint"]


@pytest.mark.parametrize("collection", LAYERS + VIEWS + ["catalogue"])
def test_post_to_items_is_refused_never_unfiltered(service, collection):
    """POST search (OWSLib's cql=) would answer unfiltered features: refused with a hint."""
    for body in (b"", json.dumps({"op": "=", "args": [{"property": "x"}, 1]}).encode()):
        r = httpx.post(f"{service}/collections/{collection}/items", content=body, timeout=30,
                       headers={"content-type": "application/json"})
        assert r.status_code == 405, r.text
        one_shape(r.json())
        assert "filter" in r.json()["hint"] or "GET" in r.json()["hint"]


LINK_BODIES = [
    "null", "[1,2]", '{"inputs":[1]}', '"text"', "{", "",
    '{"inputs":{"features":' + FC % "[]" + ',"date":"2020-01-01"}}',
    '{"inputs":{"features":' + FC % (POINT % "150000,170000") + ',"date":"2020-01-01"}}',
    '{"inputs":{"features":' + FC % (POINT % "1e308,1e308") + ',"date":"2020-01-01"}}',
    '{"inputs":{"features":' + FC % (POINT % "NaN,50") + ',"date":"2020-01-01"}}',
    '{"inputs":{"features":' + FC % (POINT % "4.35,50.85") + ',"within":"NaN",'
    '"date":"2020-01-01"}}',
    '{"inputs":{"features":' + FC % (POINT % "4.35,50.85") + ',"to":"municipalities,"'
    'municipalities","date":"2020-01-01"}}',
]


@pytest.mark.parametrize("body", LINK_BODIES)
def test_bad_link_requests_are_400(service, body):
    r = httpx.post(f"{service}/processes/link/execution", content=body, timeout=60,
                   headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    one_shape(r.json())


@pytest.fixture(scope="module")
def key(loaded):
    result = loaded.run("apikey", "create", f"bad-input-{uuid.uuid4().hex[:6]}")
    return result.output.strip().splitlines()[-1]


def report(service, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "152", "lat": "50.8467", "long": "4.3525",
            **fields}
    return httpx.post(f"{service}/open311/v2/requests.{fmt}", data=data, timeout=30)


@pytest.mark.parametrize(("fields", "says"), [
    ({"description": "x" * 4001}, "more than 4,000"),
    ({"address_string": "y" * 251, "lat": "", "long": ""}, "more than 250"),
    ({"description": "a\x00b"}, "NUL"),
    ({"service_code": "99999999999999999999"}, "not a service code"),
    ({"lat": "nan"}, "not a number"),
    ({"lat": "1e400"}, "not a number"),
])
def test_bad_report_fields_are_400(service, key, fields, says):
    r = report(service, key, **fields)
    assert r.status_code == 400, r.text
    assert says in r.json()[0]["description"] and r.json()[0]["hint"], r.json()


@pytest.mark.parametrize("body", [
    {"api_key": ["a"]}, {"service_code": {"x": 1}}, {"description": ["x"]}, {"lat": True},
    {"email": 5}])
def test_report_json_fields_of_the_wrong_type_are_400(service, key, body):
    data = {"api_key": key, "service_code": "152", "lat": 50.8467, "long": 4.3525, **body}
    r = httpx.post(f"{service}/open311/v2/requests.json", json=data, timeout=30)
    assert r.status_code == 400, r.text
    assert "must be a string" in r.json()[0]["description"]


def test_control_characters_never_break_the_feeds(service, key):
    """Stored as given; JSON escapes them, XML (which cannot hold them) shows U+FFFD."""
    text = f"bell\x07 escape\x1b tab\tend {uuid.uuid4().hex[:6]}"
    r = report(service, key, description=text)
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    got = httpx.get(f"{service}/open311/v2/requests/{rid}.json", timeout=30)
    assert got.json()[0]["description"] == text
    xml = httpx.get(f"{service}/open311/v2/requests/{rid}.xml", timeout=30)
    description = ET.fromstring(xml.content).find("request/description")
    assert description is not None
    assert description.text == text.replace("\x07", "\ufffd").replace("\x1b", "\ufffd")
    feed = httpx.get(f"{service}/open311/v2/requests.xml", timeout=30)
    ET.fromstring(feed.content)  # the whole public feed still parses


def test_a_raw_utf8_form_is_decoded_as_utf8(service, key):
    marker = uuid.uuid4().hex[:6]
    body = (f"api_key={key}&service_code=152&lat=50.8467&long=4.3525&"
            f"description=Hôtel de Ville {marker}").encode()
    r = httpx.post(f"{service}/open311/v2/requests.json", content=body, timeout=30,
                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    got = httpx.get(f"{service}/open311/v2/requests/{rid}.json", timeout=30).json()
    assert got[0]["description"] == f"Hôtel de Ville {marker}"
    latin1 = f"api_key={key}&service_code=152&description=H\xf4tel".encode("latin-1")
    r = httpx.post(f"{service}/open311/v2/requests.json", content=latin1, timeout=30,
                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "UTF-8" in r.json()[0]["description"]


@pytest.mark.parametrize("path", ["/processes/link/execution", "/open311/v2/requests.json"])
def test_a_2mb_body_is_413(service, key, path):
    big = json.dumps({"inputs": {"pad": "x" * 2_000_000}, "api_key": key})
    r = httpx.post(service + path, content=big, timeout=60,
                   headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text[:300]
    if path.startswith("/open311"):
        assert r.json()[0]["code"] == 413 and r.json()[0]["hint"]
    else:
        one_shape(r.json())

    def chunks():  # the same, streamed without a Content-Length
        for _ in range(20):
            yield b"x" * 100_000

    r = httpx.post(service + path, content=chunks(), timeout=60,
                   headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_a_long_url_is_414(service):
    r = httpx.get(f"{service}/collections/districts/items", timeout=30,
                  params={"name_fr": "x" * 9000})
    assert r.status_code == 414
    one_shape(r.json())


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/collections"), ("GET", "/conformance"),
    ("GET", "/collections/districts"), ("GET", "/collections/districts/items"),
    ("GET", "/collections/districts/items?bbox=x"), ("GET", "/collections/municipalities/items/1"),
    ("GET", "/collections/municipalities/download?f=csv"),
    ("GET", "/collections/municipalities/changes?from=2020-01-01"),
    ("GET", "/geolocate?lon=4.35&lat=50.85"), ("GET", "/open311/v2/services.json"),
    ("GET", "/open311/v2/requests.json"), ("GET", "/collections/catalogue/items"),
    ("GET", "/openapi?f=json"), ("GET", "/collections/incidents/items"),
    ("POST", "/open311/v2/requests.json"), ("POST", "/collections/districts/items"),
])
def test_cors_on_every_answer(service, method, path):
    origin = "http://planner.example"
    r = httpx.request(method, service + path, headers={"Origin": origin}, timeout=60)
    assert r.headers.get("access-control-allow-origin") == "*", (r.status_code, r.headers)
    pre = httpx.options(service + path.split("?")[0], timeout=30, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "*"


def test_failed_keys_are_rate_limited(loaded):
    with loaded.store.connect() as conn:  # counted in the store: other tests' failures go
        conn.execute("DELETE FROM key_failure")
    with serve({**loaded.environ, "STRATA_FAILED_KEY_LIMIT": "3"}) as base:
        statuses = [httpx.post(f"{base}/open311/v2/requests.json", timeout=30,
                               data={"api_key": f"wrong-{i}", "service_code": "152"}).status_code
                    for i in range(5)]
        assert statuses == [403, 403, 403, 429, 429]
        r = httpx.post(f"{base}/open311/v2/requests.json", data={"api_key": "x"}, timeout=30)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert r.json()[0]["hint"]
    with loaded.store.connect() as conn:
        conn.execute("DELETE FROM key_failure")


def test_statement_timeout_and_pool_come_from_the_settings(loaded):
    """A statement past ``statement_timeout_ms`` is stopped: 503 with a hint; the reader pool
    has the size the settings say, shared by Strata's routes and pygeoapi's plugins."""
    # 120 ms: the service starts (its own statements are short: at 50 ms, on a machine
    # busy with other work, one of them was stopped); every version of the streets as
    # GeoJSON, reprojected, takes three times that (the query, on 2 cores)
    with serve({**loaded.environ, "STRATA_STATEMENT_TIMEOUT_MS": "120"}) as base:
        r = httpx.get(f"{base}/collections/streets/items", timeout=60, params={
            "limit": 10000, "datetime": "../..", "crs": "EPSG:3035"})
        assert r.status_code == 503, r.text[:300]
        assert "longer than the service allows" in r.json()["description"]
        assert r.headers["retry-after"]
    # the app's reads go through its router (services/replicas.py): its primary pool, and
    # the plugins of the app (their configuration names it) get that same router
    probe = ("from services.app import create_app; from services.provider import _APPS, "
             "_context; app = create_app(); key = list(_APPS)[-1]; "
             "print('pool', app.state.pool.primary.max_size, "
             "_context({'context': key})[1] is app.state.pool)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env={**__import__("os").environ, **loaded.environ,
                              "STRATA_POOL_SIZE": "11"}, timeout=120)
    said = [line.split() for line in out.stdout.splitlines() if line.startswith("pool ")]
    assert said == [["pool", "11", "True"]], out.stdout[-2000:] + out.stderr[-2000:]
