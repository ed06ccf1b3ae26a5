# SPDX-License-Identifier: EUPL-1.2
"""One error shape at every edge (as datasette's tests/test_error_shape.py does): every
endpoint's failure paths (a bad parameter, an unknown collection, an unknown feature, a
missing or bad key) answer ``{"code", "description", "hint"}``; Open311 answers its spec's
list of errors carrying the same status, description and hint."""

from __future__ import annotations

import httpx
import pytest

# path, a bad parameter of it
BAD_PARAMETER = [
    ("/", {"f": "xyz"}),
    ("/collections", {"f": "xyz"}),
    ("/conformance", {"f": "xyz"}),
    ("/collections/municipalities", {"f": "xyz"}),
    ("/collections/municipalities/items", {"limit": "many"}),
    ("/collections/municipalities/items/7400", {"datetime": "soon"}),
    ("/collections/municipalities/items/7400/versions", {"crs": "EPSG:1"}),
    ("/collections/municipalities/changes", {"from": "soon"}),
    ("/collections/municipalities/download", {"f": "xlsx"}),
    ("/collections/municipalities/metadata", {"f": "pdf"}),
    ("/collections/municipalities/queryables", {"f": "xyz"}),
    ("/collections/incidents_district_month/items", {"limit": "many"}),
    ("/collections/catalogue/items", {"limit": "many"}),
    ("/collections/no2_station_series/position", {"coords": "nowhere"}),
    ("/collections/no2_station_series/items", {"datetime": "soon"}),
    ("/download", {"date": "soon"}),
    ("/metadata", {"f": "pdf"}),
    ("/geolocate", {"lon": "east"}),
    ("/processes/link", {"f": "xyz"}),
]
UNKNOWN_COLLECTION = ["/collections/{}", "/collections/{}/items", "/collections/{}/items/1",
                      "/collections/{}/items/1/versions", "/collections/{}/changes?from=2020-01-01",
                      "/collections/{}/download", "/collections/{}/metadata",
                      "/collections/{}/queryables"]
UNKNOWN_FEATURE = ["/collections/municipalities/items/{}",
                   "/collections/municipalities/items/{}/versions",
                   "/collections/districts/items/{}", "/collections/catalogue/items/{}"]
OPEN311 = [  # method, path, form, status
    ("GET", "/open311/v2/services/999999.json", None, 404),
    ("GET", "/open311/v2/requests/999999999.json", None, 404),
    ("GET", "/open311/v2/requests.json?status=pending", None, 400),
    ("GET", "/open311/v2/services.txt", None, 404),
    ("POST", "/open311/v2/requests.json", {"service_code": "152"}, 401),
    ("POST", "/open311/v2/requests.json", {"service_code": "152", "api_key": "nope"}, 403),
]


def one_shape(r: httpx.Response) -> dict:
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body, dict) and set(body) == {"code", "description", "hint"}, body
    assert all(isinstance(v, str) and v for v in body.values()), body
    return body


@pytest.mark.parametrize(("path", "params"), BAD_PARAMETER)
def test_a_bad_parameter(service, path, params):
    r = httpx.get(service + path, params=params, timeout=60)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    one_shape(r)


@pytest.mark.parametrize("path", UNKNOWN_COLLECTION)
def test_an_unknown_collection(service, path):
    r = httpx.get(service + path.format("rivers"), timeout=60)
    assert r.status_code == 404, (r.status_code, r.text[:300])
    one_shape(r)


@pytest.mark.parametrize("path", UNKNOWN_FEATURE)
def test_an_unknown_feature(service, path):
    r = httpx.get(service + path.format("999999999"), timeout=60)
    assert r.status_code == 404, (r.status_code, r.text[:300])
    one_shape(r)


def test_an_unknown_path_and_process(service):
    for path in ("/nowhere", "/processes/nope", "/collections/municipalities/nowhere"):
        r = httpx.get(service + path, timeout=30)
        assert r.status_code == 404, (path, r.text)
        one_shape(r)


@pytest.mark.parametrize(("method", "path", "form", "status"), OPEN311)
def test_open311_in_its_format_with_the_same_message(service, method, path, form, status):
    r = httpx.request(method, service + path, data=form, timeout=30)
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body, list) and len(body) == 1, body
    assert body[0]["code"] == status and body[0]["description"] and body[0]["hint"], body
    xml = httpx.request(method, service + path.replace(".json", ".xml"), data=form,
                        timeout=30)
    if ".json" in path:  # the XML twin says the same
        assert xml.status_code == status and body[0]["description"].split(" ")[0] in xml.text
