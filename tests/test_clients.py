# SPDX-License-Identifier: EUPL-1.2
"""The GIS clients planners and GIS professionals use, on the real service: Debian's GDAL
(3.6) opens every download format by URL, GeoPackages included (Strata writes GeoPackage 1.3,
which GDAL 3.6 and QGIS 3.22 open by URL), the whole map and the changes; geopandas (GDAL
3.12 in pyogrio) reads the same; counts equal the snapshot of the date."""

from __future__ import annotations

import subprocess
from urllib.parse import urlencode

import geopandas as gpd
import pytest
from strata_helpers import qgis_oapif, snap

DATE = "2016-01-01"
# how a GDAL user opens each by URL (the URL has no file suffix): CSV needs its driver named,
# a zipped Shapefile the /vsizip/{...} form
FORMATS = {"gpkg": "/vsicurl/{}", "geojson": "/vsicurl/{}", "fgb": "/vsicurl/{}",
           "csv": "CSV:/vsicurl/{}", "shp": "/vsizip/{{/vsicurl/{}}}"}


def ogr_count(url: str, form: str = "/vsicurl/{}") -> dict[str, int]:
    """Layer -> feature count, as Debian's ogrinfo reads the URL."""
    out = subprocess.run(["ogrinfo", "-ro", "-so", "-al", form.format(url)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    counts, layer = {}, None
    for line in out.stdout.splitlines():
        if line.startswith("Layer name:"):
            layer = line.split(":", 1)[1].strip()
        elif line.startswith("Feature Count:") and layer:
            counts[layer] = int(line.split(":", 1)[1])
    return counts


def test_debians_gdal_is_the_one_of_the_issue():
    version = subprocess.run(["ogrinfo", "--version"], capture_output=True, text=True).stdout
    assert version.startswith("GDAL 3.6"), version


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_download_format_opens_by_url_in_gdal_3_6(service, loaded, fmt):
    want = len(snap(loaded, "municipalities", DATE))
    url = (f"{service}/collections/municipalities/download?"
           + urlencode({"date": DATE, "f": fmt}))
    counts = ogr_count(url, FORMATS[fmt])
    assert list(counts.values()) == [want], counts
    if fmt != "shp":  # and geopandas (GDAL 3.12 in pyogrio), the same way
        frame = gpd.read_file(FORMATS[fmt].format(url).replace("/vsicurl/", "", 1)
                              if fmt != "csv" else FORMATS[fmt].format(url))
        assert len(frame) == want


def test_the_whole_map_and_the_changes_open_by_url(service, loaded):
    counts = ogr_count(f"{service}/download?date={DATE}")
    for layer in ("municipalities", "districts", "region"):
        assert counts[layer] == len(snap(loaded, layer, DATE)), counts
    changes = ogr_count(f"{service}/collections/streets/changes?"
                        + urlencode({"from": "2020-04-27", "to": "2021-04-12", "f": "gpkg"}))
    geojson = gpd.read_file(f"{service}/collections/streets/changes?"
                            + urlencode({"from": "2020-04-27", "to": "2021-04-12"}))
    assert list(changes.values()) == [len(geojson)] and len(geojson) > 0


def test_a_geopackage_says_version_1_3_and_its_file_name(service):
    import httpx

    r = httpx.get(f"{service}/collections/municipalities/download",
                  params={"date": DATE, "f": "gpkg"}, timeout=120)
    assert r.status_code == 200
    assert int.from_bytes(r.content[60:64], "big") == 10300  # SQLite user_version
    assert 'filename="municipalities_2016-01-01.gpkg"' in r.headers["content-disposition"]


def test_qgis_reads_every_collection_through_its_oapif_provider(service, loaded, tmp_path):
    """Debian's QGIS 3.22 (headless PyQGIS), the OGC API Features provider: every layer as
    it is now, with the counts of the store."""

    from layers.catalogue import load_catalogue

    layers = sorted(load_catalogue().layers)
    got = qgis_oapif(service, layers, tmp_path)
    for layer in layers:
        assert got[layer][0], (layer, got[layer])
        assert got[layer][1] == len(snap(loaded, layer, "2100-01-01")), (layer, got[layer])


def test_owslib_reads_records_edr_and_processes(service):
    """OWSLib's clients of OGC API Records, EDR and Processes against the real service."""
    import json

    from owslib.ogcapi.edr import EnvironmentalDataRetrieval
    from owslib.ogcapi.processes import Processes
    from owslib.ogcapi.records import Records

    records = Records(service)
    found = records.collection_items("catalogue", q="streets")
    assert any(r["id"] == "streets" for r in found["features"]), found
    edr = EnvironmentalDataRetrieval(service)
    series = edr.query_data("no2_station_series", "position", coords="POINT(4.3855 50.8242)",
                            datetime="2015-01-01/2020-12-31")
    covjson = series if isinstance(series, dict) else json.loads(
        series.read() if hasattr(series, "read") else series)
    assert covjson["type"] in ("Coverage", "CoverageCollection"), covjson
    processes = Processes(service)
    assert [p["id"] for p in processes.processes()] == ["link"]
    result = processes.execute("link", {"features": {  # response=document, as OWSLib asks
        "type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [4.3525, 50.8467]},
            "properties": {"d": "2016-05-01"}}]}, "date_field": "d",
        "to": ["municipalities"]})
    linked = result if isinstance(result, dict) else json.loads(result)
    props = linked["linked"]["features"][0]["properties"]  # keyed by the output's id
    assert props["municipalities_name_fr"] == "Bruxelles-Ville"
