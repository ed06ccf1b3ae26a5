# SPDX-License-Identifier: EUPL-1.2
"""OGC API EDR station time series (position, radius, area) against the running service,
checked against the real IRCEL-CELINE files read independently."""

from __future__ import annotations

import geopandas as gpd
import httpx
import pandas as pd
import pytest
import shapely
from strata_helpers import GRAND_PLACE

from layers.catalogue import SHIPPED_DATA as DATA

SERIES = "/collections/no2_station_series"
BOX = "POLYGON((4.30 50.80, 4.42 50.80, 4.42 50.88, 4.30 50.88, 4.30 50.80))"


def means() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "air_quality/irceline_no2_annual_mean_1990_2023.csv")
    return raw[raw["no2_annual_mean"] != -9999]


def stations() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "air_quality/irceline_no2_stations.geojson")


def edr(service, query, **params):
    return httpx.get(f"{service}{SERIES}/{query}", params=params, timeout=30)


def series(body):
    return {c["id"]: dict(zip([t[:4] for t in c["domain"]["axes"]["t"]["values"]],
                              c["ranges"]["no2_annual_mean"]["values"], strict=True))
            for c in body["coverages"]}


def expected(ids, first, last):
    m = means()
    m = m[m["station"].isin(ids) & m["year"].between(first, last)]
    return {s: {str(y): float(v) for y, v in zip(g["year"], g["no2_annual_mean"], strict=True)}
            for s, g in m.groupby("station")}


def test_position_gives_the_station_series(service):
    st = stations().set_index("station").loc["41R001"].geometry
    r = edr(service, "position", coords=f"POINT({st.x} {st.y})", datetime="2010/2020")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.cov+json")
    body = r.json()
    assert body["type"] == "CoverageCollection" and body["domainType"] == "PointSeries"
    assert body["parameters"]["no2_annual_mean"]["unit"]["symbol"]["value"] == "ug/m3"
    assert series(body) == expected(["41R001"], 2010, 2020)
    cov = body["coverages"][0]
    assert cov["ranges"]["no2_annual_mean"]["shape"] == [11]


def test_radius_and_area_equal_geopandas(service):
    st = stations().to_crs(31370)
    with_data = set(means().query("2015 <= year <= 2023")["station"])
    centre = gpd.GeoSeries([shapely.Point(GRAND_PLACE)], crs=4326).to_crs(31370).iloc[0]
    near = set(st[st.distance(centre) <= 3000]["station"]) & with_data
    r = edr(service, "radius", coords=f"POINT({GRAND_PLACE[0]} {GRAND_PLACE[1]})", within=3,
            **{"within-units": "km", "datetime": "2015/2023"})
    assert r.status_code == 200, r.text
    assert series(r.json()) == expected(near, 2015, 2023) and len(near) >= 2
    box = gpd.GeoSeries([shapely.from_wkt(BOX)], crs=4326).to_crs(31370).iloc[0]
    inside = set(st[st.intersects(box)]["station"]) & with_data
    r = edr(service, "area", coords=BOX, datetime="2015/2023")
    assert r.status_code == 200, r.text
    assert series(r.json()) == expected(inside, 2015, 2023) and len(inside) > len(near)
    # nearest first
    first = r.json()["coverages"][0]["id"]
    assert first in inside
    # an area as large as the world holds every station (it has no shape in Lambert 72:
    # it held none)
    world = "POLYGON((-179 -89, 179 -89, 179 89, -179 89, -179 -89))"
    r = edr(service, "area", coords=world, datetime="2015/2023")
    assert r.status_code == 200, r.text
    assert series(r.json()) == expected(set(st["station"]) & with_data, 2015, 2023)


@pytest.mark.parametrize(("query", "params", "status", "says"), [
    ("radius", {"coords": "POINT(4.35 50.85)"}, 400, "radius queries need within"),
    ("radius", {"coords": "POINT(4.35 50.85)", "within": 1, "within-units": "parsec"}, 400,
     "within-units 'parsec' is not known"),
    ("area", {"coords": "POINT(4.35 50.85)"}, 400, "coords must be a polygon"),
    ("position", {"coords": "POLYGON((4 50, 5 50, 5 51, 4 50))"}, 400, "coords must be a point"),
    ("position", {"coords": "POINT(3.0 50.0)"}, 404, "no station with NO2 means within 250 m"),
    ("position", {"coords": "POINT(4.35 50.85)", "datetime": "1800/1850"}, 400, "out of range"),
    ("position", {"coords": "NOT WKT"}, 400, "coords 'NOT WKT' is not WKT"),
    ("position", {}, 400, "a position query needs coords"),
    # dateutil cannot hold it: pygeoapi's own check was a 500
    ("position", {"coords": "POINT(4.35 50.85)", "datetime": "99999999999"}, 400,
     "datetime '99999999999' is not a date"),
    ("radius", {"coords": "POINT(4.35 50.85)", "within": 1, "datetime": "2015-13"}, 400,
     "datetime '2015-13' is not a date"),
    ("area", {"coords": BOX, "datetime": "2015-02-30/2016"}, 400,
     "datetime '2015-02-30' is not a date"),
    ("position", {"coords": "POINT(4.35 50.85)", "parameter-name": "no2"}, 400,
     "parameter-name no2 is not a parameter of the station series"),
    ("radius", {"coords": "POINT(4.35 50.85)", "within": 1, "f": "png"}, 400,
     "f=png is not offered for a radius query"),
])
def test_bad_queries_say_what_and_how(service, query, params, status, says):
    r = edr(service, query, **params)
    assert r.status_code == status, r.text
    assert says in r.json()["description"]
    if "coords" in params and "datetime" not in params and status == 400:
        assert r.json()["hint"].startswith(("coords=", "within=", "f is one of", "one of",
                                            "parameter-name="))


def test_the_checks_leave_good_queries_to_pygeoapi(service):
    """Every datetime form the checks let through is one pygeoapi answers."""
    for when in ("2015", "2015-06", "2015-06-01", "2015-06-01T00:00:00Z", "2010/2020",
                 "../2020", "2015/..", "2015-01-01T00:00:00+01:00/2020-12-31"):
        r = edr(service, "radius", coords=f"POINT({GRAND_PLACE[0]} {GRAND_PLACE[1]})",
                within=3, datetime=when, **{"within-units": "km",
                                            "parameter-name": "no2_annual_mean"})
        assert r.status_code == 200, (when, r.text)


@pytest.mark.parametrize(("query", "params", "said"), [
    ("position", {"coords": "bad"}, "coords 'bad' is geen WKT"),
    ("position", {"coords": "POINT(3.0 50.0)"},
     "geen station met NO2-gemiddelden binnen 250 m van de coords"),
    ("position", {"coords": "POINT(3.0 50.0)", "datetime": "2019/2020"},
     "geen station met NO2-gemiddelden in 2019-2020 binnen 250 m van de coords"),
    ("area", {"coords": BOX, "datetime": "bad"}, "datetime 'bad' is geen datum"),
    ("position", {"coords": "POINT(4.35 50.85)", "parameter-name": "no2"},
     "parameter-name no2 is geen parameter van de stationsreeksen"),
    ("cube", {"bbox": "4,50,5,51"}, "niet-ondersteund type query"),
])
def test_errors_are_said_in_the_language_asked(service, query, params, said):
    """pygeoapi's and the provider's own messages too (they were English, or half)."""
    r = edr(service, query, lang="nl", **params)
    assert r.status_code in (400, 404) and r.headers["Content-Language"] == "nl", r.text
    assert r.json()["description"] == said


def test_items_are_the_yearly_means_filtered_by_time(service):
    r = httpx.get(f"{service}{SERIES}/items", params={
        "f": "json", "station": "41R001", "datetime": "2019-01-01/2021-12-31"}, timeout=30)
    assert r.status_code == 200, r.text
    got = {f["properties"]["year"]: f["properties"]["no2_ug_m3"] for f in r.json()["features"]}
    want = means().query("station == '41R001' and 2019 <= year <= 2021")
    assert got == dict(zip(want["year"], want["no2_annual_mean"], strict=True))
    bad = httpx.get(f"{service}{SERIES}/items", params={"f": "json", "stations": "x"},
                    timeout=30)
    assert bad.status_code == 400 and "stations" in bad.json()["description"]
