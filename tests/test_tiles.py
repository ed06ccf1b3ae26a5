# SPDX-License-Identifier: EUPL-1.2
"""Time-aware OGC API Tiles against the real service and the real data, read by independent
clients: mapbox-vector-tile (Python), GDAL's MVT driver (Debian's ogrinfo), QGIS's
vector-tile layer (Debian's PyQGIS, headless)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import textwrap

import httpx
import mapbox_vector_tile
import psycopg
import pytest
import shapely
from psycopg import sql
from strata_helpers import serve, snap

from versioning import tiles as T
from versioning.database import connect

MVT = "application/vnd.mapbox-vector-tile"
REGION = (4.24, 50.76, 4.49, 50.92)  # lon / lat box of the Brussels-Capital Region
TILES = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
# one date before the first edition, one between two, one after the last
DATES = {"municipalities": ("2015-01-01", "2016-01-01", "2022-01-01"),
         "streets": ("2020-01-01", "2020-06-01", "2022-01-01")}
ZOOM = {"municipalities": 10, "streets": 12}
KEY = {"municipalities": "municipality_id", "streets": "osm_way_id"}
TILE_10 = "10/343/524"  # z/y/x: the tile of central Brussels at zoom 10


def get(service, path, **kw):
    return httpx.get(f"{service}{path}", timeout=120, **kw)


def tiles_over(bbox, z):
    """(z, y, x) of every WebMercatorQuad tile meeting a lon / lat box."""
    def col(lon):
        return int((lon + 180) / 360 * 2**z)

    def row(lat):
        return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)

    w, s, e, n = bbox
    return [(z, y, x) for x in range(col(w), col(e) + 1) for y in range(row(n), row(s) + 1)]


def tile_lonlat(z, y, x):
    """The lon / lat box of a tile."""
    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / 2**z))))

    return x / 2**z * 360 - 180, lat(y + 1), (x + 1) / 2**z * 360 - 180, lat(y)


def decode(response, layer):
    """The features of one MVT layer of a tile answer (a tile of no feature has no layer)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MVT
    tile = mapbox_vector_tile.decode(response.content)
    assert set(tile) <= {layer}
    return tile[layer]["features"] if tile else []


def keys_over_region(service, layer, path, params):
    """The keys of the features in the tiles covering the region (repeated across tiles:
    a set), every tile decoded."""
    keys = set()
    for z, y, x in tiles_over(REGION, ZOOM[layer]):
        for f in decode(get(service, f"{path}/{z}/{y}/{x}", params=params), layer):
            keys.add(f["properties"][KEY[layer]])
            assert f["id"] == f["properties"][KEY[layer]]  # an integer key is the feature id
    return keys


@pytest.mark.parametrize("layer", ["municipalities", "streets"])
def test_the_tiles_of_a_date_hold_the_snapshot_of_that_date(service, loaded, layer):
    covered = tiles_over(REGION, ZOOM[layer])
    w = min(tile_lonlat(*t)[0] for t in covered)
    s = min(tile_lonlat(*t)[1] for t in covered)
    e = max(tile_lonlat(*t)[2] for t in covered)
    n = max(tile_lonlat(*t)[3] for t in covered)
    for date in DATES[layer]:
        expected = snap(loaded, layer, date, epsg=4326)
        keys = keys_over_region(service, layer, f"/collections/{layer}/tiles/WebMercatorQuad",
                                {"datetime": date})
        if len(expected):
            bw, bs, be, bn = shapely.total_bounds(expected.geometry.to_numpy())
            assert w <= bw and s <= bs and be <= e and bn <= n  # the tiles cover the layer
        assert keys == set(expected.index), date
    assert len(snap(loaded, layer, DATES[layer][0])) == 0  # before the first edition: empty


def test_a_feature_carries_its_key_names_and_lifespan(service):
    features = decode(get(service, f"/collections/municipalities/tiles/WebMercatorQuad/"
                                   f"{TILE_10}", params={"datetime": "2016-01-01"}),
                      "municipalities")
    brussels = next(f for f in features if f["id"] == 7400)
    assert brussels["properties"] == {
        "municipality_id": 7400, "name_fr": "Bruxelles-Ville", "name_nl": "Brussel-Stad",
        "beginLifespanVersion": "2015-07-19T22:00:00Z",
        "endLifespanVersion": "2021-02-04T23:00:00Z"}
    assert brussels["geometry"]["type"] in ("Polygon", "MultiPolygon")
    # a version still current has no end
    now = decode(get(service, f"/collections/municipalities/tiles/WebMercatorQuad/{TILE_10}"),
                 "municipalities")
    assert all("endLifespanVersion" not in f["properties"] for f in now)
    # properties= chooses the attributes; the key and the lifespan are always there
    chosen = decode(get(service, "/collections/streets/tiles/WebMercatorQuad/14/5497/8390",
                        params={"datetime": "2021-06-01", "properties": "name,gender"}),
                    "streets")
    assert chosen and all(
        set(f["properties"]) - {"endLifespanVersion"} <= {"osm_way_id", "name", "gender",
                                                           "beginLifespanVersion"}
        and {"osm_way_id", "beginLifespanVersion"} <= set(f["properties"]) for f in chosen)
    # a text key is a property, never a feature id
    districts = decode(get(service, "/collections/districts/tiles/WebMercatorQuad/12/1374/2097"),
                       "districts")
    assert districts and all(f["id"] == 0 for f in districts)  # the decoder's "no id"
    assert all(f["properties"]["district_id"].startswith("BE.") for f in districts)


def test_two_dates_of_one_edition_give_one_tile_one_etag_and_304(service):
    path = f"/collections/municipalities/tiles/WebMercatorQuad/{TILE_10}"
    a = get(service, path, params={"datetime": "2016-01-01"})
    b = get(service, path, params={"datetime": "2018-06-01"})
    c = get(service, path, params={"datetime": "2018-06-01T12:00:00Z"})
    assert a.status_code == b.status_code == c.status_code == 200
    assert a.content == b.content == c.content and len(a.content) > 1000
    assert a.headers["etag"] == b.headers["etag"] == c.headers["etag"]
    assert a.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = get(service, path, params={"datetime": "2019-03-03"},
                headers={"If-None-Match": a.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == a.headers["etag"]
    # another edition: other bytes, another ETag, no 304
    d = get(service, path, params={"datetime": "2022-01-01"},
            headers={"If-None-Match": a.headers["etag"]})
    assert d.status_code == 200 and d.content != a.content
    assert d.headers["etag"] != a.headers["etag"]
    # after the newest edition the map may still change: cached for a minute only
    assert d.headers["cache-control"] == "public, max-age=60"
    # the ETag follows the properties asked for
    e = get(service, path, params={"datetime": "2016-01-01", "properties": "name_fr"})
    assert e.headers["etag"] != a.headers["etag"]

def test_an_offset_postgresql_cannot_read_is_the_same_instant(service):
    """ISO 8601 allows offsets up to 23:59 (Python to the microsecond); PostgreSQL reads them
    up to 15:59: the tile of such an instant is the tile of the same instant in UTC."""
    for path, asked, same in [
            (f"/collections/municipalities/tiles/WebMercatorQuad/{TILE_10}",
             {"datetime": "2021-02-05T12:00:00+23:59"}, {"datetime": "2021-02-04T12:01:00Z"}),
            (f"/collections/municipalities/tiles/WebMercatorQuad/{TILE_10}",
             {"datetime": "2015-07-19T12:00:00-20:00"}, {"datetime": "2015-07-20T08:00:00Z"}),
            (f"/tiles/WebMercatorQuad/{TILE_10}",
             {"datetime": "2021-02-05T12:00:00+15:59:59.5"},
             {"datetime": "2021-02-04T20:00:00.5Z"}),
            ("/collections/streets/changes/tiles/WebMercatorQuad/12/1374/2097",
             {"from": "2020-04-27T12:00:00+23:59", "to": "2021-04-12T00:00:00-16:00"},
             {"from": "2020-04-26T12:01:00Z", "to": "2021-04-12T16:00:00Z"})]:
        a, b = get(service, path, params=asked), get(service, path, params=same)
        assert a.status_code == b.status_code == 200, (path, asked, a.text)
        assert a.content == b.content and a.headers["etag"] == b.headers["etag"]



def test_gdal_reads_a_tile(service, tmp_path):
    r = get(service, f"/collections/municipalities/tiles/WebMercatorQuad/{TILE_10}",
            params={"datetime": "2016-01-01"})
    pbf = tmp_path / "tile.pbf"
    pbf.write_bytes(r.content)
    z, y, x = TILE_10.split("/")
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-oo", f"X={x}", "-oo", f"Y={y}", "-oo",
                          f"Z={z}", str(pbf)], capture_output=True, text=True, check=True).stdout
    assert "using driver `MVT' successful" in out
    assert "Layer name: municipalities" in out and "Feature Count: 19" in out
    assert "name_fr (String) = Anderlecht" in out and "MULTIPOLYGON" in out


def test_polygons_in_tiles_are_valid_wound_for_mvt_and_in_place(service, loaded):
    """Every road event (real OSIRIS polygons, quadrilaterals among them: the few compact
    enough take the quick way of versioning/sql/tile_quick.sql, the others
    ST_AsMVTGeom) in the tiles of the quadrilaterals at zoom 15 and 17, decoded in tile units
    (mapbox-vector-tile): a valid polygon, each outer ring wound as MVT wants (as
    ST_AsMVTGeom winds it), the shape ST_AsMVTGeom makes of the feature projected by PostGIS
    itself (a quadrilateral within two tile units of it)."""
    with psycopg.connect(loaded.url) as conn:
        small = conn.execute(sql.SQL(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) "
            "AS c FROM {}.layer_road_events WHERE ST_NPoints(geom) <= 5 "
            "AND sys_to = 'infinity') AS s").format(sql.Identifier(loaded.schema))).fetchall()
        assert len(small) >= 40  # the real data holds quadrilaterals
        tiles = {(z, *tiles_over((lon, lat, lon, lat), z)[0][1:]) for lon, lat in small
                 for z in (15, 17)}
        compared = quads = 0
        for z, y, x in sorted(tiles):
            features = mapbox_vector_tile.decode(
                get(service, f"/collections/road_events/tiles/WebMercatorQuad/{z}/{y}/{x}"
                    ).content, default_options={"y_coord_down": True})["road_events"]["features"]
            drawn = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in features}
            expected = conn.execute(sql.SQL(
                "SELECT fid, ST_NPoints(geom), ST_AsBinary(ST_AsMVTGeom(ST_Transform(geom, 3857), "
                "ST_TileEnvelope(%s, %s, %s), 4096, 64, true)) FROM {}.layer_road_events "
                "WHERE sys_to = 'infinity' AND geom && ST_Transform(ST_TileEnvelope(%s, %s, %s), "
                "31370)").format(sql.Identifier(loaded.schema)), (z, x, y, z, x, y)).fetchall()
            for key, points, wkb in expected:
                if wkb is None:
                    continue  # too small for the tile's grid: a point in Strata's tile
                want = shapely.from_wkb(wkb)
                got = drawn[key]
                assert got.geom_type in ("Polygon", "MultiPolygon"), (z, x, y, key)
                assert got.is_valid, (z, x, y, key, shapely.is_valid_reason(got))
                parts = getattr(got, "geoms", [got])
                assert all(part.exterior.is_ccw for part in parts), (z, x, y, key)
                assert all(part.exterior.is_ccw for part in getattr(want, "geoms", [want]))
                # the same shape: apart by a tile unit on average along the outline (a part
                # narrower than a unit may go), a quadrilateral by two units at most
                assert got.symmetric_difference(want).area <= want.length, (z, x, y, key)
                if points <= 5:
                    assert shapely.hausdorff_distance(got, want) <= 2.0, (z, x, y, key)
                    quads += 1
                compared += 1
        assert quads >= 2 * len(small) and compared > quads


def test_light_tiles_keep_their_plan_dense_ones_are_planned_anew(loaded, catalogue,
                                                                monkeypatch):
    """The tiles of a layer at a zoom whose every tile so far was light run as a prepared
    statement, whose generic plan PostgreSQL keeps after five runs, and give the bytes of a
    fresh plan; a dense tile (more than LIGHT features) sends that zoom back to fresh plans,
    and a tile capped under the kept plan is made again by a fresh one."""
    monkeypatch.setattr(T, "_DENSEST", {})
    at = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
    later = dt.datetime(2021, 6, 1, tzinfo=dt.UTC)
    municipalities, streets = catalogue.layer("municipalities"), catalogue.layer("streets")

    def runs(conn):
        """(prepared statements, their runs, of which with the generic plan)."""
        return conn.execute("SELECT count(*), coalesce(sum(generic_plans + custom_plans), 0), "
                            "coalesce(sum(generic_plans), 0) FROM pg_prepared_statements"
                            ).fetchone()

    with connect(loaded.url, loaded.schema) as conn:
        tile = T.TileAddress(10, 524, 343)  # the 19 municipalities: light
        first = T.layer_tile(conn, municipalities, tile, at)
        assert runs(conn) == (0, 0, 0)  # nothing known of this zoom yet: planned anew
        for _ in range(7):
            assert T.layer_tile(conn, municipalities, tile, at) == first  # same bytes
        count, total, generic = runs(conn)
        assert count == 1 and total == 7 and generic >= 1  # kept, then its generic plan
        assert T._DENSEST[("municipalities", 10)] == 19
        # streets at zoom 12: a light tile (20 streets), then the centre (over 2,000)
        T.layer_tile(conn, streets, T.TileAddress(12, 2097, 1372), later)
        T.layer_tile(conn, streets, T.TileAddress(12, 2097, 1374), later)  # kept plan
        assert T._DENSEST[("streets", 12)] > T.LIGHT
        before = runs(conn)
        T.layer_tile(conn, streets, T.TileAddress(12, 2098, 1374), later)
        assert runs(conn) == before  # the zoom of a dense tile is planned anew

    # a cap of 100: the light tile first, then the centre, capped under the kept plan and
    # made again by a fresh plan: the bytes a fresh process makes
    monkeypatch.setattr(T, "_DENSEST", {})
    with connect(loaded.url, loaded.schema) as conn:
        T.layer_tile(conn, streets, T.TileAddress(12, 2097, 1372), later, cap=100)
        kept = T.layer_tile(conn, streets, T.TileAddress(12, 2097, 1374), later, cap=100)
    monkeypatch.setattr(T, "_DENSEST", {})
    with connect(loaded.url, loaded.schema) as conn:
        fresh = T.layer_tile(conn, streets, T.TileAddress(12, 2097, 1374), later, cap=100)
        assert runs(conn) == (0, 0, 0)
    assert kept.capped and kept == fresh


QGIS_SCRIPT = textwrap.dedent("""
    import json, sys
    from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsDataSourceUri,
                           QgsMapRendererParallelJob, QgsMapSettings, QgsRectangle,
                           QgsVectorTileBasicRenderer, QgsVectorTileLayer)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    url, out = sys.argv[1], sys.argv[2]
    app = QgsApplication([], False)
    app.initQgis()
    uri = QgsDataSourceUri()
    uri.setParam("type", "xyz")
    uri.setParam("url", url)
    uri.setParam("zmin", "10")
    uri.setParam("zmax", "10")
    layer = QgsVectorTileLayer(bytes(uri.encodedUri()).decode(), "municipalities")
    renderer = QgsVectorTileBasicRenderer()
    renderer.setStyles(QgsVectorTileBasicRenderer.simpleStyleWithRandomColors())
    layer.setRenderer(renderer)
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setExtent(QgsRectangle(471000, 6578000, 500000, 6606000))  # Brussels
    settings.setOutputSize(QSize(400, 400))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(out)
    white = QColor(255, 255, 255).rgb()
    drawn = sum(image.pixel(x, y) != white for x in range(400) for y in range(400))
    print(json.dumps({"valid": layer.isValid(), "drawn": drawn,
                      "errors": [str(e) for e in job.errors()]}))
    app.exitQgis()
""")


def test_qgis_draws_the_tiles_of_a_date(service, tmp_path):
    script = tmp_path / "draw.py"
    script.write_text(QGIS_SCRIPT)
    drawn = {}
    for date in ("2016-01-01", "2015-01-01"):
        url = (f"{service}/collections/municipalities/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"
               f"?datetime={date}")
        out = subprocess.run(
            ["/usr/bin/python3", str(script), url, str(tmp_path / f"qgis-{date}.png")],
            capture_output=True, text=True, timeout=300, cwd=tmp_path, check=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": "",
                 "XDG_RUNTIME_DIR": str(tmp_path)})
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result["valid"] and result["errors"] == [], out.stderr[-2000:]
        drawn[date] = result["drawn"]
    # the region's 19 municipalities fill a good part of the image in 2016, nothing in 2015
    assert drawn["2016-01-01"] > 20_000 and drawn["2015-01-01"] == 0


def test_the_changes_tiles_agree_with_changes(service):
    params = {"from": "2020-04-27", "to": "2021-04-12"}
    expected = {(f["properties"]["osm_way_id"], f["properties"]["action"]) for f in get(
        service, "/collections/streets/changes", params={**params, "f": "geojson"}
    ).json()["features"]}
    got = set()
    names = {}
    for z, y, x in tiles_over(REGION, 12):
        r = get(service, f"/collections/streets/changes/tiles/WebMercatorQuad/{z}/{y}/{x}",
                params=params)
        for f in decode(r, "streets"):
            got.add((f["properties"]["osm_way_id"], f["properties"]["action"]))
            names[f["properties"]["osm_way_id"]] = f["properties"]
    assert got == expected and {a for _, a in got} == {"added", "modified", "deleted"}
    added = next(p for p in names.values() if p["action"] == "added")
    deleted = next(p for p in names.values() if p["action"] == "deleted")
    assert "new_begin_lifespan" in added and "old_begin_lifespan" not in added
    assert "old_begin_lifespan" in deleted and "new_begin_lifespan" not in deleted
    renamed = [p for p in names.values() if p["action"] == "modified"
               and p.get("old_name_fr") != p.get("new_name_fr")]
    assert renamed  # both versions' names travel with the change


def test_the_map_tileset_is_the_basemap(service):
    r = get(service, "/tiles/WebMercatorQuad/12/1374/2097", params={"datetime": "2021-06-01"})
    tile = mapbox_vector_tile.decode(r.content)
    assert list(tile) == ["region", "municipalities", "districts", "streets"]  # bottom first
    assert len(tile["municipalities"]["features"]) >= 5 and tile["streets"]["features"]
    # a layer is left out of the zooms it is not tiled at
    assert set(mapbox_vector_tile.decode(get(service, f"/tiles/WebMercatorQuad/{TILE_10}")
                                         .content)) == {"region", "municipalities", "districts"}
    tj = get(service, "/tiles/WebMercatorQuad", params={"f": "tilejson",
                                                        "datetime": "2016-01-01"}).json()
    assert tj["tilejson"] == "3.0.0" and "basemap" not in tj
    assert tj["tiles"] == [f"{service}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"
                           "?datetime=2016-01-01"]
    assert [v["id"] for v in tj["vector_layers"]] == ["region", "municipalities", "districts",
                                                      "streets"]
    assert get(service, "/tiles").json()["tilesets"][0]["dataType"] == "vector"
    # the credits, as the data's licences word them, in the asked language
    credits = {lang: get(service, "/tiles/WebMercatorQuad",
                         params={"f": "tilejson", "lang": lang}).json()["attribution"]
               for lang in ("fr", "nl", "en")}
    assert credits["fr"].startswith("Réalisé au moyen de Brussels UrbIS®©")
    assert credits["nl"].startswith("Verwezenlijkt door middel van Brussels UrbIS®©")
    assert credits["en"].startswith("Realized by means of Brussels UrbIS®©")
    assert "contributeurs d'OpenStreetMap" in credits["fr"]
    assert "OpenStreetMap-bijdragers" in credits["nl"]


def test_metadata_tile_matrix_sets_and_links(service):
    tms = get(service, "/tileMatrixSets/WebMercatorQuad").json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) == 25
    assert tms["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    z0 = tms["tileMatrices"][0]
    assert math.isclose(z0["scaleDenominator"], 559082264.028717, rel_tol=1e-9)
    assert math.isclose(z0["cellSize"], 156543.033928041, rel_tol=1e-9)
    assert tms["tileMatrices"][12]["matrixWidth"] == 4096
    listed = get(service, "/tileMatrixSets").json()["tileMatrixSets"]
    assert [t["id"] for t in listed] == ["WebMercatorQuad"]
    sets = get(service, "/collections/streets/tiles").json()["tilesets"]
    assert sets[0]["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    meta = get(service, "/collections/streets/tiles/WebMercatorQuad",
               params={"datetime": "2020-06-01"}).json()
    item = next(lk for lk in meta["links"] if lk["rel"] == "item")
    assert item["templated"] and item["type"] == MVT
    assert item["href"].endswith("/{tileMatrix}/{tileRow}/{tileCol}?datetime=2020-06-01")
    assert [m["tileMatrix"] for m in meta["tileMatrixSetLimits"]] == [
        str(z) for z in range(12, 19)]
    assert meta["layers"][0]["id"] == "streets" and meta["layers"][0]["minTileMatrix"] == "12"
    tj = get(service, "/collections/streets/tiles/WebMercatorQuad",
             params={"f": "tilejson", "datetime": "2020-06-01"}).json()
    assert (tj["minzoom"], tj["maxzoom"]) == (12, 18)
    template = tj["tiles"][0]
    assert template.endswith("/collections/streets/tiles/WebMercatorQuad/{z}/{y}/{x}"
                             "?datetime=2020-06-01")
    # the template, filled as a client fills it, gives a tile of streets
    filled = template.replace("{z}", "12").replace("{y}", "1374").replace("{x}", "2097")
    assert decode(httpx.get(filled, timeout=60), "streets")
    assert set(tj["vector_layers"][0]["fields"]) >= {"osm_way_id", "name_fr", "name_nl",
                                                     "beginLifespanVersion"}
    # titles in the asked language
    fr = get(service, "/collections/streets/tiles/WebMercatorQuad", params={"lang": "fr"})
    assert fr.json()["title"].startswith("Voies") and fr.headers["content-language"] == "fr"
    # declared, and only the tiles classes implemented
    conformance = get(service, "/conformance").json()["conformsTo"]
    declared = {c.removeprefix(TILES) for c in conformance if c.startswith(TILES)}
    assert declared == {"core", "tileset", "tilesets-list", "geodata-tilesets",
                        "dataset-tilesets", "datetime", "mvt"}
    rel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
    landing = get(service, "/", params={"f": "json"}).json()["links"]
    assert any(lk["rel"] == rel and lk["href"] == f"{service}/tiles" for lk in landing)
    collection = get(service, "/collections/streets", params={"f": "json"}).json()["links"]
    assert any(lk["rel"] == rel and lk["href"].endswith("/collections/streets/tiles")
               for lk in collection)
    collections = get(service, "/collections", params={"f": "json"}).json()["collections"]
    streets = next(c for c in collections if c["id"] == "streets")
    assert any(lk["rel"] == rel for lk in streets["links"])


@pytest.mark.parametrize("path, params, status, says", [
    ("/collections/streets/tiles/WorldCRS84Quad/12/1374/2097", {}, 404, "WorldCRS84Quad"),
    ("/tileMatrixSets/WorldCRS84Quad", {}, 404, "WorldCRS84Quad"),
    ("/tiles/Mercator/12/1374/2097", {}, 404, "Mercator"),
    ("/collections/streets/tiles/WebMercatorQuad/12/4096/2097", {}, 404, "outside"),
    ("/collections/streets/tiles/WebMercatorQuad/25/0/0", {}, 404, "tile matrix 25"),
    ("/collections/streets/tiles/WebMercatorQuad/12/-1/2097", {}, 404, "outside"),
    ("/collections/streets/tiles/WebMercatorQuad/twelve/1374/2097", {}, 400, "whole numbers"),
    ("/collections/streets/tiles/WebMercatorQuad/\uff11\uff12/1374/2097", {}, 400,
     "whole numbers"),  # full-width digits
    ("/collections/streets/tiles/WebMercatorQuad/12/\u0661\u0663\u0667\u0664/2097", {}, 400,
     "whole numbers"),  # Arabic-Indic digits
    ("/tiles/WebMercatorQuad/+12/1374/2097", {}, 400, "whole numbers"),
    ("/collections/streets/tiles/WebMercatorQuad/8/85/131", {}, 404, "zoom 8"),
    ("/collections/streets/tiles/WebMercatorQuad/12/1374/2097", {"datetime": "2020-13-45"},
     400, "datetime"),
    ("/collections/streets/tiles/WebMercatorQuad/12/1374/2097", {"datetime": "yesterday"},
     400, "datetime"),
    ("/collections/streets/tiles/WebMercatorQuad/12/1374/2097", {"properties": "nope"},
     400, "nope"),
    ("/collections/streets/tiles/WebMercatorQuad/12/1374/2097", {"bbox": "1,2,3,4"},
     400, "bbox"),
    ("/collections/streets/tiles/WebMercatorQuad/12/1374/2097", {"f": "png"}, 400, "png"),
    ("/collections/nowhere/tiles/WebMercatorQuad/12/1374/2097", {}, 404, "nowhere"),
    ("/collections/incidents/tiles/WebMercatorQuad/12/1374/2097", {}, 404, "incidents"),
    ("/collections/streets/changes/tiles/WebMercatorQuad/12/1374/2097", {}, 400, "from"),
    ("/collections/streets/changes/tiles/WebMercatorQuad/12/1374/2097",
     {"from": "2021-04-12", "to": "2020-04-27"}, 400, "before"),
    ("/collections/streets/changes/tiles/WebMercatorQuad/12/1374/2097",
     {"from": "April"}, 400, "from"),
    ("/tiles/WebMercatorQuad/12/1374/2097", {"datetime": "2021-99-01"}, 400, "datetime"),
    ("/tiles/WebMercatorQuad/19/0/0", {}, 404, "zoom 19"),
    ("/collections/streets/tiles/WebMercatorQuad", {"f": "html"}, 400, "tilejson"),
    ("/collections/streets/tiles/", {}, 404, "trailing slash"),
    ("/collections/streets/tiles/WebMercatorQuad/12/1374", {}, 404, "{tileCol}"),
    ("/collections/nowhere/tiles/WebMercatorQuad/12/1374", {}, 404, "nowhere"),
    ("/tiles/", {}, 404, "trailing slash: /tiles"),
])
def test_bad_tile_requests_in_the_one_shape(service, path, params, status, says):
    r = get(service, path, params=params)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"code", "description", "hint"} and body["hint"]
    assert says in body["description"] + body["hint"]


def test_a_zoom_outside_the_range_names_the_range(service):
    body = get(service, "/collections/streets/tiles/WebMercatorQuad/8/85/131").json()
    assert "from zoom 12 to 18" in body["hint"]


def test_an_interval_gives_every_version_alive_in_it(service, loaded):
    path = "/collections/municipalities/tiles/WebMercatorQuad"
    keys = keys_over_region(service, "municipalities", path,
                            {"datetime": "2016-01-01/2022-01-01"})
    assert keys == set(snap(loaded, "municipalities", "2016-01-01").index) | set(
        snap(loaded, "municipalities", "2022-01-01").index)
    versions = decode(get(service, f"{path}/{TILE_10}",
                          params={"datetime": "2016-01-01/2022-01-01"}), "municipalities")
    assert len(versions) > len({f["id"] for f in versions})  # a feature, once per version


def test_an_interval_never_shares_the_tile_of_an_instant(service, loaded):
    """``../X``, ``X/..`` and ``../..`` give every version alive in them: made by the same
    editions as the map of X (or of today), they still have their own ETag and cache entry.
    Each interval is asked first, so that a shared entry would show in the instant's tile."""
    path = f"/collections/municipalities/tiles/WebMercatorQuad/{TILE_10}"
    for n, (interval, instant) in enumerate((("../2022-01-01", "2022-01-01"),
                                             ("2016-01-01/..", None), ("../..", None))):
        # properties of this case only: no earlier test made these tiles
        props = {"properties": ["name_nl", "nat_code", "inspire_id"][n]}
        every = get(service, path, params={**props, "datetime": interval})
        versions = decode(every, "municipalities")
        assert len(versions) == 2 * len({f["id"] for f in versions}) == 38
        at = get(service, path, params={**props, **({"datetime": instant} if instant else {})})
        today = decode(at, "municipalities")
        assert sorted(f["id"] for f in today) == sorted(
            snap(loaded, "municipalities", instant or dt.date.today().isoformat()).index)
        assert at.headers["etag"] != every.headers["etag"]


def test_a_property_named_twice_is_named_once(service):
    path = f"/collections/municipalities/tiles/WebMercatorQuad/{TILE_10}"
    once = get(service, path, params={"properties": "name_fr,name_nl"})
    twice = get(service, path, params={"properties": "name_fr,name_nl,name_fr"})
    assert twice.status_code == 200, twice.text
    assert twice.content == once.content and twice.headers["etag"] == once.headers["etag"]


def test_the_feature_cap_says_so_and_the_basemap_is_named(service, loaded):
    basemap = "https://tiles.example.org/{z}/{x}/{y}.pbf"
    path = "/collections/streets/tiles/WebMercatorQuad/12/1374/2097"
    with serve({**loaded.environ, "STRATA_TILE_MAX_FEATURES": "100",
                "STRATA_BASEMAP_URL": basemap}) as base:
        capped = get(base, path)
        assert capped.headers["strata-tile-capped"] == "true"
        # at most the cap: of the 100 read in the tile's box in storage CRS, one in its
        # corners (outside the tile in Web Mercator) may be drawn nowhere
        assert 90 <= len(decode(capped, "streets")) <= 100
        few = get(base, "/collections/streets/tiles/WebMercatorQuad/16/21990/33561")
        assert "strata-tile-capped" not in few.headers and decode(few, "streets")
        tj = get(base, "/tiles/WebMercatorQuad", params={"f": "tilejson"}).json()
        assert tj["basemap"] == {"tiles": [basemap]}
    # under the default cap the same tile is whole, and another tile (another ETag)
    whole = get(service, path)
    assert "strata-tile-capped" not in whole.headers and len(decode(whole, "streets")) > 1000
    assert whole.headers["etag"] != capped.headers["etag"]


def test_an_empty_tile_is_an_empty_200(service):
    r = get(service, "/collections/municipalities/tiles/WebMercatorQuad/10/0/0")
    assert r.status_code == 200 and r.content == b"" and r.headers["content-type"] == MVT
    assert "etag" in r.headers


def test_a_tile_made_once_is_served_from_the_cache(service, loaded):
    """The process keeps the tiles it made by their ETag: the same tile asked again, or at
    another date of the same edition, is the same bytes from the cache (Server-Timing says
    hit); another edition is made anew; a capped tile keeps its header; another process on
    the same store finds the tile in the shared folder (shared); with both caches off
    (STRATA_TILE_CACHE_BYTES=0, STRATA_TILE_DISK_CACHE_BYTES=0) every tile is made, to the
    same bytes."""
    path = "/collections/streets/tiles/WebMercatorQuad/14/5499/8390"
    first = get(service, path, params={"datetime": "2020-06-01"})
    again = get(service, path, params={"datetime": "2020-07-15"})
    assert first.status_code == again.status_code == 200 and len(first.content) > 100
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["server-timing"] == "tilecache;desc=hit"
    assert again.content == first.content
    other = get(service, path, params={"datetime": "2021-06-01"})
    assert other.headers["etag"] != first.headers["etag"]
    assert other.headers["server-timing"] == "tilecache;desc=miss"
    with serve({**loaded.environ, "STRATA_TILE_CACHE_BYTES": "0"}) as base:
        # no memory: every time from the folder the first process wrote
        shared = [get(base, path, params={"datetime": "2020-06-01"}) for _ in range(2)]
        assert [r.headers["server-timing"] for r in shared] == ["tilecache;desc=shared"] * 2
    with serve({**loaded.environ, "STRATA_TILE_CACHE_BYTES": "0",
                "STRATA_TILE_DISK_CACHE_BYTES": "0"}) as base:
        made = [get(base, path, params={"datetime": "2020-06-01"}) for _ in range(2)]
        assert [r.headers["server-timing"] for r in made] == ["tilecache;desc=miss"] * 2
    # the cached tile is the tile made anew: the same bytes with the caches and without
    assert made[0].content == made[1].content == first.content == again.content
    assert shared[0].content == shared[1].content == first.content
    assert shared[0].headers["etag"] == first.headers["etag"]
    capped = "/collections/streets/tiles/WebMercatorQuad/12/1374/2097"
    with serve({**loaded.environ, "STRATA_TILE_MAX_FEATURES": "100"}) as base:
        twice = [get(base, capped) for _ in range(2)]
        # made now, or by the test of the cap (same store, same cap: the same ETag)
        assert twice[0].headers["server-timing"] in ("tilecache;desc=miss",
                                                     "tilecache;desc=shared")
        assert twice[1].headers["server-timing"] == "tilecache;desc=hit"
        assert all(r.headers["strata-tile-capped"] == "true" for r in twice)
        assert twice[0].content == twice[1].content
    with serve({**loaded.environ, "STRATA_TILE_MAX_FEATURES": "100",
                "STRATA_TILE_CACHE_BYTES": "0"}) as base:
        kept = get(base, capped)  # the capped header kept in the shared folder too
        assert kept.headers["server-timing"] == "tilecache;desc=shared"
        assert kept.headers["strata-tile-capped"] == "true" and kept.content == twice[0].content


def test_the_opening_view_is_made_when_the_service_starts(loaded, tmp_path):
    """The viewer's opening view (the basemap and the default layer, today, at the zooms a
    screen opens it at) is made in the background when the service starts: the first
    visitor's tiles come from the cache. With STRATA_SEED_TILES=false they are made then."""
    opening = ["/tiles/WebMercatorQuad/11/686/1048",
               "/collections/municipalities/tiles/WebMercatorQuad/11/687/1049",
               "/tiles/WebMercatorQuad/10/343/524"]
    folder = tmp_path / "seeded"
    with serve({**loaded.environ, "STRATA_CACHE_DIR": str(folder)}) as base:
        _seeded(folder / "tiles", len(opening) - 1)
        seeded = [get(base, path) for path in opening]
        assert [r.headers["server-timing"] for r in seeded] == ["tilecache;desc=hit"] * 3
    with serve({**loaded.environ, "STRATA_CACHE_DIR": str(tmp_path / "unseeded"),
                "STRATA_SEED_TILES": "false"}) as base:
        made = [get(base, path) for path in opening]
        assert [r.headers["server-timing"] for r in made] == ["tilecache;desc=miss"] * 3
    assert [r.content for r in made] == [r.content for r in seeded]
    assert [r.headers["etag"] for r in made] == [r.headers["etag"] for r in seeded]
    assert all(len(r.content) > 100 for r in made)


def _seeded(folder, more_than: int, patience: float = 120.0) -> int:
    """Wait for the seed to have written more than ``more_than`` tiles into ``folder`` and to
    have let go of its lock (that pass is over); how many tiles the folder holds."""
    import fcntl
    import time

    deadline = time.time() + patience
    while time.time() < deadline:
        count = len(list(folder.glob("*.mvt")))
        if count > more_than:
            with open(folder / ".seed.lock") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return count
                except BlockingIOError:
                    pass
        time.sleep(0.2)
    raise AssertionError(f"no seed wrote into {folder} within {patience} s")


def test_the_opening_view_is_made_again_after_an_import(env, tmp_path):
    """A new edition changes the opening view's tiles (new ETags): the running service makes
    them again without a restart (STRATA_SEED_INTERVAL_S), so the first visitor after the
    import is served from the cache, with the new edition's map."""
    import datetime as dt

    from strata_helpers import DATA

    municipalities = DATA / "municipalities"
    first = env.run("import", "municipalities", str(municipalities / "fms_municipality_2015.gpkg"),
                    "--date", "2015-07-20", "--source", "fms_surfaces")
    assert first.exit_code == 0, first.output
    folder = tmp_path / "cache"
    opening = "/collections/municipalities/tiles/WebMercatorQuad/11/687/1049"
    with serve({**env.environ, "STRATA_CACHE_DIR": str(folder),
                "STRATA_SEED_INTERVAL_S": "1"}) as base:
        count = _seeded(folder / "tiles", 0)
        before = get(base, opening)
        assert before.headers["server-timing"] == "tilecache;desc=hit"
        names = {f["properties"]["name_fr"] for f in mapbox_vector_tile.decode(
            before.content)["municipalities"]["features"]}
        assert "Bruxelles-Ville" in names
        second = env.run("import", "municipalities",
                         str(municipalities / "urbadm_municipality_2021.gpkg"),
                         "--date", dt.date.today().isoformat(), "--source", "urbadm")
        assert second.exit_code == 0, second.output
        _seeded(folder / "tiles", count)
        after = get(base, opening)
    assert after.headers["server-timing"] == "tilecache;desc=hit"  # made by the seed, again
    assert after.headers["etag"] != before.headers["etag"]
    assert after.content != before.content
