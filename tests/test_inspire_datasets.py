# SPDX-License-Identifier: EUPL-1.2
"""INSPIRE good practice §7.1: one API per data set, beside the combined API. Each layer with
an INSPIRE theme has its landing page, conformance and collections under
``/inspire/{dataset}``, read by real clients (OWSLib, Debian's GDAL and QGIS) through that
prefix."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

import httpx
import pytest
from strata_helpers import qgis_oapif

from layers.catalogue import load_catalogue

GMD = "{http://www.isotc211.org/2005/gmd}"
DATASETS = sorted(i for i, s in load_catalogue().layers.items() if s.inspire_theme)


def rels(links):
    return {(lk["rel"], lk.get("type")): lk["href"] for lk in links}


def test_the_combined_landing_page_links_the_data_sets(service):
    landing = httpx.get(f"{service}/", params={"f": "json"}, timeout=60).json()
    index = next(lk["href"] for lk in landing["links"] if lk["href"].endswith("/inspire"))
    body = httpx.get(index, params={"lang": "nl"}, timeout=60).json()
    assert body["title"] == "Strata: één API per INSPIRE-dataset"
    assert [d["id"] for d in body["datasets"]] == DATASETS and len(DATASETS) >= 8
    for entry in body["datasets"]:
        assert entry["links"][0]["href"].endswith(f"/inspire/{entry['id']}/")


@pytest.mark.parametrize("dataset", DATASETS)
def test_each_data_set_has_its_own_landing_collections_and_conformance(service, dataset):
    r = httpx.get(f"{service}/inspire/{dataset}/", params={"f": "json", "lang": "fr"},
                  timeout=60)
    assert r.status_code == 200 and r.headers["content-language"] == "fr", r.text
    links = rels(r.json()["links"])
    assert r.json()["title"].startswith("API du jeu de données INSPIRE")
    for needed in ("conformance", "data", "service-desc", "license"):
        assert any(rel == needed for rel, _ in links), needed
    record = ET.fromstring(httpx.get(links[("describedby", "application/xml")],
                                     timeout=60).content)
    assert record.tag == f"{GMD}MD_Metadata"
    assert dataset in ET.tostring(record, encoding="unicode")
    head = httpx.head(links[("enclosure", "application/geopackage+sqlite3")], timeout=300)
    assert head.status_code == 200 and int(head.headers["content-length"]) > 0
    collections = httpx.get(links[("data", "application/json")], timeout=60).json()
    assert [c["id"] for c in collections["collections"]] == [dataset]
    top = rels(collections["links"])
    assert top[("describedby", "application/xml")] == links[("describedby", "application/xml")]
    assert ("enclosure", "application/geopackage+sqlite3") in top
    conformance = httpx.get(links[("conformance", "application/json")], timeout=60).json()
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in \
        conformance["conformsTo"]
    # only what its API serves: no processes, records, EDR nor the root's map tileset
    assert not [c for c in conformance["conformsTo"]
                if any(p in c for p in ("processes", "records", "edr", "dataset-tilesets"))]
    tiles = httpx.get(f"{service}/inspire/{dataset}/collections/{dataset}/tiles",
                      params={"f": "json"}, timeout=60)
    assert tiles.status_code == 200 and tiles.json()["tilesets"], tiles.text
    page = httpx.get(f"{service}/inspire/{dataset}", params={"f": "html"}, timeout=60)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'rel="data"' in page.text


def test_owslib_reads_a_data_set_through_its_own_api(service):
    from owslib.ogcapi.features import Features

    api = Features(f"{service}/inspire/municipalities")
    assert [c["id"] for c in api.collections()["collections"]] == ["municipalities"]
    items = api.collection_items("municipalities", limit=50, datetime_="2016-01-01")
    names = {f["properties"]["name_fr"] for f in items["features"]}
    assert len(items["features"]) == 19 and "Bruxelles-Ville" in names
    one = api.collection_item("municipalities", "7400")
    assert one["properties"]["name_fr"] == "Bruxelles"


def test_qgis_reads_a_data_set_through_its_own_api(service, tmp_path):
    got = qgis_oapif(f"{service}/inspire/districts", ["districts"], tmp_path)
    assert got == {"districts": [True, 145]}


def test_gdal_sees_only_the_data_set(service):
    out = subprocess.run(["ogrinfo", "-ro", "-q", f"OAPIF:{service}/inspire/districts"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    layers = [line.split(":", 1)[1].split("(")[0].strip() for line in out.stdout.splitlines()
              if line[:1].isdigit()]
    assert layers == ["districts"], out.stdout
    count = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{service}/inspire/districts",
                            "districts"], capture_output=True, text=True, timeout=300)
    assert "Feature Count: 145" in count.stdout, count.stdout + count.stderr


@pytest.mark.parametrize(("path", "params", "status", "says"), [
    ("/inspire/nowhere/", {}, 404, "municipalities"),
    ("/inspire/municipalities/collections/streets", {}, 404, "whole map"),
    ("/inspire/municipalities/tiles", {}, 404, "whole map"),
    ("/inspire/municipalities/", {"f": "xml"}, 400, "f=json"),
    ("/inspire/municipalities/", {"zzz": "1"}, 400, "takes"),
    ("/inspire", {"f": "csv"}, 400, "f=json")])
def test_what_is_not_a_data_set_api_is_refused_with_a_hint(service, path, params, status, says):
    r = httpx.get(f"{service}{path}", params=params, timeout=60)
    assert r.status_code == status, r.text
    assert set(r.json()) == {"code", "description", "hint"} and says in r.json()["hint"]
