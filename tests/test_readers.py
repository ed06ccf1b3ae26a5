# SPDX-License-Identifier: EUPL-1.2
"""Every quirk of the MANIFEST, read from the real files (and from broken copies of them)."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon

from geo.errors import InvalidInput
from layers.catalogue import SHIPPED_DATA as DATA
from layers.readers import read_layer_file
from layers.references import read_reference


def read(catalogue, layer_id, index=0):
    spec = catalogue.layer(layer_id)
    ed = spec.editions[index]
    return read_layer_file(ed.path(), spec, ed.source)


def test_2021_municipalities_lose_z_and_keep_lambert(catalogue):
    batch = read(catalogue, "municipalities", 1)
    assert batch.clean.z_dropped == 19
    assert not shapely.has_z(batch.frame.geometry.array).any()
    assert batch.frame.crs.to_epsg() == 31370
    names = dict(zip(batch.frame.fid, batch.frame.name_fr, strict=True))
    assert names[7400] == "Bruxelles" and names[7900] == "Ixelles"
    assert batch.frame.fid.map(type).eq(int).all()


def test_2015_surfaces_map_onto_municipality_ids(catalogue):
    batch = read(catalogue, "municipalities", 0)
    assert batch.read == 26 and len(batch.frame) == 19 and batch.dissolved == 7
    keys = set(batch.frame.fid)
    # single-piece communes with a suffixed surface id: Ixelles 7901, Forest 7702, Uccle 8603
    assert {7900, 7700, 8600, 7400} <= keys
    assert all(k % 100 == 0 for k in keys)
    surfaces = gpd.read_file(DATA / "municipalities/fms_municipality_2015.gpkg",
                             layer="municipality_surface")
    brussels = surfaces[surfaces.urbis_id // 100 == 74]
    assert len(brussels) == 8  # 7400-7409: the MANIFEST says 7 pieces, the file holds 8
    merged = batch.frame.set_index("fid").geometry[7400]
    assert merged.symmetric_difference(brussels.union_all()).area < 1e-3
    assert batch.frame.set_index("fid").name_fr[7400] == "Bruxelles-Ville"


def test_geojson_in_wgs84_is_reprojected(catalogue):
    batch = read(catalogue, "streets", 0)
    minx, miny, maxx, maxy = batch.frame.total_bounds
    assert 140_000 < minx < maxx < 160_000 and 160_000 < miny < maxy < 180_000
    assert batch.clean.reprojected_from == 4326


def test_streets_keyed_by_osm_way_id_with_flattened_nested_names(catalogue):
    batch = read(catalogue, "streets", 0)
    raw = json.loads((DATA / "streets/ways_2020-04-27.geojson").read_text())
    assert sorted(batch.frame.fid) == sorted(f["id"] for f in raw["features"])
    row = batch.frame.set_index("fid").loc[3516009]
    assert row.name_fr == "Avenue Jean Sobieski" and row.name_nl == "Jan Sobieskilaan"
    assert row.eponym_fr == "Jean III Sobieski" and row.eponym_en == "John III Sobieski"
    assert json.loads(row.details)["wikidata"] == "Q53454"
    # details given as a list (several eponyms): the first one names the eponym
    listed = [f for f in raw["features"] if isinstance(f["properties"]["details"], list)]
    assert listed
    for f in listed:
        first = f["properties"]["details"][0]["labels"]["fr"]["value"]
        assert batch.frame.set_index("fid").loc[f["id"]].eponym_fr == first


def test_osiris_dates_and_open_end(catalogue):
    frame = read(catalogue, "worksites").frame.set_index("fid")
    import datetime as dt
    assert frame.loc[18503].start_date == dt.date(2014, 9, 9)
    assert frame.loc[18503].end_date is None  # 01-01-3000 means no end date
    raw = json.loads((DATA / "worksites/osiris_worksites_schaerbeek.geojson").read_text())
    open_end = sum(f["properties"]["DateFin"] == "01-01-3000" for f in raw["features"])
    assert frame.end_date.isna().sum() >= open_end == 548


def test_osiris_events_collections_and_sectors(catalogue):
    batch = read(catalogue, "road_events")
    frame = batch.frame.set_index("fid")
    assert batch.read == 559 and len(frame) == 533  # one event, one feature
    assert set(frame.geometry.geom_type) == {"MultiPolygon"}  # GeometryCollections unpacked
    assert frame.loc[16276].sectors == (
        "Colignon, Dehors, Helmet-Hamoir, Parc Josaphat, Terdelt-Fleur")
    assert frame.loc[16276].starts_at.startswith("2026-09-21T14:00:00")


def test_districts_slash_dates(catalogue):
    frame = read(catalogue, "districts").frame
    import datetime as dt
    assert len(frame) == 145 and set(frame.valid_to) == {dt.date(2019, 12, 31)}


def test_station_in_france_is_kept_outside_the_region(catalogue):
    stations = read(catalogue, "air_quality_stations").frame.set_index("fid")
    region = read(catalogue, "region").frame.geometry.iloc[0]
    assert not region.contains(stations.geometry["40ND01"])
    assert region.contains(stations.geometry["41R001"])


def test_no2_placeholder_becomes_null():
    means = read_reference("no2_annual_mean",
                           DATA / "air_quality/irceline_no2_annual_mean_1990_2023.csv")
    assert len(means) == 337 and means.no2_ug_m3.isna().sum() == 71
    assert -9999 not in set(means.no2_ug_m3.dropna())


def test_invalid_geometry_is_repaired_and_counted(catalogue, tmp_path):
    spec = catalogue.layer("districts")
    frame = gpd.read_file(DATA / "districts/monitoring_districts_2017_2019.gpkg")
    frame.loc[0, "geometry"] = Polygon([(150000, 170000), (150100, 170100), (150100, 170000),
                                        (150000, 170100)])  # a bow-tie
    path = tmp_path / "districts.gpkg"
    frame.to_file(path, driver="GPKG")
    batch = read_layer_file(path, spec, "monitoring")
    assert batch.clean.repaired == 1
    assert any("1 invalid geometries repaired" in line for line in batch.summary())
    assert shapely.is_valid(batch.frame.geometry.array).all()


def test_zipped_shapefile_and_gml(catalogue, tmp_path):
    spec = catalogue.layer("districts")
    frame = gpd.read_file(DATA / "districts/monitoring_districts_2017_2019.gpkg")
    shp = tmp_path / "districts.shp"
    frame.to_file(shp)
    archive = tmp_path / "districts.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("districts.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    assert len(read_layer_file(archive, spec, "monitoring").frame) == 145
    gml = tmp_path / "districts.gml"
    frame.to_file(gml, driver="GML")
    batch = read_layer_file(gml, spec, "monitoring")
    assert len(batch.frame) == 145 and batch.frame.crs.to_epsg() == 31370


def test_duplicate_key_names_the_features(catalogue, tmp_path):
    raw = json.loads((DATA / "air_quality/irceline_no2_stations.geojson").read_text())
    raw["features"].append(raw["features"][2])
    path = tmp_path / "stations.geojson"
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInput, match="duplicated.*41B001"):
        read_layer_file(path, catalogue.layer("air_quality_stations"))


def test_missing_key_names_the_features(catalogue, tmp_path):
    raw = json.loads((DATA / "air_quality/irceline_no2_stations.geojson").read_text())
    raw["features"][3]["properties"]["station"] = None
    path = tmp_path / "stations.geojson"
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInput, match="no key 'station'.*positions 3"):
        read_layer_file(path, catalogue.layer("air_quality_stations"))


def test_corrupt_file_is_refused(catalogue, tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes((DATA / "districts/monitoring_districts_2017_2019.gpkg").read_bytes()[:5000])
    with pytest.raises(InvalidInput, match="cannot read broken.gpkg"):
        read_layer_file(path, catalogue.layer("districts"))


def test_bad_date_names_the_value(catalogue, tmp_path):
    raw = json.loads((DATA / "worksites/osiris_worksites_schaerbeek.geojson").read_text())
    raw["features"] = raw["features"][:10]
    raw["features"][4]["properties"]["DateDebut"] = "2014/09/31"
    path = tmp_path / "worksites.geojson"
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInput, match="'2014/09/31'"):
        read_layer_file(path, catalogue.layer("worksites"))
