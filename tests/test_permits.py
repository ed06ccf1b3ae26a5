# SPDX-License-Identifier: EUPL-1.2
"""Urban planning permits in NOVA's WFS shape (records GENERATED in that shape: no real NOVA
extract is at hand): import, the street check, and links on the map of each permit's date."""

from __future__ import annotations

import geopandas as gpd
import httpx
import pandas as pd
import pytest
from nova_permits import generate, write_wfs_geojson
from strata_helpers import expected, links, same, snap


def test_import_maps_nova_fields(loaded, permits):
    got = snap(loaded, "permits", "2026-11-22")
    assert len(got) == len(permits) == 400
    first = permits.iloc[0]
    row = got.loc[first["refnova"]]
    assert row["case_type"] == first["typedossier"] and row["status"] == first["statutpermis"]
    assert row["street_fr"] == first["streetnamefr"] and row["street_nl"] == first["streetnamenl"]
    assert row["municipality_nl"] == first["municipalitynl"]
    # WFS writes xsd:date with a zone ("2022-05-04Z"): the day is kept
    assert str(row["submitted"]) == first["datedepot"].removesuffix("Z")
    assert row["geometry"].equals_exact(first.geometry, 1e-6)
    kinds = set(got.geometry.map(lambda g: g.geom_type))
    assert kinds == {"Point", "Polygon"}


def test_gml_and_geojson_give_the_same_layer(env, tmp_path):
    frame = generate(60, seed=5)
    geojson = write_wfs_geojson(frame, tmp_path / "p.geojson")
    gml = tmp_path / "p.gml"
    frame.drop(columns="named_right").to_file(gml, driver="GML")
    assert env.run("import", "permits", str(geojson), "--date", "2024-01-01").exit_code == 0
    a = snap(env, "permits", "2024-06-01")
    result = env.run("import", "permits", str(gml), "--date", "2024-02-01")
    assert result.exit_code == 0, result.output
    assert "identical to the current map, nothing created" in result.output
    b = snap(env, "permits", "2024-06-01")
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))


@pytest.mark.parametrize("case", ["no_reference", "bad_date"])
def test_bad_permit_files_are_refused_and_change_nothing(env, tmp_path, case):
    frame = generate(30, seed=9)
    assert env.run("import", "permits", str(write_wfs_geojson(frame, tmp_path / "ok.geojson")),
                   "--date", "2024-01-01").exit_code == 0
    before = env.versions()
    if case == "no_reference":
        frame.loc[4, "refnova"] = None
        want = "1 features have no key 'refnova'"
    else:
        frame.loc[5, "datedepot"] = "yesterday"
        want = "field 'datedepot' (attribute 'submitted'): not a date in ISO 8601 form " \
               "(YYYY-MM-DD): 'yesterday' (feature 6)"
    bad = write_wfs_geojson(frame, tmp_path / "bad.geojson")
    result = env.run("import", "permits", str(bad), "--date", "2024-02-01")
    assert result.exit_code == 2 and want in result.output, result.output
    assert "hint:" in result.output
    assert env.versions() == before


def test_permits_tied_to_streets_of_their_date_and_checked_by_name(loaded, permits):
    view = links(loaded)
    frame = permits.set_index("refnova")
    assert len(view) == len(frame)
    # the view against plain geopandas on the source files, edition by edition (points)
    points = frame[frame.geom_type == "Point"].assign(
        reported=lambda f: f["datedepot"].str.removesuffix("Z"))
    want = expected(gpd.GeoDataFrame(points[["reported"]], geometry=points.geometry.values,
                                     crs=31370, index=points.index))
    got = view.loc[points.index]
    for col, theirs in (("street_id", "streets_id"), ("municipality_id", "municipalities_id"),
                        ("district_id", "districts_id")):
        ok = same(got[col], want[theirs].astype("Int64") if col != "district_id"
                  else want[theirs])
        assert ok.all(), f"{col}: {int((~ok).sum())} of {len(ok)} permits differ"
    # a permit naming a street across the city is caught; most of the others agree
    agrees = view["name_agrees"].reindex(frame.index)
    assert not agrees[~frame["named_right"]].any()
    assert agrees[frame["named_right"]].mean() > 0.85


def test_link_command_on_the_stored_permits(loaded, permits, tmp_path):
    out = tmp_path / "permits.parquet"
    result = loaded.run("link", "layer:permits", "-o", str(out), "--date-field", "submitted",
                        "--to", "municipalities,districts,streets")
    assert result.exit_code == 0, result.output
    linked = gpd.read_parquet(out).set_index("permit_ref")
    view = links(loaded).loc[linked.index]
    assert same(linked["streets_id"].astype("Int64"), view["street_id"]).all()
    assert same(linked["districts_id"], view["district_id"]).all()


def test_permits_served(service, permits):
    for cid in ("permits", "permit_links"):
        r = httpx.get(f"{service}/collections/{cid}/items", params={"f": "json", "limit": 5},
                      timeout=30)
        assert r.status_code == 200, r.text
        assert len(r.json()["features"]) == 5
        if cid == "permit_links":  # a view: its count is the permits' (when it is given)
            assert r.json().get("numberMatched", 400) == 400
        else:  # the map now, counted from the edition record
            assert r.json()["numberMatched"] == 400


def test_road_events_tied_to_streets_and_districts_as_link_does(loaded, tmp_path):
    with loaded.store.connect() as conn:
        rows = conn.execute("SELECT id, street_id, district_id, name_agrees "
                            "FROM road_event_links").fetchall()
    view = pd.DataFrame(rows, columns=["event_id", "street_id", "district_id", "agrees"]) \
        .set_index("event_id").astype({"street_id": "Int64"})
    out = tmp_path / "events.parquet"
    result = loaded.run("link", "layer:road_events", "-o", str(out), "--date-field",
                        "starts_at", "--to", "districts,streets")
    assert result.exit_code == 0, result.output
    linked = gpd.read_parquet(out).set_index("event_id")
    assert len(view) == len(linked) == 533
    view = view.loc[linked.index]
    assert same(linked["districts_id"], view["district_id"]).all()
    assert same(linked["streets_id"].astype("Int64"), view["street_id"]).all()
    assert 0 < view["agrees"].sum() < len(view)  # the names catch some, not all
