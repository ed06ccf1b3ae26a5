# SPDX-License-Identifier: EUPL-1.2
"""The GeoJSON a layer table keeps in CRS84 (``geojson_crs84``, read by the API's pages instead
of projecting every geometry again): it is the text the API makes, for every version; closing
a version keeps it; a store made before the column gets it, filled, on its next use."""

from __future__ import annotations

import httpx

from geo.crs import CRS84
from layers.catalogue import SHIPPED_DATA as DATA
from versioning.reading import geojson_geometry_sql
from versioning.schema import SCHEMA_VERSION, schema_version


def differing(conn, table: str) -> tuple[int, int]:
    """(versions, versions whose kept GeoJSON is not the one made now) of ``table``."""
    query = geojson_geometry_sql("geom", CRS84).as_string(conn)
    return conn.execute(
        f'SELECT count(*), count(*) FILTER (WHERE geojson_crs84 IS DISTINCT FROM {query}) '
        f'FROM "{table}"').fetchone()


def test_every_version_keeps_the_geojson_the_api_makes(loaded) -> None:
    with loaded.store.connect() as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM layer "
            "WHERE jsonb_array_length(coalesce(spec->'derived_from', '[]')) = 0")]
        assert {"layer_municipalities", "layer_streets"} <= set(tables)
        for table in tables:
            versions, wrong = differing(conn, table)
            assert wrong == 0, f"{table}: {wrong} of {versions} versions"
        assert differing(conn, "layer_streets")[0] > 10_000


def test_a_page_in_crs84_is_the_page_in_epsg_4326_with_its_axes_swapped(service) -> None:
    """CRS84 reads the kept text; EPSG:4326 (latitude first) is projected anew: the same
    coordinates, swapped, for every feature of a dated page."""
    url = f"{service}/collections/streets/items"
    query = {"limit": "200", "datetime": "2020-06-01", "f": "json"}
    kept = httpx.get(url, params=query, timeout=60).json()["features"]
    made = httpx.get(url, params={**query, "crs": "http://www.opengis.net/def/crs/EPSG/0/4326"},
                     timeout=60).json()["features"]
    assert len(kept) == len(made) == 200

    def swapped(coordinates):
        if isinstance(coordinates[0], (int, float)):
            return [coordinates[1], coordinates[0], *coordinates[2:]]
        return [swapped(c) for c in coordinates]

    for a, b in zip(kept, made, strict=True):
        assert a["id"] == b["id"]
        assert a["geometry"]["type"] == b["geometry"]["type"]
        assert a["geometry"]["coordinates"] == swapped(b["geometry"]["coordinates"])


def test_closing_a_version_keeps_its_geojson(env) -> None:
    path = DATA / "municipalities/urbadm_municipality_2021.gpkg"
    assert env.run("import", "municipalities", str(path), "--date", "2021-02-05").exit_code == 0
    with env.store.connect() as conn, conn.transaction(force_rollback=True):
        before = conn.execute("SELECT geojson_crs84 FROM layer_municipalities WHERE fid = 7400"
                              ).fetchone()[0]
        assert before and before.startswith('{"type":"MultiPolygon"')
        conn.execute("UPDATE layer_municipalities SET sys_to = now() WHERE fid = 7400")
        assert conn.execute("SELECT geojson_crs84 FROM layer_municipalities WHERE fid = 7400"
                            ).fetchone()[0] == before


def test_a_store_made_before_the_column_gets_it_on_its_next_use(env) -> None:
    path = DATA / "municipalities/urbadm_municipality_2021.gpkg"
    assert env.run("import", "municipalities", str(path), "--date", "2021-02-05").exit_code == 0
    with env.store.connect() as conn:  # as the version before it left the store
        conn.execute("ALTER TABLE layer_municipalities DROP COLUMN geojson_crs84")
        # the history trigger (made by this version) closes a version of such a table too
        with conn.transaction(force_rollback=True):
            conn.execute("UPDATE layer_municipalities SET sys_to = now() WHERE fid = 7400")
        conn.execute("DELETE FROM schema_migration WHERE version >= 9")
    with env.store.connect() as conn:
        assert differing(conn, "layer_municipalities") == (19, 0)
        assert schema_version(conn) == SCHEMA_VERSION
