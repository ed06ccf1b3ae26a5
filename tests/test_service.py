# SPDX-License-Identifier: EUPL-1.2
"""The running service, with real clients: httpx, OWSLib, GDAL's OAPIF driver."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

import httpx
import pytest
from shapely.geometry import shape
from strata_helpers import snap, source_ways

from layers.catalogue import load_catalogue

GEOJSON = "application/geo+json"
LAYERS = set(load_catalogue().layers)


def get(service, path, **kw):
    return httpx.get(f"{service}{path}", timeout=60, **kw)


def all_items(service, layer, **params):
    """Follow the next links to the end."""
    url = f"{service}/collections/{layer}/items"
    params = {"limit": 500, **params}
    features = []
    while url:
        body = httpx.get(url, params=params, timeout=60).json()
        features += body["features"]
        params = None
        url = next((lk["href"] for lk in body["links"] if lk["rel"] == "next"), None)
    return features


def test_landing_conformance_openapi(service):
    assert get(service, "/").status_code == 200
    assert httpx.head(f"{service}/", timeout=10).status_code == 200
    conf = get(service, "/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert get(service, "/openapi", params={"f": "json"}).json()["openapi"].startswith("3.0")


def test_items_are_geojson_with_paging(service):
    r = get(service, "/collections/districts/items", params={"limit": 50})
    assert r.status_code == 200 and r.headers["content-type"] == GEOJSON
    body = r.json()
    assert body["numberReturned"] == 50 and body["numberMatched"] == 145
    features = all_items(service, "districts")
    assert len(features) == 145 and len({f["id"] for f in features}) == 145
    offset = get(service, "/collections/districts/items",
                 params={"limit": 10, "offset": 140}).json()
    assert [f["id"] for f in offset["features"]] == sorted(f["id"] for f in features)[140:]


def test_api_equals_cli_snapshot(service, loaded):
    features = all_items(service, "municipalities", datetime="2016-01-01", crs="EPSG:31370")
    frame = snap(loaded, "municipalities", "2016-01-01")
    assert sorted(f["id"] for f in features) == sorted(frame.index)
    for f in features:
        ours = shape(f["geometry"])
        assert ours.symmetric_difference(frame.geometry[f["id"]]).area < 1.0  # mm rounding
        assert f["properties"]["name_fr"] == frame.name_fr[f["id"]]


def test_map_of_a_date(service):
    names = {f["id"]: f["properties"]["name_fr"]
             for f in all_items(service, "municipalities", datetime="2016-01-01")}
    assert names[7400] == "Bruxelles-Ville"
    names = {f["id"]: f["properties"]["name_fr"]
             for f in all_items(service, "municipalities", datetime="2022-01-01")}
    assert names[7400] == "Bruxelles"
    assert get(service, "/collections/municipalities/items",
               params={"datetime": "2010-01-01"}).json()["features"] == []


def test_interval_lists_every_version_alive(service):
    body = all_items(service, "municipalities", datetime="2015-01-01/2022-01-01")
    assert len(body) == 38 and len({f["id"] for f in body}) == 38  # a unique id per version


def test_removed_street_is_gone_later(service):
    removed = sorted(set(source_ways("2020-04-27")) - set(source_ways("2020-10-01")))[0]
    path = f"/collections/streets/items/{removed}"
    before = get(service, path, params={"datetime": "2020-05-01"})
    assert before.status_code == 200
    assert before.headers["Memento-Datetime"].startswith("Sun, 26 Apr 2020 22:00:00")
    after = get(service, path, params={"datetime": "2021-01-01"})
    assert after.status_code == 410 and after.json()["code"] == "Gone"
    assert get(service, "/collections/streets/items/1").status_code == 404


def test_versions_of_a_commune(service):
    body = get(service, "/collections/municipalities/items/7400/versions").json()
    assert [f["properties"]["name_fr"] for f in body["features"]] == [
        "Bruxelles-Ville", "Bruxelles"]
    item = get(service, "/collections/municipalities/items/7400",
               params={"datetime": "2016-01-01"})
    rels = {lk["rel"]: lk["href"] for lk in item.json()["links"]}
    assert {"latest-version", "version-history", "successor-version"} <= set(rels)
    assert "predecessor-version" not in rels
    assert item.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert item.headers["ETag"]
    now = get(service, "/collections/municipalities/items/7400")
    assert "immutable" not in now.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/collections/municipalities/items",
                                  "/collections/municipalities/items/7400"])
def test_a_past_answer_is_a_304_to_who_holds_it_and_names_its_representation(service, path):
    """The ETag of an immutable answer is weak (its timeStamp says when it was made), names
    the representation (JSON or HTML, fr or nl), and the answer says it varies by Accept
    and Accept-Language; a client holding it gets a 304."""
    params = {"datetime": "2016-01-01"}
    answers = {(kind, lang): get(service, path, params=params,
                                 headers={"Accept": kind, "Accept-Language": lang})
               for kind in ("application/geo+json", "text/html") for lang in ("fr", "nl")}
    tags = {key: r.headers["etag"] for key, r in answers.items()}
    assert len(set(tags.values())) == 4 and all(t.startswith('W/"') for t in tags.values())
    for (kind, lang), r in answers.items():
        assert r.status_code == 200 and kind.split("/")[1] in r.headers["content-type"]
        vary = {v.strip().lower() for v in r.headers["vary"].split(",")}
        assert {"accept", "accept-language"} <= vary
        again = get(service, path, params=params, headers={
            "Accept": kind, "Accept-Language": lang, "If-None-Match": tags[(kind, lang)]})
        assert again.status_code == 304 and not again.content
        assert again.headers["etag"] == tags[(kind, lang)]
        other = get(service, path, params=params, headers={
            "Accept": kind, "Accept-Language": lang, "If-None-Match": '"something-else"'})
        assert other.status_code == 200


def test_accept_is_read_by_its_q_values_and_pages_say_their_direction(service):
    path = "/collections/municipalities/items"
    json_first = get(service, path, headers={"Accept": "text/html;q=0.1, application/geo+json"})
    assert "json" in json_first.headers["content-type"]
    browser = get(service, path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert "text/html" in browser.headers["content-type"]
    assert 'dir="ltr"' in browser.text and "text_direction" not in browser.text


def test_crs_and_bbox(service):
    lambert = get(service, "/collections/municipalities/items",
                  params={"crs": "http://www.opengis.net/def/crs/EPSG/0/31370", "limit": 1})
    assert lambert.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/31370>"
    x, y = lambert.json()["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 140_000 < x < 160_000 and 160_000 < y < 180_000
    wgs = get(service, "/collections/municipalities/items",
              params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4326", "limit": 1}).json()
    lat, lon = wgs["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 50 < lat < 51 and 4 < lon < 5  # EPSG:4326 is latitude first
    grand_place = {"bbox": "4.3515,50.8465,4.3530,50.8472"}
    ids = {f["id"] for f in all_items(service, "municipalities", **grand_place)}
    assert ids == {7400}
    lambert_box = {"bbox": "149000,170400,149300,170600",
                   "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/31370"}
    assert {f["id"] for f in all_items(service, "municipalities", **lambert_box)} == {7400}


@pytest.mark.parametrize("params,needle", [
    ({"bbox": "a,b,c,d"}, "not a list of numbers"),
    ({"bbox": "4,50,3,51"}, "lower corner"),
    ({"limit": "0"}, "out of range"),
    ({"limit": "ten"}, "not a whole number"),
    ({"crs": "EPSG:2154"}, "unsupported CRS"),
    ({"bbox-crs": "urn:nowhere"}, "unsupported CRS"),
    ({"datetime": "yesterday"}, "not an instant or an interval"),
    ({"datetime": "2022-01-01/2021-01-01"}, "ends before it starts"),
    ({"properties": "nope"}, "not in municipalities"),
    ({"sortby": "-nope"}, "is not a property"),
    ({"colour": "red"}, "unknown query parameter"),
])
def test_bad_parameters_give_400_with_one_shape(service, params, needle):
    r = get(service, "/collections/municipalities/items", params=params)
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"code", "description", "hint"} and needle in body["description"]


def test_changes_endpoint_equals_cli(service, loaded, tmp_path):
    out = tmp_path / "cli.jsonl"
    assert loaded.run("changes", "streets", "--from", "2020-04-27", "--to", "2021-04-12",
                      "-o", str(out)).exit_code == 0
    r = get(service, "/collections/streets/changes",
            params={"from": "2020-04-27", "to": "2021-04-12", "f": "jsonl"})
    assert r.status_code == 200
    ours = [json.loads(line) for line in r.text.splitlines()[1:]]
    cli = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert [(d["id"], d["action"]) for d in ours] == [(d["id"], d["action"]) for d in cli]
    gpkg = get(service, "/collections/streets/changes",
               params={"from": "2020-04-27", "to": "2020-10-01", "f": "gpkg"})
    assert gpkg.headers["content-type"] == "application/geopackage+sqlite3"
    assert get(service, "/collections/streets/changes", params={"to": "2021-01-01"}
               ).status_code == 400


def test_downloads_of_a_date(service, tmp_path):
    import geopandas as gpd

    for f in ("gpkg", "geojson", "fgb", "shp", "csv"):
        r = get(service, "/collections/districts/download", params={"date": "2017-01-01", "f": f})
        assert r.status_code == 200, (f, r.text[:300])
        assert int(r.headers["content-length"]) == len(r.content) > 0
        # on or before the newest edition: fixed forever (editions are never backdated)
        assert r.headers["Cache-Control"].endswith("immutable")
    later = get(service, "/collections/districts/download", params={"date": "2018-01-01"})
    assert "immutable" not in later.headers["Cache-Control"]  # a 2017-06 edition may come
    path = tmp_path / "d.gpkg"
    path.write_bytes(get(service, "/collections/districts/download",
                         params={"date": "2018-01-01"}).content)
    assert len(gpd.read_file(path)) == 145
    whole = get(service, "/download", params={"date": "2021-06-01"})
    path.write_bytes(whole.content)
    import pyogrio

    assert {name for name, _ in pyogrio.list_layers(path)} >= {"streets", "municipalities"}


def test_ranges_of_a_download(service):
    """A part of a file is a 206; a range beyond its end a 416 in the one error shape (in the
    asked language, with the size); a Range that cannot be read gives the whole file."""
    path, params = "/collections/districts/download", {"date": "2017-01-01", "f": "csv"}
    whole = get(service, path, params=params)
    size = len(whole.content)
    part = get(service, path, params=params, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == whole.content[10:20]
    beyond = get(service, path, params={**params, "lang": "fr"},
                 headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{size}"
    assert beyond.headers["Content-Type"].startswith("application/json")
    body = beyond.json()
    assert body["code"] == "RangeNotSatisfiable" and "fin du fichier" in body["description"]
    assert body["hint"] and beyond.headers["Content-Language"] == "fr"
    for unread in ("items=0-5", "bytes=20-10", "bytes=", "bytes=a-b"):
        r = get(service, path, params=params, headers={"Range": unread})
        assert r.status_code == 200 and r.content == whole.content, unread


def test_inspire_links_metadata_and_enclosures(service):
    cols = get(service, "/collections").json()
    top = {(lk["rel"], lk.get("type")) for lk in cols["links"]}
    assert {("license", "text/html"), ("describedby", "application/xml"),
            ("describedby", "text/html"), ("enclosure", "application/geopackage+sqlite3")} <= top
    series = next(lk["href"] for lk in cols["links"]
                  if lk["rel"] == "describedby" and lk["type"] == "application/xml")
    root = ET.fromstring(httpx.get(series, timeout=30).content)
    scope = root.find(".//{http://www.isotc211.org/2005/gmd}MD_ScopeCode")
    assert scope is not None and scope.text == "series"
    enclosure = next(lk["href"] for lk in cols["links"] if lk["rel"] == "enclosure")
    assert int(httpx.head(enclosure, timeout=300).headers["content-length"]) > 0
    for coll in cols["collections"]:
        if coll["id"] not in LAYERS:  # the records catalogue, views: not INSPIRE data sets
            continue
        links = coll["links"]
        rels = {lk["rel"] for lk in links}
        assert {"license", "describedby", "enclosure"} <= rels, coll["id"]
        for lk in links:
            if lk["rel"] == "enclosure":
                assert lk["hreflang"] and lk["title"] and lk["type"]
                head = httpx.head(lk["href"], timeout=120)
                assert head.status_code == 200 and int(head.headers["content-length"]) > 0
            if lk["rel"] == "describedby" and lk["type"] == "application/xml":
                root = ET.fromstring(get(service, lk["href"].replace(service, "")).content)
                assert root.tag == "{http://www.isotc211.org/2005/gmd}MD_Metadata"
        crs = get(service, f"/collections/{coll['id']}").json()["crs"]
        assert "http://www.opengis.net/def/crs/EPSG/0/4258" in crs
    tags = [lk for lk in get(service, "/collections/municipalities").json()["links"]
            if lk["rel"] == "tag"]
    assert tags and "AdministrativeUnit" in tags[0]["href"]


@pytest.mark.parametrize("path", ["/", "/collections", "/collections/municipalities",
                                  "/collections/municipalities/items",
                                  "/collections/municipalities/items/7400"])
def test_languages(service, path):
    fr = get(service, path, headers={"Accept-Language": "fr"})
    nl = get(service, path, headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert fr.headers["Content-Language"].startswith("fr")
    assert nl.headers["Content-Language"].startswith("nl")
    for header, status, lang in (("xx", 200, "en"), ("fr;q=0", 200, "en"),
                                 ("en;q=0, de", 200, "fr"), ("xx,*;q=0.0", 406, None),
                                 ("de,*;q=0", 406, None), ("*;q=0", 406, None)):
        r = get(service, path, headers={"Accept-Language": header})
        # none of ours preferred: English, or the first not refused; all refused: 406 (INSPIRE)
        assert r.status_code == status, (header, r.status_code)
        if lang:
            assert r.headers["Content-Language"].startswith(lang), (header, r.headers)
        else:
            assert "fr, nl" in r.json()["description"] or "en, fr, nl" in r.json()[
                "description"], r.json()
    if path == "/collections/municipalities":
        assert fr.json()["title"] == "Communes" and nl.json()["title"] == "Gemeenten"
    # lang= names a language of ours: it wins over a header refusing them all
    chosen = get(service, path, params={"lang": "nl"}, headers={"Accept-Language": "*;q=0"})
    assert chosen.status_code == 200, chosen.text


def test_owslib_reads_collections_and_items(service):
    from owslib.ogcapi.features import Features

    api = Features(service)
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {"municipalities", "streets", "districts"} <= ids
    items = api.collection_items("municipalities", limit=50, datetime_="2016-01-01")
    names = {f["properties"]["name_fr"] for f in items["features"]}
    assert "Bruxelles-Ville" in names and len(items["features"]) == 19


def test_gdal_copies_a_collection(service, tmp_path):
    out = tmp_path / "districts.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{service}", "districts"],
                   check=True, capture_output=True, timeout=300)
    info = subprocess.run(["ogrinfo", "-so", "-al", str(out)], capture_output=True,
                          text=True, check=True).stdout
    assert "Feature Count: 145" in info
    streets = subprocess.run(["ogrinfo", "-so", f"OAPIF:{service}", "streets"],
                             capture_output=True, text=True, timeout=300).stdout
    assert "Feature Count: 7192" in streets


def test_html_items_through_pygeoapi(service):
    r = get(service, "/collections/municipalities/items", params={"f": "html"})
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "Anderlecht" in r.text


@pytest.mark.parametrize("params,expected", [
    ({"bbox": "-180,-90,180,90"}, 19),  # a box reaching a pole: cut to where Lambert works
    ({"bbox": "-179,-90,179,90"}, 19),
    ({"bbox": "4.3524,50.8467,4.3524,50.8467"}, 1),  # a point: the commune under it
    ({"bbox": "4.3524,50.78,4.3524,50.90"}, None),  # a line across communes
    ({"bbox": "149000,170000,149000,170000", "bbox-crs": "EPSG:31370"}, 1),
    ({"bbox": "-1e7,-1e7,1e7,1e7", "bbox-crs": "EPSG:3035"}, 19),
    ({"bbox": "10,10,20,20"}, 0),  # wholly elsewhere
    ({"filter": "S_INTERSECTS(geometry, BBOX(-180, -90, 180, 90))"}, 19),
    ({"filter": "S_INTERSECTS(geometry, BBOX(4.3524, 50.8467, 4.3524, 50.8467))"}, 1),
    ({"filter": "S_INTERSECTS(geometry, POLYGON((-170 -89, 170 -89, 170 89, -170 89, "
                "-170 -89)))"}, 19),
])
def test_boxes_reaching_poles_flat_or_far_away(service, params, expected):
    """A box or filter geometry beyond where the storage CRS projects, of no width, or in
    metres far out, is answered for what it covers (never a 500, never an empty page by
    mistake)."""
    r = get(service, "/collections/municipalities/items", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    if expected is None:
        assert len(r.json()["features"]) >= 2
    else:
        assert len(r.json()["features"]) == expected


@pytest.mark.parametrize("params,expected", [
    ({"filter": "name_fr = 'Ixelles'"}, {7900}),
    ({"filter": "S_INTERSECTS(geometry, POINT(4.3524 50.8467))"}, {7400}),
    ({"filter": "name_fr = 'Bruxelles-Ville'", "datetime": "2016-01-01"}, {7400}),
    ({"filter": "name_fr LIKE 'Woluwe%' AND municipality_id > 8850"}, {8900}),
    ({"filter": "municipality_id IN (7400, 7900) AND NOT (name_nl = 'Elsene')"}, {7400}),
    ({"filter": "S_WITHIN(geometry, BBOX(149000, 170400, 152000, 173000))",
      "filter-crs": "http://www.opengis.net/def/crs/EPSG/0/31370"}, {8400}),
    ({"filter-lang": "cql2-json", "filter": json.dumps(
        {"op": "and", "args": [
            {"op": "like", "args": [{"property": "name_fr"}, "Saint%"]},
            {"op": "s_intersects", "args": [{"property": "geometry"},
                                            {"bbox": [4.36, 50.84, 4.38, 50.86]}]}]})},
     {8400}),
    ({"filter-lang": "cql2-json", "filter": json.dumps(
        {"op": "t_after", "args": [{"property": "beginLifespanVersion"},
                                   {"timestamp": "2021-01-01T00:00:00Z"}]})}, "all"),
    ({"filter": "name_fr = 'x; DROP TABLE edition; --'"}, set()),  # bound, never pasted
    # a value written first is read in the order written: 8850 < id is id > 8850
    ({"filter": "8750 < municipality_id"}, {8800, 8900}),
    ({"filter-lang": "cql2-json", "filter": json.dumps(
        {"op": ">=", "args": [7400, {"property": "municipality_id"}]})}, {7100, 7200, 7300,
                                                                          7400}),
    ({"filter": "S_WITHIN(POINT(4.3524 50.8467), geometry)"}, {7400}),
    ({"filter": "S_CONTAINS(POLYGON((4.35 50.84, 4.355 50.84, 4.355 50.85, 4.35 50.85, "
                "4.35 50.84)), geometry)"}, set()),
    # temporal predicates as CQL2 text writes them, functions (pygeofilter reads infix only)
    ({"filter": "T_AFTER(beginLifespanVersion, TIMESTAMP('2021-01-01T00:00:00Z'))",
      "datetime": "2022-01-01"}, "all"),
    ({"filter": "t_before(beginLifespanVersion, DATE('2021-01-01')) AND name_fr = 'Ixelles'",
      "datetime": "2016-01-01"}, {7900}),
    ({"filter": "T_BEFORE(beginLifespanVersion, TIMESTAMP('2021-01-01T00:00:00Z'))",
      "datetime": "2022-01-01"}, set()),
    ({"filter": "name_fr = 'T_BEFORE(a, b)' OR INCLUDE"}, "all"),
    ({"filter": "EXCLUDE"}, set()),
    ({"filter-lang": "cql2-json", "filter": json.dumps(
        {"op": "and", "args": [{"op": "=", "args": [{"property": "name_fr"}, "Ixelles"]},
                               True]})}, {7900}),
    ({"filter-lang": "cql2-json", "filter": json.dumps(
        {"op": "or", "args": [{"op": "=", "args": [{"property": "name_fr"}, "Ixelles"]},
                              False]})}, {7900}),
])
def test_cql2_filters(service, params, expected):
    r = get(service, "/collections/municipalities/items", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    ids = {f["id"] for f in r.json()["features"]}
    if expected == "all":
        assert len(ids) == 19
    else:
        assert ids == expected
    assert get(service, "/collections/municipalities/items").status_code == 200


def test_a_quote_in_a_cql2_string_is_written_twice(service):
    """CQL2 (as SQL) writes a quote inside a string twice: Rue de l''Ancre."""
    r = get(service, "/collections/streets/items",
            params={"filter": "name_fr = 'Rue de l''Ancre' OR name_nl = ''", "limit": 10})
    assert r.status_code == 200, r.text
    names = {f["properties"]["name_fr"] for f in r.json()["features"]}
    assert names == {"Rue de l'Ancre"}


@pytest.mark.parametrize("params,needle", [
    ({"filter": "name_fr = "}, "not valid cql2-text"),
    ({"filter": "colour = 'red'"}, "not a queryable"),
    ({"filter": "{}", "filter-lang": "cql2-json"}, "not valid cql2-json"),
    ({"filter": "name_fr = 'x'", "filter-lang": "ecql"}, "not supported"),
    ({"filter-lang": "cql2-text"}, "without a filter"),
    ({"filter": "CASEI(name_fr) = 'ixelles'"}, "the function CASEI(name_fr) is not supported"),
])
def test_bad_filters(service, params, needle):
    r = get(service, "/collections/municipalities/items", params=params)
    assert r.status_code == 400 and needle in r.json()["description"], r.text


def test_inspire_administrative_units(service):
    units = all_items(service, "administrativeunit", datetime="2022-01-01")
    assert len(units) == 20
    by_id = {f["id"]: f["properties"] for f in units}
    brussels = by_id["MU.7400"]
    assert brussels["inspire_id"] == "BE.BRUSSELS.BRIC.ADM.MU.9"
    assert brussels["national_code"] == "21004" and brussels["national_level"] == "5thOrder"
    assert {n["language"]: n["spelling"] for n in brussels["name"]} == {
        "fre": "Bruxelles", "dut": "Brussel"}
    assert by_id["RE.1"]["national_level"] == "2ndOrder" and by_id["RE.1"]["country"] == "BE"
    old = {f["id"]: f["properties"] for f in all_items(service, "administrativeunit",
                                                       datetime="2016-01-01")}
    # the 2015 source has no INSPIRE id: the commune keeps its identity across editions
    assert old["MU.7400"]["inspire_id"] == "BE.BRUSSELS.BRIC.ADM.MU.9"
    assert old["MU.7400"]["name_fr"] == "Bruxelles-Ville"
    assert old["MU.7400"]["endLifespanVersion"] is not None


def test_records_catalogue(service):
    r = get(service, "/collections/catalogue/items", params={"q": "gemeenten"},
            headers={"Accept-Language": "nl"})
    assert r.status_code == 200
    ids = {f["id"] for f in r.json()["features"]}
    assert "municipalities" in ids and "streets" not in ids
    # comma-separated terms: a record holding any of them (OGC API Records); a space is
    # part of a term; the JSON around the texts is not searched
    either = {f["id"] for f in get(service, "/collections/catalogue/items",
                                   params={"q": "streets,districts"}).json()["features"]}
    assert {"streets", "districts"} <= either and "municipalities" not in either
    assert get(service, "/collections/catalogue/items",
               params={"q": '":'}).json()["numberMatched"] == 0
    record = get(service, "/collections/catalogue/items/municipalities",
                 headers={"Accept-Language": "fr"}).json()
    assert record["properties"]["title"] == "Communes"
    assert record["time"]["interval"] == ["2015-07-20", ".."]  # an open end is "..", not null
    permits = get(service, "/collections/catalogue/items/permits").json()
    assert permits["time"] is None  # no edition: of no date
    assert {lk["rel"] for lk in record["links"]} >= {"enclosure", "describedby", "license"}
    old = {f["id"] for f in get(service, "/collections/catalogue/items",
                                params={"datetime": "2016-01-01"}).json()["features"]}
    assert "municipalities" in old and "streets" not in old  # streets begin in 2020
    none = get(service, "/collections/catalogue/items", params={"bbox": "2,49,2.1,49.1"})
    assert none.json()["numberMatched"] == 0


def test_property_equality_and_skip_geometry(service):
    body = get(service, "/collections/municipalities/items",
               params={"name_nl": "Elsene", "skipGeometry": "true"}).json()
    assert [f["id"] for f in body["features"]] == [7900]
    assert body["features"][0]["geometry"] is None
    assert get(service, "/collections/municipalities/items",
               params={"municipality_id": "x"}).status_code == 400


@pytest.mark.parametrize("path,params,needle", [
    ("/collections/municipalities/items/7400", {"datetime": "2016-01-01/2017-01-01"},
     "must be an instant"),
    ("/collections/municipalities/items/7400", {"crs": "EPSG:1"}, "unsupported CRS"),
    ("/collections/municipalities/items/7400/versions", {"limit": "3"}, "unknown query"),
    ("/collections/municipalities/changes", {"from": "2021-01-01", "to": "2015-01-01"},
     "is before"),
    ("/collections/municipalities/changes", {"from": "someday"}, "is not a date"),
    ("/collections/municipalities/changes", {"from": "2015-01-01", "f": "docx"},
     "not a download format"),
    ("/collections/municipalities/download", {"f": "kml"}, "not a download format"),
    ("/collections/municipalities/download", {"date": "2021-02-30"}, "is not a date"),
    ("/download", {"f": "shp"}, "not a download format"),
    ("/collections/municipalities/metadata", {"f": "pdf"}, "is not offered"),
    ("/collections/catalogue/items", {"bbox": "1,2"}, "not 4"),
])
def test_bad_input_on_other_endpoints(service, path, params, needle):
    r = get(service, path, params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"code", "description", "hint"} and needle in body["description"]


def test_unknown_collection_and_feature_are_404(service):
    r = get(service, "/collections/buildingz/items")
    assert r.status_code == 404
    assert get(service, "/collections/buildingz/changes", params={"from": "2020-01-01"}
               ).status_code == 404


@pytest.mark.parametrize("cid", ["municipalities", "streets", "no2_points",
                                 "air_quality_stations"])
def test_a_layers_extent_holds_every_feature(service, cid):
    """The advertised extent is the CRS84 box of the Lambert 72 box of every version, its
    edges projected (its corners alone missed the bulge of its north edge: a bbox equal to
    the extent dropped features)."""
    bbox = get(service, f"/collections/{cid}").json()["extent"]["spatial"]["bbox"][0]
    every = get(service, f"/collections/{cid}/items",
                params={"limit": 10_000, "skipGeometry": "true"}).json()["features"]
    inside = get(service, f"/collections/{cid}/items",
                 params={"limit": 10_000, "skipGeometry": "true",
                         "bbox": ",".join(map(str, bbox))}).json()["features"]
    assert 0 < len(every) < 10_000  # one page holds the whole layer: the counts are whole
    assert len(inside) == len(every)


@pytest.mark.parametrize(("cid", "topic", "theme"), [
    ("municipalities", "boundaries", "Unités administratives"),
    ("streets", "transportation", "Réseaux de transport"),
    ("air_quality_stations", "environment", "Installations de suivi environnemental"),
    ("permits", "planningCadastre", None),
])
def test_iso_metadata_has_what_inspire_asks(service, cid, topic, theme):
    """Each layer's ISO 19139 record: its own topic category; its INSPIRE theme as GEMET's
    label (no empty keyword without a theme); a point of contact, access constraints and a
    lineage; a period of editions only when there is an edition (never an empty one)."""
    text = get(service, f"/collections/{cid}/metadata", params={"f": "xml"}).text
    root = ET.fromstring(text)
    ns = {"gmd": "http://www.isotc211.org/2005/gmd", "gmx": "http://www.isotc211.org/2005/gmx",
          "gml": "http://www.opengis.net/gml/3.2"}
    ident = root.find("gmd:identificationInfo/gmd:MD_DataIdentification", ns)
    assert [e.text for e in ident.iterfind("gmd:topicCategory/gmd:MD_TopicCategoryCode",
                                           ns)] == [topic]
    anchors = [a.text for a in ident.iterfind(".//gmd:keyword/gmx:Anchor", ns)]
    assert anchors == ([theme] if theme else [])
    assert ident.find("gmd:pointOfContact", ns) is not None
    assert ident.find(".//gmd:accessConstraints", ns) is not None
    assert root.find("gmd:dataQualityInfo//gmd:lineage//gmd:statement", ns) is not None
    begins = [b.text for b in ident.iterfind(".//gml:beginPosition", ns)]
    assert begins == ([] if cid == "permits" else [begins[0]]) and all(begins)


def test_an_instant_may_write_t_and_z_in_lowercase(service):
    """RFC 3339 allows "t" and "z" for "T" and "Z" (it was a 400)."""
    upper = get(service, "/collections/municipalities/items/7400",
                params={"datetime": "2016-01-01T12:00:00Z"}).json()
    lower = get(service, "/collections/municipalities/items/7400",
                params={"datetime": "2016-01-01t12:00:00z"})
    assert lower.status_code == 200 and lower.json()["properties"] == upper["properties"]
