# SPDX-License-Identifier: EUPL-1.2
"""The OGC API process ``link`` against the running service: the same answers as the database
link and the permit_links view, on a GeoJSON body, a stored layer and the incidents."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest
from strata_helpers import CITY, GRAND_PLACE, links, moved_ground, seeded_points

from linking.bulk import Records, link, targets

EXECUTE = "/processes/link/execution"


def execute(service, inputs, **kw):
    return httpx.post(f"{service}{EXECUTE}", json={"inputs": inputs}, timeout=120, **kw)


def test_process_is_described_in_three_languages(service):
    en = httpx.get(f"{service}/processes/link", params={"f": "json"}, timeout=30).json()
    assert set(en["inputs"]) == {"features", "csv", "xy", "crs", "collection", "date_field",
                                 "date", "to", "within"}
    assert en["outputs"]["linked"]["schema"]["type"] == "object"
    assert en["inputs"]["features"]["schema"]["contentMediaType"] == "application/geo+json"
    fr = httpx.get(f"{service}/processes/link", params={"f": "json", "lang": "fr"},
                   timeout=30).json()
    assert fr["title"] == "Lier à la carte de leur date"
    listed = httpx.get(f"{service}/processes", params={"f": "json"}, timeout=30).json()
    assert [p["id"] for p in listed["processes"]] == ["link"]


def test_geojson_records_linked_as_the_database_links_them(service, loaded):
    points = seeded_points(300, seed=21).to_crs(4326)
    point, before, after = moved_ground()
    r = execute(service, {"features": points.__geo_interface__, "date_field": "reported"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    got = pd.DataFrame([f["properties"] for f in r.json()["features"]]).set_index("ref")
    s = loaded.store
    back = points.to_crs(31370)
    at = pd.DatetimeIndex(points["reported"]).tz_localize(CITY).tz_convert("UTC")
    want = link(s.connect, targets(s.catalogue, ["municipalities", "districts", "streets"],
                                   s.rules.street_search_m),
                Records(points["ref"].to_numpy(), at, back.geometry.to_numpy()))
    for col in ("municipalities_id", "districts_id", "streets_id", "streets_edition"):
        mine = got[col].map(_text)
        theirs = want[col].reindex(got.index).map(_text)
        assert (mine == theirs).all(), f"{col}: {(mine != theirs).sum()} differ"
    # time-aware: the same ground, two dates, two communes
    moved = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point",
                                         "coordinates": list(_lonlat(point))},
         "properties": {"when": when}} for when in ("2016-06-01", "2022-06-01")]}
    r = execute(service, {"features": moved, "date_field": "when", "to": ["municipalities"]})
    assert r.status_code == 200, r.text
    ids = [f["properties"]["municipalities_id"] for f in r.json()["features"]]
    assert ids == [before, after]


def _text(value):
    if value is None or value is pd.NA or value != value:
        return "-"
    return str(int(value)) if isinstance(value, float) else str(value)


def _lonlat(point):
    import geopandas as gpd

    g = gpd.GeoSeries([point], crs=31370).to_crs(4326).iloc[0]
    return g.x, g.y


def test_stored_permits_and_incidents(service, loaded, permits):
    r = execute(service, {"collection": "permits", "date_field": "submitted",
                          "to": "streets,districts"})
    assert r.status_code == 200, r.text
    got = pd.DataFrame([f["properties"] for f in r.json()["features"]]).set_index("permit_ref")
    view = links(loaded).loc[got.index]
    assert len(got) == 400
    assert (got["streets_id"].astype("Int64").fillna(-1) == view["street_id"].fillna(-1)).all()
    assert (got["districts_id"].fillna("-") == view["district_id"].fillna("-")).all()
    key = loaded.run("apikey", "create", "tests-link").output.strip().splitlines()[-1]
    posted = httpx.post(f"{service}/open311/v2/requests.json", data={
        "api_key": key, "service_code": "1", "lat": GRAND_PLACE[1], "long": GRAND_PLACE[0]},
        timeout=30)
    rid = posted.json()[0]["service_request_id"]
    r = execute(service, {"collection": "incidents", "date_field": "requested_at"})
    assert r.status_code == 200, r.text
    mine = next(f for f in r.json()["features"] if str(f["properties"]["id"]) == str(rid))
    assert mine["properties"]["municipalities_name_fr"] == "Bruxelles"  # 2021 edition
    assert mine["properties"]["municipalities_edition"] == "2021-02-05"
    assert "email" not in mine["properties"]


@pytest.mark.parametrize(("inputs", "says"), [
    ({}, "give one of features (GeoJSON), csv or collection"),
    ({"collection": "permits", "features": {"type": "FeatureCollection", "features": []}},
     "not features and collection"),
    ({"collection": "rivers", "date": "2020-01-01"}, "no collection 'rivers' to link"),
    ({"collection": "permits", "to": ["rivers"], "date": "2020-01-01"}, "unknown layer 'rivers'"),
    ({"collection": "permits", "date": "20-01-01"}, "'20-01-01' is not a date"),
    ({"collection": "permits"}, "the records need a date"),
    ({"collection": "permits", "date_field": "nope"}, "no field 'nope'"),
    ({"collection": "permits", "date": "2020-01-01", "within": "far"}, "within must be"),
    ({"features": {"type": "Feature"}, "date": "2020-01-01"}, "must be a GeoJSON Feature"),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.35, 50.85]},
         "properties": {"d": "1600-01-01"}}]}, "date_field": "d"},
     "out of the range of record dates"),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.35, 50.85]},
         "properties": {}}]}, "date": "2300-01-01"}, "out of the range of record dates"),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None, "properties": {}}]}, "date": "2020-01-01"},
     "some features have no geometry"),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Foo", "coordinates": [1, 2]},
         "properties": {}}]}, "date": "2020-01-01"}, '"Foo" is not a type of geometry'),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.35]},
         "properties": {}}]}, "date": "2020-01-01"}, "a position of the Point is [4.35]"),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
            [[4.35, 50.85], [4.36, 50.86], [4.36, 50.85]]]}, "properties": {}}]},
      "date": "2020-01-01"}, "a ring of the Polygon is not closed"),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[1, 2, 3, 4]]},
         "properties": {}}]}, "date": "2020-01-01"}, "a position of the Polygon is 1"),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": ["Point"], "coordinates": [1, 2]},
         "properties": {}}]}, "date": "2020-01-01"}, "is not a type of geometry"),
    # a field named as one of the link's answers (it was a 500: the columns overlapped)
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.35, 50.85]},
         "properties": {"streets_id": "x"}}]}, "date": "2020-01-01"},
     "fields named as the link's answers: streets_id"),
    ({"csv": "id,lon,lat,municipalities_edition\n1,4.35,50.85,x\n", "date": "2020-01-01"},
     "fields named as the link's answers: municipalities_edition"),
    # degrees said to be Lambert 72 metres (they were linked to nothing, in France)
    ({"csv": "id,lon,lat,date\n1,4.35,50.85,2016-05-01\n", "date_field": "date",
      "crs": "EPSG:31370"}, "look like degrees, not metres of Belgian Lambert 72"),
    ({"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.35, 50.85]},
         "properties": {}}]}, "date_field": "d"}, "no field 'd'"),
])
def test_bad_inputs_are_400_with_what_and_how(service, inputs, says):
    r = execute(service, inputs)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "InvalidParameterValue" and says in body["description"], body
    assert body["hint"] and "hint" not in body["description"]


def test_positions_with_a_height_are_linked_on_the_map(service):
    """x y z positions (GPS files have them) are linked by their x y, and kept as sent
    (they were a 500: the linked table holds 2D geometries)."""
    line = [[4.3520, 50.8465, 60.0], [4.3530, 50.8470, 61.5]]
    r = execute(service, {"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.3525, 50.8467, 100]},
         "properties": {"d": "2021-01-01"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
         "properties": {"d": "2021-01-01"}}]}, "date_field": "d", "to": ["municipalities"]})
    assert r.status_code == 200, r.text
    point, path = r.json()["features"]
    assert point["properties"]["municipalities_name_fr"] == "Bruxelles-Ville"
    assert path["properties"]["municipalities_name_fr"] == "Bruxelles-Ville"
    assert point["geometry"]["coordinates"][2] == 100 and path["geometry"]["coordinates"] == line


def test_many_points_through_the_process(service):
    points = seeded_points(5_000, seed=4).to_crs(4326)
    r = execute(service, {"features": points.__geo_interface__, "date": "2021-06-01",
                          "to": ["municipalities"]})
    assert r.status_code == 200
    ids = np.array([f["properties"]["municipalities_id"] or 0 for f in r.json()["features"]])
    assert len(ids) == 5_000 and 0.5 < (ids > 0).mean() < 0.95


def test_cli_links_the_incidents(service, loaded, tmp_path):
    key = loaded.run("apikey", "create", "tests-link-cli").output.strip().splitlines()[-1]
    httpx.post(f"{service}/open311/v2/requests.json", data={
        "api_key": key, "service_code": "1", "lat": GRAND_PLACE[1], "long": GRAND_PLACE[0]},
        timeout=30)
    out = tmp_path / "incidents.geojson"
    result = loaded.run("link", "incidents", "-o", str(out), "--date-field", "requested_at",
                        "--to", "municipalities")
    assert result.exit_code == 0, result.output
    import geopandas as gpd

    linked = gpd.read_file(out)
    assert len(linked) >= 1 and (linked["municipalities_id"] == 7400).any()
    assert "email" not in linked.columns
    # a CSV of a header only: said, exit 2, no traceback, no file
    empty = tmp_path / "header.csv"
    empty.write_text("id,lon,lat,date\n")
    result = loaded.run("link", str(empty), "-o", str(tmp_path / "none.csv"), "--date-field",
                        "date", "--to", "streets")
    assert result.exit_code == 2 and "no records to link" in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "none.csv").exists()


def test_a_polygon_that_crosses_itself_is_linked_as_made_valid(service):
    """A bow-tie (a polygon that crosses itself, common in drawn permits) is joined as
    ``make_valid`` makes it (GEOS cannot join it as it is: that was a 500); the record keeps
    the geometry it was sent with."""
    bowtie = [[[4.35, 50.85], [4.36, 50.86], [4.36, 50.85], [4.35, 50.86], [4.35, 50.85]]]
    r = execute(service, {"features": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": bowtie},
         "properties": {"d": "2020-01-01"}}]}, "date_field": "d"})
    assert r.status_code == 200, r.text
    feature = r.json()["features"][0]
    assert feature["properties"]["municipalities_name_fr"] == "Bruxelles-Ville"
    assert feature["geometry"]["coordinates"] == bowtie
