# SPDX-License-Identifier: EUPL-1.2
"""What a new analyst tripped on (issue 13): a CSV of dated points with lon / lat columns
linked by `strata link` and by the `link` process (same answers, integer keys, equal to
plain geopandas on the source files); a clear message when the coordinate columns are not
found; `limit` above the maximum served at the maximum with a `next` link; a whole layer
read into geopandas as the README shows."""

from __future__ import annotations

import json

import geopandas as gpd
import httpx
import pandas as pd
import pyogrio
import pytest
from strata_helpers import expected, same, seeded_points, serve

TO = "municipalities,districts,streets"
KEYS = ["municipalities_id", "districts_id", "streets_id"]


def _csv(n: int = 20, seed: int = 13) -> tuple[gpd.GeoDataFrame, str]:
    """n seeded dated points (synthetic) and the CSV an analyst would have: id, lon, lat,
    date."""
    points = seeded_points(n, seed=seed)
    lonlat = points.to_crs(4326)
    table = pd.DataFrame({"id": points["ref"] + 1000, "lon": lonlat.geometry.x.round(7),
                          "lat": lonlat.geometry.y.round(7), "date": points["reported"]})
    return points, table.to_csv(index=False)


def _process(service: str, inputs: dict) -> httpx.Response:
    return httpx.post(f"{service}/processes/link/execution", json={"inputs": inputs},
                      timeout=120)


def test_a_csv_of_dated_points_links_the_same_through_the_cli_and_the_process(
        loaded, service, tmp_path):
    points, text = _csv()
    source = tmp_path / "points.csv"
    source.write_text(text)
    outputs = {}
    for suffix in (".csv", ".gpkg", ".geojson", ".fgb", ".parquet"):
        out = tmp_path / f"linked{suffix}"
        result = loaded.run("link", str(source), "-o", str(out), "--date-field", "date",
                            "--to", TO)
        assert result.exit_code == 0, result.output
        outputs[suffix] = out
    # keys keep their type in every output: integers written as integers
    for suffix in (".gpkg", ".geojson", ".fgb"):
        info = pyogrio.read_info(outputs[suffix])
        kinds = dict(zip(info["fields"], info["dtypes"], strict=True))
        for col in ("id", "municipalities_id", "streets_id"):
            assert kinds[col].startswith("int"), (suffix, col, kinds[col])
    assert str(pd.read_parquet(outputs[".parquet"])["municipalities_id"].dtype) == "Int64"
    cli = pd.read_csv(outputs[".csv"], dtype_backend="numpy_nullable").set_index("id")
    assert str(cli["municipalities_id"].dtype) == "Int64"
    raw = pd.read_csv(outputs[".csv"], dtype=str)  # the text as written: 7400, not 7400.0
    for col in ("id", "municipalities_id", "streets_id"):
        assert raw[col].dropna().str.fullmatch(r"\d+").all(), raw[col].tolist()

    # the process, on the same CSV text: the same answers, integers in JSON
    r = _process(service, {"csv": text, "date_field": "date", "to": TO.split(",")})
    assert r.status_code == 200, r.text
    features = r.json()["features"]
    assert len(features) == 20
    for f in features:
        props = f["properties"]
        assert isinstance(props["id"], int)
        assert isinstance(props["municipalities_id"], int | None)
        assert isinstance(props["streets_id"], int | None)
    api = pd.DataFrame([f["properties"] for f in features]).set_index("id").astype(
        {"municipalities_id": "Int64", "streets_id": "Int64"})  # None made them floats here
    assert api["municipalities_id"].notna().sum() >= 10  # most points fall in the region
    for col in [*KEYS, "municipalities_edition", "streets_edition"]:
        ok = same(api[col], cli[col].reindex(api.index))
        assert ok.all(), f"{col}: {int((~ok).sum())} differ"
    # and both equal plain geopandas on the source files, edition by edition
    want = expected(points).set_axis(points["ref"] + 1000)
    for col in KEYS:
        ok = same(cli[col], want[col].reindex(cli.index).astype("Int64")
                  if col != "districts_id" else want[col].reindex(cli.index))
        assert ok.all(), f"{col}: {int((~ok).sum())} differ from geopandas"


def test_x_y_columns_with_a_crs(loaded, service, tmp_path):
    points, _ = _csv(5, seed=3)
    table = pd.DataFrame({"ref": points["ref"], "X": points.geometry.x,
                          "Y": points.geometry.y, "when": points["reported"]})
    source = tmp_path / "lambert.csv"
    table.to_csv(source, index=False)
    out = tmp_path / "linked.csv"
    result = loaded.run("link", str(source), "-o", str(out), "--date-field", "when",
                        "--to", "municipalities")
    assert result.exit_code == 2
    assert "need a CRS" in result.output and "--crs EPSG:31370" in result.output
    result = loaded.run("link", str(source), "-o", str(out), "--date-field", "when",
                        "--to", "municipalities", "--crs", "EPSG:31370")
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(out, dtype_backend="numpy_nullable").set_index("ref")
    r = _process(service, {"csv": table.to_csv(index=False), "crs": "EPSG:31370",
                           "date_field": "when", "to": ["municipalities"]})
    assert r.status_code == 200, r.text
    api = pd.DataFrame([f["properties"] for f in r.json()["features"]]).set_index("ref")
    api = api.astype({"municipalities_id": "Int64"})
    assert same(api["municipalities_id"], cli["municipalities_id"].reindex(api.index)).all()
    # named columns
    renamed = table.rename(columns={"X": "east", "Y": "north"})
    r = _process(service, {"csv": renamed.to_csv(index=False), "crs": "EPSG:31370",
                           "xy": ["east", "north"], "date_field": "when",
                           "to": ["municipalities"]})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("header", "extra", "says", "hint"), [
    ("id,a,b,date", [], "no coordinate columns among id, a, b, date", "lon / lat"),
    ("id,lon,lat,date", ["--xy", "e,n"], "no column 'e'", "their columns: id, lon, lat"),
    ("id,x,y,date", [], "need a CRS", "--crs EPSG:31370"),
])
def test_a_csv_without_its_columns_says_which_it_needs(loaded, service, tmp_path, header,
                                                        extra, says, hint):
    source = tmp_path / "points.csv"
    source.write_text(f"{header}\n1,4.35,50.84,2020-01-01\n")
    result = loaded.run("link", str(source), "-o", str(tmp_path / "o.csv"), "--date-field",
                        "date", "--to", "districts", *extra)
    assert result.exit_code == 2 and says in result.output and hint in result.output, \
        result.output
    assert "Traceback" not in result.output
    inputs = {"csv": source.read_text(), "date_field": "date", "to": ["districts"]}
    if extra:
        inputs["xy"] = extra[1].split(",")
    r = _process(service, inputs)
    assert r.status_code == 400, r.text
    body = r.json()
    assert says in body["description"] and hint in body["hint"], body


def test_degrees_that_are_metres_and_text_that_is_not_a_number(service):
    r = _process(service, {"csv": "id,lon,lat\n1,149137,170559\n", "date": "2020-01-01"})
    assert r.status_code == 400 and "look like metres" in r.json()["hint"], r.text
    r = _process(service, {"csv": "id,lon,lat\n1,4.35,north\n", "date": "2020-01-01"})
    assert r.status_code == 400 and "lat at row 1 is not a number" in r.json()["description"]


def test_limit_above_the_maximum_is_served_at_the_maximum_with_a_next_link(loaded):
    with serve({**loaded.environ, "STRATA_MAX_ITEMS": "500"}) as base:
        r = httpx.get(f"{base}/collections/streets/items",
                      params={"limit": 100000, "f": "json"}, timeout=60)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["numberReturned"] == 500 == len(page["features"])
        nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
        assert "limit=500" in nxt
        second = httpx.get(nxt, timeout=60).json()
        assert second["numberReturned"] == 500
        assert not {f["id"] for f in second["features"]} & {f["id"] for f in page["features"]}
        # an aggregate view (pygeoapi) does the same
        r = httpx.get(f"{base}/collections/worksite_links/items",
                      params={"limit": 100000, "f": "json"}, timeout=60)
        assert r.status_code == 200, r.text
        assert r.json()["numberReturned"] == 500
        assert any(link["rel"] == "next" for link in r.json()["links"])
        for bad in ("0", "-1", "many"):
            r = httpx.get(f"{base}/collections/streets/items", params={"limit": bad},
                          timeout=60)
            assert r.status_code == 400 and "between 1 and 500" in r.json()["hint"], r.text


def test_a_whole_layer_into_geopandas_as_the_readme_shows(service):
    """The README's two ways: the dated download, and paging through the next links."""
    districts = gpd.read_file(f"{service}/collections/districts/download"
                              "?date=2018-01-01&f=gpkg")
    assert len(districts) == 145
    url, pages = f"{service}/collections/streets/items?limit=2000&datetime=2021-04-12", []
    while url:
        page = httpx.get(url, timeout=60).json()
        pages.append(gpd.GeoDataFrame.from_features(page["features"], crs="OGC:CRS84"))
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    streets = pd.concat(pages)
    want = json.loads(httpx.get(f"{service}/collections/streets/items",
                                params={"limit": 1, "datetime": "2021-04-12"},
                                timeout=60).text)["numberMatched"]
    assert len(streets) == want == 7192
