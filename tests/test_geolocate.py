# SPDX-License-Identifier: EUPL-1.2
"""Geolocation on the real Brussels data: known places, the map of a date, who must act."""

from __future__ import annotations

import geopandas as gpd
import httpx
import pytest
import shapely
from shapely.geometry import Point
from strata_helpers import GRAND_PLACE, communes_2015, communes_2021, moved_ground

from geo.crs import parse_crs
from layers.catalogue import SHIPPED_DATA as DATA
from linking.geolocate import geolocate
from versioning.instants import parse_instant

CRS84 = parse_crs("CRS84")
L72 = parse_crs("EPSG:31370")


def locate(loaded, x, y, date="2022-06-01", crs=CRS84, category=None):
    s = loaded.store
    with s.connect() as conn:
        return geolocate(conn, s.catalogue, s.responsibility, x, y, crs,
                         parse_instant(date), category)


def ways(date="2021-04-12"):
    frame = gpd.read_file(DATA / f"streets/ways_{date}.geojson", fid_as_index=True)
    frame = frame.to_crs(31370).rename_axis("id").reset_index()
    frame["name_fr"] = frame["name"].str.split(" - ").str[0]
    return frame


def test_grand_place_is_in_brussels_with_the_nearest_street_of_geopandas(loaded):
    answer = locate(loaded, *GRAND_PLACE)
    assert answer["inside_region"] is True
    assert answer["municipality"]["name"] == {"fr": "Bruxelles", "nl": "Brussel"}
    assert answer["municipality"]["edition"] == "2021-02-05"
    assert answer["district"]["name"]["fr"] == "GRAND PLACE"
    assert answer["postcode"]["code"] == "1000"
    assert answer["responsible"]["organisation"]["id"] == 4  # Bruxelles-Ville
    # independent: every way of the 2021-04-12 source file, distances by shapely
    frame = ways()
    here = gpd.GeoSeries([Point(GRAND_PLACE)], crs=4326).to_crs(31370).iloc[0]
    distances = frame.distance(here)
    nearest = frame.loc[distances.idxmin()]
    assert answer["street"]["id"] == int(nearest["id"])
    assert answer["street"]["distance_m"] == pytest.approx(distances.min(), abs=0.1)
    assert answer["street"]["name"]["fr"] == nearest["name_fr"]


def test_points_just_outside_the_region_are_answered_as_outside(loaded):
    region = gpd.read_file(DATA / "region/urbadm_region_2017.geojson").to_crs(31370)
    ring = region.geometry.iloc[0].buffer(40).exterior
    for fraction in (0.0, 0.2, 0.45, 0.7, 0.9):
        p = ring.interpolate(fraction, normalized=True)
        answer = locate(loaded, p.x, p.y, crs=L72)
        assert answer["inside_region"] is False
        assert answer["municipality"] is None and answer["district"] is None
        assert answer["distance_to_region_m"] == pytest.approx(40, abs=1.5)
        assert answer["responsible"] == {
            "organisation": None, "rule": "outside_region",
            "reason": answer["message"]}
        assert "outside" in answer["message"]["en"]


@pytest.mark.parametrize(("point", "crs"), [
    ((180.0, 90.0), CRS84), ((-1e7, -1e7), parse_crs("EPSG:3857")), ((-70.0, -33.45), CRS84),
    ((5.0, 50.4), CRS84)])
def test_a_point_far_away_is_given_back_and_measured_on_the_earth(loaded, point, crs):
    """The point is echoed as given (not through Lambert 72, which took longitude 180 to
    -20.6), and its distance to the region is measured on the ellipsoid: the plane of
    Lambert 72 gave 37,364 km, more than any distance on Earth. Compared with pyproj's
    geodesic distance to the nearest point of the region's outline."""
    from pyproj import Geod, Transformer

    answer = locate(loaded, *point, crs=crs)
    lon, lat = Transformer.from_crs(crs.epsg, 4326, always_xy=True).transform(*point)
    assert answer["point"]["lon"] == pytest.approx(lon, abs=1e-7)
    assert answer["point"]["lat"] == pytest.approx(lat, abs=1e-7)
    region = gpd.read_file(DATA / "region/urbadm_region_2017.geojson").to_crs(4326)
    outline = shapely.get_coordinates(region.geometry.iloc[0].exterior)
    geod = Geod(ellps="WGS84")
    nearest = min(geod.inv(lon, lat, x, y)[2] for x, y in outline)
    assert answer["inside_region"] is False
    assert answer["distance_to_region_m"] <= 20_004_000
    # the outline's vertices are a few metres apart: the nearest vertex is the nearest point
    assert answer["distance_to_region_m"] == pytest.approx(nearest, rel=1e-3, abs=50)


def test_the_commune_of_the_records_date(loaded):
    point, before, after = moved_ground()
    assert before != after
    old = locate(loaded, point.x, point.y, "2016-03-01", L72)
    new = locate(loaded, point.x, point.y, "2022-03-01", L72)
    assert old["municipality"]["id"] == before and old["municipality"]["edition"] == "2015-07-20"
    assert new["municipality"]["id"] == after and new["municipality"]["edition"] == "2021-02-05"
    # routed to the commune of its own date
    assert old["responsible"]["organisation"]["id"] != new["responsible"]["organisation"]["id"]


def test_regional_roads_go_to_the_region(loaded):
    frame = ways()
    lambermont = frame[(frame["name_fr"] == "Boulevard Lambermont")]
    with loaded.store.connect() as conn:
        evidence = shapely.from_wkb(conn.execute(
            "SELECT ST_AsBinary(evidence) FROM regional_road "
            "WHERE street_key = 'boulevard lambermont' AND commune = 'Schaerbeek'").fetchone()[0])
    way = lambermont.loc[lambermont.distance(evidence).idxmin()].geometry
    p = way.interpolate(0.5, normalized=True)
    answer = locate(loaded, p.x, p.y, crs=L72)
    assert answer["responsible"]["rule"] == "regional_road"
    assert answer["responsible"]["organisation"]["id"] == 20
    assert answer["regional_road"]["name_fr"] == "Boulevard Lambermont"
    # a category with its own body wins over the road
    own = locate(loaded, p.x, p.y, crs=L72, category=152)
    assert own["responsible"]["rule"] == "category"
    assert own["responsible"]["organisation"]["id"] == 23
    # a communal street of Schaerbeek goes to Schaerbeek
    bertrand = frame[frame["name_fr"] == "Avenue Louis Bertrand"].geometry.iloc[0]
    q = bertrand.interpolate(0.5, normalized=True)
    communal = locate(loaded, q.x, q.y, crs=L72)
    assert communal["responsible"]["rule"] == "municipality"
    assert communal["responsible"]["organisation"]["id"] == 15


def test_a_point_on_a_boundary_says_so(loaded):
    new = communes_2021()
    border = new.loc[8500].geometry.boundary
    others = new.drop(index=[8500, 7600])
    p = next(q for q in (border.interpolate(i / 400, normalized=True) for i in range(400))
             if new.loc[7600].geometry.distance(q) < 1 and others.distance(q).min() > 50)
    answer = locate(loaded, p.x, p.y, crs=L72)
    assert answer["near_boundary"] is True
    mun = answer["municipality"]
    ids = {mun["id"], *(n["id"] for n in mun["within_margin"])}
    assert ids == {8500, 7600}
    far = locate(loaded, *GRAND_PLACE)
    assert far["near_boundary"] is False and far["municipality"]["within_margin"] == []


def test_a_point_in_a_sliver_between_communes_has_the_nearest_one(loaded):
    """The 2015 communes leave slivers inside the region (some metres wide, 63,600 m² in
    all): a report there is routed to the nearest commune, said with its distance (it was
    no commune and nobody responsible, with the reason of a point outside the region)."""
    old = communes_2015()
    region = gpd.read_file(DATA / "region/urbadm_region_2017.geojson").to_crs(31370)
    here = Point(153088.38, 177400.38)  # next to Harensesteenweg
    assert region.geometry.iloc[0].contains(here) and not old.contains(here).any()
    gaps = old.distance(here)
    answer = locate(loaded, here.x, here.y, "2018-01-01", L72)
    assert answer["inside_region"] is True
    mun = answer["municipality"]
    assert mun["id"] == gaps.idxmin() and mun["edition"] == "2015-07-20"
    assert mun["distance_m"] == pytest.approx(gaps.min(), abs=0.1) and mun["distance_m"] > 0
    assert answer["responsible"]["rule"] == "municipality"
    assert answer["responsible"]["organisation"]["name"]["fr"] == "Bruxelles-Ville"
    # in a commune: no distance; outside the region: still no commune
    assert locate(loaded, *GRAND_PLACE)["municipality"]["distance_m"] == 0
    assert locate(loaded, 4.30, 50.78)["municipality"] is None


def test_http_geolocate_in_the_users_language(service):
    r = httpx.get(f"{service}/geolocate", params={"lon": GRAND_PLACE[0], "lat": GRAND_PLACE[1]},
                  headers={"Accept-Language": "nl"}, timeout=30)
    assert r.status_code == 200 and r.headers["content-language"] == "nl"
    body = r.json()
    assert body["municipality"]["name"]["nl"] == "Brussel"
    assert body["responsible"]["reason"].startswith("Het punt")
    assert r.headers["server-timing"].startswith("app;dur=")
    # the same place in Lambert 72 x / y
    xy = httpx.get(f"{service}/geolocate", params={
        "x": body["point"]["x_31370"], "y": body["point"]["y_31370"], "crs": "EPSG:31370"},
        timeout=30).json()
    assert xy["street"] == {**body["street"], "name": xy["street"]["name"]}
    outside = httpx.get(f"{service}/geolocate", params={"lon": 4.25, "lat": 50.80, "lang": "fr"},
                        timeout=30)
    assert outside.status_code == 200
    assert outside.json()["inside_region"] is False
    assert "en dehors" in outside.json()["message"]
    assert "notes" not in body and "notes" not in outside.json()


def test_http_geolocate_notes_what_the_point_or_the_date_looks_like(service):
    """Said over HTTP as the command line says it: a date older than a layer's first
    edition (that edition answers), a point whose coordinates look swapped."""
    old = httpx.get(f"{service}/geolocate", params={
        "lon": GRAND_PLACE[0], "lat": GRAND_PLACE[1], "date": "2010-01-01", "lang": "nl"},
        timeout=30).json()
    assert old["municipality"]["edition"] == "2015-07-20"
    assert ("municipalities: geen editie zo oud als deze datum; de eerste (2015-07-20) "
            "antwoordt") in old["notes"]
    assert any(n.startswith("streets: ") and "(2020-04-27)" in n for n in old["notes"])
    between = httpx.get(f"{service}/geolocate", params={
        "lon": GRAND_PLACE[0], "lat": GRAND_PLACE[1], "date": "2018-01-01"}, timeout=30).json()
    assert not any(n.startswith("municipalities") for n in between["notes"])
    turned = httpx.get(f"{service}/geolocate", params={
        "lon": GRAND_PLACE[1], "lat": GRAND_PLACE[0], "lang": "fr"}, timeout=30).json()
    assert turned["inside_region"] is False
    assert turned["notes"] == ["le point est hors de la Région ; ses coordonnées inversées "
                               "le placeraient à Bruxelles : donnez la longitude d'abord "
                               "(lon=4.3525&lat=50.8467)"]


@pytest.mark.parametrize("params, needle", [
    ({"lon": "4.35"}, "lat is missing"),
    ({"lon": "abc", "lat": "50.8"}, "not a number"),
    ({"lon": "4.35", "lat": "200"}, "not a longitude / latitude"),
    ({"lon": "4.35", "lat": "50.8", "date": "01/02/2016"}, "not a date"),
    ({"lon": "4.35", "lat": "50.8", "category": "99999"}, "unknown category"),
    ({"lon": "4.35", "lat": "50.8", "radius": "3"}, "unknown query parameter"),
    ({"x": "1", "y": "2", "crs": "EPSG:9999"}, "crs"),
    ({"lon": "4.35", "lat": "50.8", "x": "1"}, "not both"),
])
def test_http_geolocate_bad_input(service, params, needle):
    r = httpx.get(f"{service}/geolocate", params=params, timeout=30)
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "InvalidParameterValue" and needle in body["description"]
    assert body["hint"]


def test_cli_geolocate(loaded):
    result = loaded.run("geolocate", str(GRAND_PLACE[0]), str(GRAND_PLACE[1]), "--lang", "nl",
                        "--date", "2016-05-01")
    assert result.exit_code == 0, result.output
    assert "Gemeente: Brussel-Stad [2015-07-20]" in result.output
    bad = loaded.run("geolocate", "4.3", "95")
    assert bad.exit_code == 2 and "not a longitude / latitude" in bad.output
