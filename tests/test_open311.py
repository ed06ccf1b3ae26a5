# SPDX-License-Identifier: EUPL-1.2
"""Open311 GeoReport v2 against the running service, and the collections over views."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import geopandas as gpd
import httpx
import pandas as pd
import pytest
from strata_helpers import GRAND_PLACE, communes_2021

from layers.catalogue import SHIPPED_DATA as DATA
from layers.references import place_names

V2 = "/open311/v2"


@pytest.fixture(scope="module")
def api_key(loaded):
    result = loaded.run("apikey", "create", "tests-open311")
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def incident_rows(loaded):
    with loaded.store.connect() as conn:
        return conn.execute("SELECT count(*) FROM incident").fetchone()[0]


def test_services_in_three_languages(service):
    fr = httpx.get(f"{service}{V2}/services.json", params={"lang": "fr"}, timeout=30).json()
    nl = httpx.get(f"{service}{V2}/services.json", headers={"Accept-Language": "nl"},
                   timeout=30).json()
    assert len(fr) == len(nl) == 176
    pothole = next(s for s in fr if s["service_code"] == "1")
    assert pothole["group"] == "Revêtement" and pothole["type"] == "realtime"
    assert next(s for s in nl if s["service_code"] == "1")["group"] == "Wegdek"
    # a pothole on a pavement, a carriageway, a cycle path: three services, told apart by
    # their place in every language (the source has it in French only)
    en = httpx.get(f"{service}{V2}/services.json", params={"lang": "en"}, timeout=30).json()
    for answer, names in ((fr, ["Nid de poule (Trottoir)", "Nid de poule (Chaussée)",
                                "Nid de poule (Piste cyclable)"]),
                          (nl, ["gat in de weg (Voetpad)", "gat in de weg (Rijweg)",
                                "gat in de weg (Fietspad)"]),
                          (en, ["Pothole (Pavement)", "Pothole (Carriageway)",
                                "Pothole (Cycle path)"])):
        by_code = {s["service_code"]: s for s in answer}
        assert [by_code[c]["service_name"] for c in ("1", "26", "51")] == names
        assert len({by_code[c]["description"] for c in ("1", "26", "51")}) == 3
    xml = httpx.get(f"{service}{V2}/services.xml", timeout=30)
    assert xml.headers["content-type"].startswith("text/xml")
    assert len(ET.fromstring(xml.content).findall("service")) == 176
    one = httpx.get(f"{service}{V2}/services/1.json", timeout=30).json()
    assert one == {"service_code": "1", "attributes": []}
    missing = httpx.get(f"{service}{V2}/services/99999.json", timeout=30)
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_every_place_of_the_categories_is_translated():
    places = set(pd.read_csv(DATA / "fixmystreet/categories.csv")["place_fr"].dropna())
    names = place_names()
    assert places <= set(names), places - set(names)
    assert all(set(names[p]) == {"fr", "nl", "en"} and all(names[p].values()) for p in places)


def test_post_then_get_with_municipality_and_responsible_body(service, loaded, api_key):
    r = httpx.post(f"{service}{V2}/requests.json", data={
        "api_key": api_key, "service_code": "1", "lat": GRAND_PLACE[1], "long": GRAND_PLACE[0],
        "description": "Nid de poule", "email": "someone@example.org",
        "first_name": "Jeanne", "phone": "+32 2 000 00 00"}, timeout=30)
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    got = httpx.get(f"{service}{V2}/requests/{rid}.json", timeout=30).json()
    assert len(got) == 1
    req = got[0]
    assert req["municipality"] == "Bruxelles" and req["agency_responsible"] == "Bruxelles-Ville"
    assert req["service_code"] == "1" and req["status"] == "open" and req["zipcode"] == "1000"
    assert req["lat"] == pytest.approx(GRAND_PLACE[1]) and req["routing_rule"] == "municipality"
    assert "someone@example.org" not in str(got) and "Jeanne" not in str(got)
    listed = httpx.get(f"{service}{V2}/requests.json", params={"service_code": "1"},
                       timeout=30).json()
    assert rid in [x["service_request_id"] for x in listed]
    xml = ET.fromstring(httpx.get(f"{service}{V2}/requests/{rid}.xml", timeout=30).content)
    assert xml.find("request/agency_responsible").text == "Bruxelles-Ville"
    # the read-only collection: public fields only
    feature = httpx.get(f"{service}/collections/incidents/items/{rid}", params={"f": "json"},
                        timeout=30).json()
    assert feature["properties"]["agency_fr"] == "Bruxelles-Ville"
    text = str(feature)
    assert "someone@example.org" not in text and "Jeanne" not in text and "email" not in text
    # by address
    by_address = httpx.post(f"{service}{V2}/requests.xml", data={
        "api_key": api_key, "service_code": "1",
        "address_string": "Boulevard Lambermont 200, 1030 Schaerbeek"}, timeout=30)
    assert by_address.status_code == 201, by_address.text
    new = ET.fromstring(by_address.content).find("request/service_request_id").text
    again = httpx.get(f"{service}{V2}/requests/{new}.json", timeout=30).json()[0]
    assert again["municipality"] in ("Schaerbeek", "Evere", "Bruxelles")


def test_a_reports_picture_is_linked_only_when_it_is_a_web_address(service, loaded, api_key):
    """The incident's HTML page shows an http(s) picture; a value of another scheme (as a
    store written before media_url was checked may hold) is text, never a link."""
    r = httpx.post(f"{service}{V2}/requests.json", data={
        "api_key": api_key, "service_code": "1", "lat": GRAND_PLACE[1], "long": GRAND_PLACE[0],
        "media_url": "https://example.org/hole.jpg"}, timeout=30)
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    page = httpx.get(f"{service}/collections/incidents/items/{rid}", params={"f": "html"},
                     timeout=30)
    assert '<img src="https://example.org/hole.jpg"' in page.text
    with loaded.store.connect() as conn:
        conn.execute("UPDATE incident SET media_url = %s WHERE id = %s",
                     ("javascript:alert(document.domain)//x.png", int(rid)))
    page = httpx.get(f"{service}/collections/incidents/items/{rid}", params={"f": "html"},
                     timeout=30)
    assert page.status_code == 200 and "javascript:alert(document.domain)" in page.text
    assert 'href="javascript' not in page.text.lower()
    assert 'src="javascript' not in page.text.lower()


def test_keys_are_required(service, loaded):
    before = incident_rows(loaded)
    none = httpx.post(f"{service}{V2}/requests.json",
                      data={"service_code": "1", "lat": "50.85", "long": "4.35"}, timeout=30)
    assert none.status_code == 401 and none.json()[0]["code"] == 401
    wrong = httpx.post(f"{service}{V2}/requests.xml", data={
        "api_key": "not-a-key", "service_code": "1", "lat": "50.85", "long": "4.35"},
        timeout=30)
    assert wrong.status_code == 403
    assert ET.fromstring(wrong.content).find("error/code").text == "403"
    assert incident_rows(loaded) == before


@pytest.mark.parametrize("data, needle", [
    ({"service_code": "1", "lat": "north", "long": "4.35"}, "not a number"),
    ({"service_code": "1", "lat": "95", "long": "4.35"}, "not a longitude / latitude"),
    ({"service_code": "1", "lat": "50.85"}, "both lat and long"),
    ({"service_code": "424242", "lat": "50.85", "long": "4.35"}, "unknown"),
    ({"service_code": "pothole", "lat": "50.85", "long": "4.35"}, "not a service code"),
    ({"service_code": "1", "lat": "50.80", "long": "4.25"}, "outside"),
    ({"service_code": "1", "address_string": "Nowhere Lane 1"}, "no street"),
    ({"service_code": "1"}, "needs a place"),
    ({"service_code": "\u0661", "lat": "50.85", "long": "4.35"}, "not a service code"),
    ({"service_code": " 1 ", "lat": "50.85", "long": "4.35"}, "not a service code"),
    ({"service_code": "9" * 4301, "lat": "50.85", "long": "4.35"}, "service_code"),
    ([("service_code", "1"), ("service_code", "2"), ("lat", "50.85"), ("long", "4.35")],
     "given more than once: service_code"),
    # a picture's address is linked on the incident's page: only http(s) is taken
    ({"service_code": "1", "lat": "50.85", "long": "4.35",
      "media_url": "javascript:alert(document.domain)//x.png"}, "media_url"),
    ({"service_code": "1", "lat": "50.85", "long": "4.35",
      "media_url": " JavaScript:alert(1)"}, "media_url"),
    ({"service_code": "1", "lat": "50.85", "long": "4.35",
      "media_url": "data:image/png;base64,AAAA"}, "media_url"),
    ({"service_code": "1", "lat": "50.85", "long": "4.35", "media_url": "https:///x.png"},
     "media_url"),
])
def test_bad_reports_are_400_and_store_nothing(service, loaded, api_key, data, needle):
    before = incident_rows(loaded)
    pairs = [("api_key", api_key), *(data.items() if isinstance(data, dict) else data)]
    r = httpx.post(f"{service}{V2}/requests.json", content=urlencode(pairs), timeout=30,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body[0]["code"] == 400 and needle in body[0]["description"]
    assert incident_rows(loaded) == before


def test_bodies_that_cannot_be_read_are_400_and_store_nothing(service, loaded, api_key):
    """A half UTF-16 pair from a JSON escape (PostgreSQL cannot hold it), a multipart body
    that cannot be parsed: the spec's list of errors (XML in .xml, in the language asked),
    not a 500 nor another shape."""
    before = incident_rows(loaded)
    r = httpx.post(f"{service}{V2}/requests.json", content=(
        '{"api_key": "' + api_key + '", "service_code": "1", "lat": "50.85", '
        '"long": "4.35", "description": "a\\ud800"}').encode(),
        headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 400 and "UTF-16" in r.json()[0]["description"], r.text
    for ctype in ("multipart/form-data", "multipart/form-data; boundary=b"):
        r = httpx.post(f"{service}{V2}/requests.json", content=b"garbage",
                       headers={"Content-Type": ctype}, timeout=30)
        assert r.status_code == 400 and r.json()[0]["code"] == 400, r.text
        assert "multipart" in r.json()[0]["description"] and r.json()[0]["hint"]
    r = httpx.post(f"{service}{V2}/requests.xml", params={"lang": "nl"}, content=b"garbage",
                   headers={"Content-Type": "multipart/form-data; boundary=b"}, timeout=30)
    assert r.status_code == 400 and r.headers["Content-Language"] == "nl", r.text
    said = ET.fromstring(r.content).find("error/description").text
    assert said == "de body is geen leesbaar multipart-formulier", said
    # a body of another type is a 415 that names the types read, whatever its key: it is
    # not counted as a wrong key
    for ctype in ("text/plain", "application/xml"):
        r = httpx.post(f"{service}{V2}/requests.json", params={"lang": "fr"},
                       content=f"api_key={api_key}&service_code=1&lat=50.85&long=4.35",
                       headers={"Content-Type": ctype}, timeout=30)
        assert r.status_code == 415, r.text
        [error] = r.json()
        assert error["code"] == 415 and ctype in error["description"], error
        assert "application/x-www-form-urlencoded" in error["hint"]
        assert r.headers["Content-Language"] == "fr", error
    assert incident_rows(loaded) == before


@pytest.mark.parametrize("params, needle", [
    ({"start_date": "31/01/2026"}, "not a date"),
    ({"start_date": "2026-02-01", "end_date": "2026-01-01"}, "after end_date"),
    ({"status": "pending"}, "open or closed"),
    ({"bbox": "4.3,50.8"}, "bbox"),
    ({"page_size": "5000"}, "page_size"),
    ([("status", "open"), ("status", "closed")], "given more than once: status"),
    ([("service_request_id", "5"), ("service_request_id", "6")],
     "given more than once: service_request_id"),
])
def test_bad_queries_are_400(service, params, needle):
    r = httpx.get(f"{service}{V2}/requests.xml", params=params, timeout=30)
    assert r.status_code == 400
    assert needle in ET.fromstring(r.content).find("error/description").text


def test_aggregate_collections(service, api_key):
    months = httpx.get(f"{service}/collections/incidents_district_month/items",
                       params={"f": "json", "limit": 500}, timeout=30).json()
    assert sum(f["properties"]["n_incidents"] for f in months["features"]) >= 1
    grand_place = [f for f in months["features"]
                   if f["properties"]["name_fr"] == "GRAND PLACE"]
    assert grand_place and grand_place[0]["properties"]["n_incidents"] >= 1
    per_street = httpx.get(f"{service}/collections/worksites_per_street/items",
                           params={"f": "json", "limit": 1000}, timeout=30).json()
    links = httpx.get(f"{service}/collections/worksite_links/items",
                      params={"f": "json", "limit": 1}, timeout=30).json()
    assert links["numberMatched"] == 1833
    assert sum(f["properties"]["n_worksites"] for f in per_street["features"]) == \
        httpx.get(f"{service}/collections/worksite_links/items",
                  params={"f": "json", "limit": 1, "name_agrees": "true"},
                  timeout=30).json()["numberMatched"] + sum(
            f["properties"]["n_worksites"] - f["properties"]["n_name_agrees"]
            for f in per_street["features"])


def test_curieuzenair_points_per_commune_equal_geopandas(loaded, tmp_path):
    out = tmp_path / "no2.gpkg"
    result = loaded.run("link", "layer:no2_points", "-o", str(out), "--date", "2021-10-01",
                        "--to", "municipalities,districts")
    assert result.exit_code == 0, result.output
    linked = gpd.read_file(out)
    ours = linked.groupby("municipalities_id").size()
    points = gpd.read_file(DATA / "air_quality/curieuzenair_no2_points.geojson").to_crs(31370)
    communes = communes_2021().reset_index()[["mid", "geometry"]]
    joined = gpd.sjoin(points, communes, predicate="intersects")
    joined = joined.reset_index().sort_values(["index", "mid"]).drop_duplicates("index")
    theirs = joined.groupby("mid").size()
    assert ours.to_dict() == theirs.to_dict()
    assert ours.sum() >= 2480


def test_no2_per_district_and_year(loaded):
    with loaded.store.connect() as conn:
        rows = conn.execute("SELECT source, count(*), sum(n_measures) FROM no2_district_year "
                            "GROUP BY source ORDER BY source").fetchall()
        stations_in = conn.execute(
            "SELECT count(*) FROM no2_annual_mean y JOIN layer_air_quality_stations s "
            "ON s.fid = y.station JOIN layer_region r ON ST_Intersects(r.geom, s.geom) "
            "WHERE y.no2_ug_m3 IS NOT NULL").fetchone()[0]
    sources = {r[0]: (r[1], r[2]) for r in rows}
    assert sources["curieuzenair"][1] >= 2480
    assert sources["irceline"][1] == stations_in  # every station-year inside the region


def test_discovery_and_unknown_paths_in_the_specs_formats(service):
    doc = httpx.get(f"{service}/open311/discovery.json", timeout=30).json()
    endpoint = doc["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and "text/xml" in endpoint["formats"]
    services = httpx.get(f"{endpoint['url'].replace('http://localhost:5000', service)}"
                         "/services.json", timeout=30)
    xml = ET.fromstring(httpx.get(f"{service}/open311/discovery.xml", timeout=30).content)
    assert xml.find("endpoints/endpoint/specification").text == endpoint["specification"]
    assert services.status_code == 200
    r = httpx.get(f"{service}/open311/v2/nothing.json", timeout=30)
    assert r.status_code == 404 and r.json()[0]["code"] == 404 and r.json()[0]["hint"]
    # in the app's language, the format's error whole (its hint was half English)
    nl = httpx.get(f"{service}/open311/discovery.json", params={"lang": "nl"}, timeout=30)
    assert nl.headers["Content-Language"] == "nl"
    assert nl.json()["key_service"].startswith("API-sleutels worden door de servicedesk")
    csv = httpx.get(f"{service}/open311/v2/services.csv", params={"lang": "fr"}, timeout=30)
    assert csv.status_code == 404 and csv.headers["Content-Language"] == "fr"
    assert csv.json()[0] == {"code": 404, "description": "le format .csv n'est pas offert",
                             "hint": "utilisez .json ou .xml"}


@pytest.mark.parametrize(("lang", "said"), [
    ("nl", 'geen straat van Brussel heeft een naam zoals "Rue qui n\'existe pas", in het '
           'adres "Rue qui n\'existe pas 1, 1000 Bruxelles"'),
    ("fr", 'aucune rue de Bruxelles ne porte un nom comme "Rue qui n\'existe pas", dans '
           'l\'adresse "Rue qui n\'existe pas 1, 1000 Bruxelles"'),
])
def test_an_unknown_street_is_said_whole_in_the_apps_language(service, api_key, lang, said):
    """An app's report at an address no street has: the message (made of the address and
    of what is wrong with it) said whole in the language asked, not half English."""
    r = httpx.post(f"{service}{V2}/requests.json", params={"lang": lang}, data={
        "api_key": api_key, "service_code": "1",
        "address_string": "Rue qui n'existe pas 1, 1000 Bruxelles"}, timeout=30)
    assert r.status_code == 400, r.text
    assert r.json()[0]["description"] == said, r.json()
