# SPDX-License-Identifier: EUPL-1.2
"""Strata's OpenAPI document: every path the service answers, with the parameters it takes
and the answers it gives, resolving offline.

pygeoapi's generator (``pygeoapi.openapi.get_oas``) gives the frame: the title, the tags,
the servers, and the paths of what pygeoapi serves. Its operations point at
``schemas.opengis.net`` and describe pygeoapi's own answers, not the ones Strata gives in
front of it; :func:`document` replaces each operation of a known path with Strata's
description, adds the paths of Strata's own routes, and refuses to leave any ``$ref`` that
points outside the document (:func:`external_refs`).

Everything layer-specific comes from the catalogue: one entry per layer, with its key, its
properties and their types (``LayerSpec.attributes``). The collections over views take their
properties from pygeoapi's description of them (the view's columns, read by
``services.view_provider.ViewProvider``).

POST on ``/collections/{id}/items`` (CQL2-JSON search by POST) is not offered: the service
answers it 405, and the document says so in the description of GET, whose ``filter=``
(``filter-lang=cql2-json``) is the way.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from layers.catalogue import MAX_ZOOM, Catalogue, LayerSpec
from services.ogc_params import PROFILE_URI, PROFILES
from services.openapi_schemas import (
    CHANGE_TYPES,
    COVJSON,
    CRS84,
    CRS_URIS,
    DATE_RE,
    DOWNLOAD_TYPES,
    EDR_QUERIES,
    EQUALS_SCHEMAS,
    GEOJSON,
    HTML,
    INSTANT,
    INTERVAL,
    JSON_MT,
    JSONLD,
    KEY_SCHEMAS,
    LANG,
    LANGS,
    LAYER_PROVIDER,
    MAX_RECORDS,
    MAX_REQUESTS,
    MVT,
    OPENAPI_JSON,
    POINT_WKT,
    POLYGON_WKT,
    RECORDS_PROVIDER,
    REPORT_EXAMPLE,
    SCHEMA_JSON,
    STATUS_TEXT,
    TMS_ID,
    XML,
    _camel,
    _f,
    _links,
    _nullable,
    _op,
    collection_schema,
    common_parameters,
    common_responses,
    common_schemas,
    error_responses,
    feature_schema,
    layer_feature,
    path_param,
    query,
    ref,
    response,
)

Json = dict[str, Any]


def _pygeoapi_page(op_id: str, summary: str, tags: list[str], ok: Json,
                   formats: dict[str, str], errors: tuple[int, ...] = (400,),
                   extra: list[Json] | None = None) -> Json:
    """An operation served by pygeoapi: f= picks the format, errors in the format asked."""
    types: dict[str, Json | None] = {}
    for f, mt in formats.items():
        types[mt] = None if f == "html" else (ok if mt != JSONLD else ref("schemas", "JsonLd"))
    return _op(op_id, summary, tags, [_f(list(formats)), *LANG, *(extra or [])], {
        "200": response(summary, types),
        **error_responses([*errors, 414], html="html" in formats,
                          jsonld="jsonld" in formats)})


def server_paths() -> Json:
    """The landing page, this document, conformance, the collections list."""
    pages = {"json": JSON_MT, "html": HTML, "jsonld": JSONLD}
    return {
        "/": {"get": _pygeoapi_page("getLandingPage", "Landing page", ["server"],
                                    ref("schemas", "LandingPage"), pages)},
        "/openapi": {"get": _pygeoapi_page(
            "getOpenapi", "This document (OpenAPI 3.0)", ["server"], ref("schemas", "OpenAPI"),
            {"json": OPENAPI_JSON, "html": HTML},
            extra=[query("ui", {"type": "string", "enum": ["swagger", "redoc"]},
                         "the viewer of f=html")])},
        "/conformance": {"get": _pygeoapi_page(
            "getConformanceDeclaration", "The conformance classes implemented", ["server"],
            ref("schemas", "Conformance"), pages)},
        "/collections": {"get": _pygeoapi_page(
            "getCollections", "The collections, with INSPIRE links", ["server"],
            ref("schemas", "Collections"), pages)},
    }


def collection_paths(cid: str, title: str, db: bool = True) -> Json:
    """``/collections/{cid}``, its schema and its queryables (pygeoapi)."""
    tags = [cid]
    pages = {"json": JSON_MT, "html": HTML, "jsonld": JSONLD}
    schema_pages = {"json": SCHEMA_JSON, "html": HTML}
    errors = (400, 503) if db else (400,)
    return {
        f"/collections/{cid}": {"get": _pygeoapi_page(
            f"describe{_camel(cid)}Collection", f"{title}: the collection", tags,
            ref("schemas", "Collection"), pages)},
        f"/collections/{cid}/schema": {"get": _pygeoapi_page(
            f"get{_camel(cid)}Schema", f"{title}: the schema of its features", tags,
            ref("schemas", "Queryables"), schema_pages, errors)},
        f"/collections/{cid}/queryables": {"get": _pygeoapi_page(
            f"get{_camel(cid)}Queryables", f"{title}: the properties a filter can use", tags,
            ref("schemas", "Queryables"), schema_pages, errors,
            extra=[query("profile", {"type": "string",
                                     "enum": ["actual-domain", "valid-domain"]})])},
    }


def _sortable(names: list[str]) -> Json:
    return {"type": "array", "minItems": 1,
            "items": {"type": "string",
                      "enum": [f"{sign}{n}" for n in names for sign in ("", "+", "-")]}}


def layer_paths(spec: LayerSpec, max_items: int) -> Json:
    """Items, one item and its versions of a layer (Strata's routes; HTML by pygeoapi)."""
    cid, title, tags = spec.id, spec.title.en, [spec.id]
    key_schema = KEY_SCHEMAS[spec.key.type]
    attributes = list(spec.attributes)
    feature_ref = ref("schemas", f"{_camel(cid)}Feature")
    equals = [query(spec.key.name, key_schema, "features with this key")]
    equals += [query(name, EQUALS_SCHEMAS[kind], f"features whose {name} equals this")
               for name, kind in spec.attributes.items() if kind in EQUALS_SCHEMAS]
    equals += [query(name, {"type": "string", "format": "date-time"},
                     f"versions whose lifespan {side} at this instant")
               for name, side in (("beginLifespanVersion", "starts"),
                                  ("endLifespanVersion", "ends"))]
    items_params = [
        _f(["json", "geojson", "html"], "json or geojson: GeoJSON; html: a page"),
        *LANG, ref("parameters", "datetime"), ref("parameters", "bbox"),
        ref("parameters", "bbox-crs"), ref("parameters", "crs"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": max_items, "default": 10},
              "features per page (10 by default)"),
        ref("parameters", "offset"),
        query("after", key_schema,
              "keyset paging: the features whose key follows this one (next links use it)"),
        query("properties", {"type": "array", "minItems": 1,
                             "items": {"type": "string", "enum": attributes}},
              "the properties to answer (comma-separated)"),
        query("sortby", _sortable([spec.key.name, *attributes]),
              "comma-separated properties, - for descending"),
        ref("parameters", "skipGeometry"),
        query("profile", {"type": "string", "enum": [
            *PROFILES, *(f"{PROFILE_URI}{name}" for name in PROFILES)]},
              "OGC Versioned Features: with a datetime interval, several versions of a feature "
              "as features with unique ids key@start (the default) or with the key as id"),
        query("filter", {"type": "string"},
              "CQL2 text (or JSON, with filter-lang=cql2-json) on the properties listed at "
              "./queryables; e.g. name_fr = 'Ixelles' AND S_INTERSECTS(geometry, "
              "POINT(4.35 50.84))"),
        query("filter-lang", {"type": "string", "enum": ["cql2-text", "cql2-json"]}),
        query("filter-crs", {"type": "string", "enum": CRS_URIS},
              "the CRS of the filter's geometries (CRS84 by default)"),
        *equals,
    ]
    page = {GEOJSON: ref("schemas", f"{_camel(cid)}FeatureCollection"), HTML: None}
    one = {GEOJSON: feature_ref, HTML: None}
    item_id = path_param("featureId", key_schema, f"the feature's {spec.key.name}")
    html_errors = {"html": True}
    return {
        f"/collections/{cid}/items": {
            "get": _op(
                f"get{_camel(cid)}Features", f"{title}: the map of a date", tags,
                items_params, {
                    "200": response("A page of features", page),
                    **error_responses([400, 404], **html_errors),
                    **error_responses([414, 503])},
                description="The features alive at an instant (now by default), or every "
                            "version alive in an interval. Search with filter= (CQL2 text, "
                            "or CQL2 JSON with filter-lang=cql2-json): POST to this path is "
                            "not offered (405)."),
            "options": _options(f"options{_camel(cid)}Features", tags)},
        f"/collections/{cid}/items/{{featureId}}": {
            "get": _op(
                f"get{_camel(cid)}Feature", f"{title}: one feature, now or at a date", tags,
                [item_id, _f(["json", "html"]), *LANG,
                 query("datetime", {**INSTANT, "description": "an instant"}),
                 ref("parameters", "crs")], {
                    "200": response("The feature (Memento-Datetime: since when)", one),
                    **error_responses([400, 404], **html_errors),
                    "410": ref("responses", "E410"),
                    **error_responses([414, 503])}),
            "options": _options(f"options{_camel(cid)}Feature", tags)},
        f"/collections/{cid}/items/{{featureId}}/versions": {
            "get": _op(
                f"get{_camel(cid)}FeatureVersions", f"{title}: every version of a feature",
                tags, [item_id, _f(["json"]), *LANG, ref("parameters", "crs")], {
                    "200": response("Its versions, oldest first",
                                    {GEOJSON: ref("schemas",
                                                  f"{_camel(cid)}FeatureCollection")}),
                    **error_responses([400, 404, 414, 503])})},
    }


def _options(op_id: str, tags: list[str]) -> Json:
    return {"operationId": op_id, "summary": "The methods of this path (Allow)", "tags": tags,
            "responses": {"200": {"description": "No body; the Allow header lists the "
                                                 "methods"}}}


def layer_files_paths(layer_ids: list[str]) -> Json:
    """Downloads, changes and metadata of a layer, and of the whole map."""
    cid = path_param("collectionId", {"type": "string", "enum": layer_ids}, "a layer")
    download_params = [
        query("date", INSTANT, "the date of the map (now by default)"),
        query("crs", {"type": "string", "enum": CRS_URIS}, "EPSG:31370 by default")]

    def files(types: dict[str, str]) -> Json:
        return response("The file (Content-Disposition names it)",
                        {mt: None for mt in dict.fromkeys(types.values())})

    def get_and_head(op_id: str, summary: str, params: list[Json], types: dict[str, str],
                     errors: list[int]) -> Json:
        answers = {"200": files(types), **error_responses([*errors, 414, 503])}
        head = copy.deepcopy(answers)
        head["200"] = {"description": "The headers of the GET, without the file (without "
                                      "Content-Length when the file is not made yet)"}
        for status in head:
            if status != "200":
                head[status] = {"description": STATUS_TEXT[int(status)]}
        return {"get": _op(op_id, summary, ["download"], params, answers),
                "head": _op(f"head{op_id[0].upper()}{op_id[1:]}", f"{summary} (headers only)",
                            ["download"], params, head)}

    return {
        "/download": get_and_head(
            "downloadMap", "Every layer as it was on a date, in one GeoPackage",
            [*download_params, _f(["gpkg"])], {"gpkg": DOWNLOAD_TYPES["gpkg"]}, [400]),
        "/collections/{collectionId}/download": get_and_head(
            "downloadLayer", "A layer as it was on a date",
            [cid, *download_params, _f(list(DOWNLOAD_TYPES), "gpkg by default")],
            DOWNLOAD_TYPES, [400, 404]),
        "/collections/{collectionId}/changes": get_and_head(
            "getLayerChanges", "One net action per feature between two dates",
            [cid, query("from", INSTANT, "the earlier date (excluded)", required=True),
             query("to", INSTANT, "the later date (included; now by default)"),
             _f(list(CHANGE_TYPES), "geojson by default"),
             query("crs", {"type": "string", "enum": CRS_URIS},
                   "CRS84 for geojson, EPSG:31370 for the others, by default")],
            CHANGE_TYPES, [400, 404]),
        "/metadata": {"get": _metadata_op("getMapMetadata", "The ISO 19139 record of the map",
                                          [])},
        "/collections/{collectionId}/metadata": {"get": _metadata_op(
            "getLayerMetadata", "The ISO 19139 record of a layer", [cid], [404])},
    }


def _metadata_op(op_id: str, summary: str, params: list[Json],
                 errors: list[int] | None = None) -> Json:
    return _op(op_id, summary, ["metadata"],
               [*params, _f(["xml", "html"], "xml (ISO 19139, default) or html"), *LANG], {
                   "200": response("The record", {XML: None, HTML: None}),
                   **error_responses([400, *(errors or []), 414])})


def geolocate_paths() -> Json:
    alternative = "x and y (with crs) can be given instead of lon and lat"
    return {"/geolocate": {"get": _op(
        "geolocate", "For a point on the map of a date: street, municipality, district, "
                     "postcode and the responsible body", ["geolocate"],
        [query("lon", {"type": "number", "minimum": -180, "maximum": 180, "example": 4.3525},
               f"CRS84 longitude ({alternative})", required=True),
         query("lat", {"type": "number", "minimum": -90, "maximum": 90, "example": 50.8467},
               f"CRS84 latitude ({alternative})", required=True),
         query("x", {"type": "number"}, "instead of lon and lat: a point in crs, in that "
                                        "CRS's axis order"),
         query("y", {"type": "number"}, "with x"),
         query("crs", {"type": "string", "enum": CRS_URIS}, "the CRS of x and y"),
         query("date", INSTANT, "the map's date (now by default)"),
         query("datetime", INSTANT, "the same as date"),
         query("category", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1,
                            "example": 152},
               "a Fix My Street category (/open311/v2/services.json): its own body is "
               "responsible"),
         _f(["json"]), *LANG], {
            "200": response("Where the point is, and who must act",
                            {JSON_MT: ref("schemas", "Geolocation")}),
            **error_responses([400, 414, 503])},
        description="Give lon and lat (CRS84), or x, y and crs; giving both is a 400.")}}


def editions_paths(layer_ids: list[str]) -> Json:
    """The dated editions of a layer (services/routes/editions.py)."""
    cid = path_param("collectionId", {"type": "string", "enum": layer_ids}, "a layer")
    edition = {"type": "object", "required": ["layer", "date", "links"],
               "properties": {"layer": {"type": "string"},
                              "date": {"type": "string", "format": "date"},
                              "valid_from": {"type": "string"},
                              "source": {"type": "string", "nullable": True},
                              "file": {"type": "string", "nullable": True},
                              **{k: {"type": "integer", "nullable": True}
                                 for k in ("features", "added", "modified", "deleted",
                                           "unchanged")},
                              "links": _links()}}
    return {"/collections/{collectionId}/editions": {"get": _op(
        "getLayerEditions", "The dated editions of a layer, with what each changed",
        ["download"], [cid, _f(["json"]), *LANG], {
            "200": response("Its editions, oldest first", {JSON_MT: {
                "type": "object", "required": ["id", "editions", "links"],
                "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                               "editions": {"type": "array", "items": edition},
                               "links": _links()}}}),
            **error_responses([400, 404, 414, 503])})}}


def viewer_paths(layer_ids: list[str]) -> Json:
    """The planner's map viewer (services/routes/viewer.py) and the dashboard
    (services/routes/dashboard.py); their state is their query."""
    date = {"type": "string", "pattern": f"^{DATE_RE}$"}
    return {"/map": {"get": _op(
        "getViewer", "The map viewer (HTML)", ["map"], [
            query("layers", {"type": "array", "items": {"type": "string", "enum": layer_ids}},
                  "the layers shown (comma-separated)"),
            query("date", date, "the date of the map"),
            query("compare", date, "a second date, to compare with"),
            query("mode", {"type": "string", "enum": ["side", "swipe"]}, "how to compare"),
            query("changes", {"type": "string", "enum": layer_ids},
                  "a layer whose changes between the dates are drawn"),
            query("surface", {"type": "string", "enum": ["no2", "no2-curieuzenair"]},
                  "the NO2 surface of the date (the stations' yearly one, or the CurieuzenAir "
                  "campaign's), drawn over the map with its legend"),
            query("feature", {"type": "string", "pattern": "^[a-z_][a-z0-9_]*:.+$"},
                  "the feature whose panel is open: layer:key, or layer:key@date when the "
                  "panel shows another date than the map's"),
            query("lang", {"type": "string", "enum": LANGS}),
            ref("parameters", "Accept-Language")], {
            "200": response("The viewer", {HTML: None}),
            **error_responses([400, 414])})},
        "/favicon.ico": {"get": _op(
            "getIcon", "Strata's icon, which browsers ask for", ["map"], [], {
                "200": response("The icon", {"image/svg+xml": None}),
                **error_responses([400, 414])})},
        "/dashboard": {"get": _op(
            "getDashboard", "The dashboard of the aggregate collections (HTML)", ["map"], [
                *[query(name, {"type": "integer", "minimum": 1900, "maximum": 2099},
                        f"the year of the {what} panel")
                  for name, what in (("reports", "reports per district and month"),
                                     ("works", "road works per month"),
                                     ("no2", "mean NO2 per district"))],
                query("source", {"type": "string", "enum": ["irceline", "curieuzenair"]},
                      "the source of the NO2 means per district"),
                query("lang", {"type": "string", "enum": LANGS}),
                ref("parameters", "Accept-Language")], {
                "200": response("The dashboard", {HTML: None}),
                **error_responses([400, 414])})}}


def tiles_paths(layer_ids: list[str]) -> Json:
    """OGC API Tiles, time-aware Mapbox Vector Tiles (services/routes/tiles.py)."""
    tags = ["tiles"]
    cid = path_param("collectionId", {"type": "string", "enum": layer_ids}, "a layer")
    tms = path_param("tileMatrixSetId", {"type": "string", "enum": [TMS_ID]})
    cell = [path_param("tileMatrix", {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM},
                       "the zoom level"),
            path_param("tileRow", {"type": "integer", "minimum": 0,
                                   "maximum": 2**MAX_ZOOM - 1}, "below 2^tileMatrix"),
            path_param("tileCol", {"type": "integer", "minimum": 0,
                                   "maximum": 2**MAX_ZOOM - 1}, "below 2^tileMatrix")]
    properties = query("properties", {"type": "array", "minItems": 1,
                                      "items": {"type": "string"}},
                       "the layer's properties in the tiles (comma-separated)")
    when = query("datetime", INTERVAL, "the map of an instant (now by default), or every "
                                       "version alive in an interval")
    window = [query("from", INSTANT, "the earlier date (excluded)", required=True),
              query("to", INSTANT, "the later date (included; now by default)")]
    as_json: dict[str, Json | None] = {JSON_MT: {"type": "object"}}
    tilesets: dict[str, Json | None] = {JSON_MT: {
        "type": "object", "required": ["tilesets", "links"],
        "properties": {"tilesets": {"type": "array"}, "links": _links()}}}
    tileset: dict[str, Json | None] = {JSON_MT: {"type": "object",
                         "description": "OGC tileset metadata, or TileJSON 3.0.0 (f=tilejson)"}}

    def metadata(op_id: str, summary: str, params: list[Json], types: dict[str, Json | None],
                 errors: list[int]) -> Json:
        return {"get": _op(op_id, summary, tags, params, {
            "200": response(summary, types), **error_responses([*errors, 414])})}

    def tile(op_id: str, summary: str, params: list[Json]) -> Json:
        return {"get": _op(op_id, summary, tags, [*params, *cell, _f(["mvt"]), {
            "name": "If-None-Match", "in": "header", "required": False,
            "schema": {"type": "string", "maxLength": 200}}], {
                "200": response("The tile (an empty body: no feature)", {MVT: None}),
                "304": {"description": STATUS_TEXT[304]},
                **error_responses([400, 404, 414, 503])})}

    json_or_tilejson = _f(["json", "tilejson"], "json: OGC tileset metadata; tilejson: "
                                                "TileJSON 3.0.0")
    return {
        "/tileMatrixSets": metadata("getTileMatrixSets", "The tiling schemes", [_f(["json"])],
                                    as_json, [400]),
        "/tileMatrixSets/{tileMatrixSetId}": metadata(
            "getTileMatrixSet", "A tiling scheme", [tms, _f(["json"])], as_json, [400, 404]),
        "/tiles": metadata("getMapTilesets", "The map's tilesets", [_f(["json"]), *LANG],
                           tilesets, [400, 404]),
        "/tiles/{tileMatrixSetId}": metadata(
            "getMapTileset", "The map's tileset", [tms, json_or_tilejson, when, *LANG],
            tileset, [400, 404]),
        "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": tile(
            "getMapTile", "A tile of the map of a date", [tms, when]),
        "/collections/{collectionId}/tiles": metadata(
            "getLayerTilesets", "A layer's tilesets", [cid, _f(["json"]), *LANG], tilesets,
            [400, 404]),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}": metadata(
            "getLayerTileset", "A layer's tileset",
            [cid, tms, json_or_tilejson, when, properties, *LANG], tileset, [400, 404]),
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}":
            tile("getLayerTile", "A tile of a layer at a date", [cid, tms, when, properties]),
        "/collections/{collectionId}/changes/tiles/{tileMatrixSetId}": metadata(
            "getChangesTileset", "The tileset of a layer's changes between two dates",
            [cid, tms, *window, json_or_tilejson, properties, *LANG], tileset, [400, 404]),
        "/collections/{collectionId}/changes/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/"
        "{tileCol}": tile("getChangesTile", "A tile of a layer's changes between two dates",
                          [cid, tms, *window, properties]),
    }


def coverage_paths() -> Json:
    """OGC API Coverages of the raster surfaces, "as of" a date (services/routes/coverages.py);
    zonal statistics on the boundaries of the surface's year."""
    from linking.surfaces import COLLECTIONS

    tags = ["coverages"]
    path_id = path_param("collectionId", {"type": "string", "enum": list(COLLECTIONS)},
                         "a surface collection")
    when = query("datetime", INSTANT, "the surface valid at this instant (a year's mean is "
                                      "valid for that year; default the newest)")
    axes = r"[A-Za-z]+\([^()]*\)(,[A-Za-z]+\([^()]*\))*"
    cut = [
        query("bbox", {"type": "array", "minItems": 4, "maxItems": 6,
                       "items": {"type": "number"}}, "minx,miny,maxx,maxy (the cells that "
                                                     "meet it)"),
        ref("parameters", "bbox-crs"),
        query("subset", {"type": "string", "pattern": f"^{axes}$", "maxLength": 200},
              'E(lo:hi),N(lo:hi) in Lambert 72 metres, Lon(..),Lat(..) in CRS84, or '
              'time("2021-06-15")'),
        query("scale-factor", {"type": "number", "minimum": 0.125, "maximum": 1000},
              "divide the cells on each axis by this factor (nearest cell)"),
        query("scale-size", {"type": "string", "pattern": f"^{axes}$", "maxLength": 100},
              "E(n),N(n): the number of cells on each axis"),
        query("properties", {"type": "array", "minItems": 1,
                             "items": {"type": "string", "enum": ["no2", "no2_variance"]}},
              "the bands (comma-separated)")]
    fmt = _f(["tiff", "covjson"], "tiff: GeoTIFF (a COG); covjson: CoverageJSON")
    as_json: dict[str, Json | None] = {JSON_MT: {"type": "object"}}
    paths: Json = {}
    for cid in COLLECTIONS:
        name = "".join(w.title() for w in cid.split("_"))
        paths.update({
            f"/collections/{cid}": {"get": _op(
                f"describe{name}Collection", f"{cid} (derived estimates): the collection",
                tags, [_f(["json"]), *LANG], {
                    "200": response("The collection, its surfaces and their errors", as_json),
                    **error_responses([400, 404, 414, 503])})},
            **surface_queries(cid, name, when, tags)})
    return {
        **paths,
        "/collections/{collectionId}/coverage": {"get": _op(
            "getCoverage", "The surface valid at a date, cut and scaled", tags,
            [path_id, when, *cut, fmt, *LANG], {
                "200": response("The coverage", {"image/tiff; application=geotiff": None,
                                                 "application/prs.coverage+json":
                                                     {"type": "object"}}),
                **error_responses([400, 404, 414, 503])})},
        "/collections/{collectionId}/coverage/domainset": {"get": _op(
            "getCoverageDomainSet", "The grid and the periods of the surfaces", tags,
            [path_id, when, _f(["json"])], {
                "200": response("The domain set (CIS JSON)", as_json),
                **error_responses([400, 404, 414, 503])})},
        "/collections/{collectionId}/coverage/rangetype": {"get": _op(
            "getCoverageRangeType", "The bands of the surfaces", tags,
            [path_id, _f(["json"]), *LANG], {
                "200": response("The range type (CIS JSON)", as_json),
                **error_responses([400, 404, 414])})},
        "/collections/{collectionId}/zonal-statistics": {"get": _op(
            "getZonalStatistics", "Mean, min and max of a surface per zone, on the "
                                  "boundaries of its year", tags,
            [path_id, when, query("zones", {"type": "string",
                                            "enum": ["districts", "municipalities"]},
                                  "the boundary layer, as it was on 1 July of the year"),
             _f(["json"])], {
                "200": response("The statistics per zone", as_json),
                **error_responses([400, 404, 414, 503])})},
    }


def inspire_paths(dataset_ids: list[str]) -> Json:
    """One API per INSPIRE data set (services/routes/datasets.py): its landing page,
    conformance and collections; under ``/inspire/{datasetId}/collections/{datasetId}`` the
    combined API's paths of that collection answer the same."""
    tags = ["inspire"]
    dataset = path_param("datasetId", {"type": "string", "enum": dataset_ids},
                         "an INSPIRE data set (a layer with an INSPIRE theme)")
    page = [_f(["json", "html"]), *LANG]
    as_json: dict[str, Json | None] = {JSON_MT: {"type": "object"}, HTML: None}
    return {
        "/inspire": {"get": _op(
            "getInspireDatasets", "The INSPIRE data sets, each with its own API", tags, page, {
                "200": response("The data sets", as_json), **error_responses([400])})},
        "/inspire/{datasetId}": {"get": _op(
            "getInspireDatasetLanding", "The landing page of a data set's API", tags,
            [dataset, *page], {
                "200": response("Its links: API definition, conformance, collections, "
                                "metadata, licence, download", as_json),
                **error_responses([400, 404])})},
        "/inspire/{datasetId}/conformance": {"get": _op(
            "getInspireDatasetConformance", "The conformance classes of a data set's API",
            tags, [dataset, *page], {
                "200": response("The classes", as_json), **error_responses([400, 404])})},
        "/inspire/{datasetId}/collections": {"get": _op(
            "getInspireDatasetCollections", "The collection of a data set, with its INSPIRE "
                                            "links", tags, [dataset, *page], {
                "200": response("The data set's collection", as_json),
                **error_responses([400, 404])})},
    }


def surface_queries(cid: str, name: str, when: Json, tags: list[str]) -> Json:
    """A surface collection's own queries: a point's yearly series (EDR position) and the
    picture of a date (for the viewer)."""
    return {
    f"/collections/{cid}/position": {"get": _op(
        f"queryPosition{name}", "A point's yearly series from the surfaces", tags,
        [query("coords", POINT_WKT, "a point: POINT(4.35 50.85) (CRS84)", required=True),
         query("datetime", INTERVAL, "the years: 2010/2020, an instant, ../2020"),
         query("parameter-name", {"type": "array", "minItems": 1,
                                  "items": {"type": "string",
                                            "enum": ["no2", "no2_variance"]}}),
         query("crs", {"type": "string", "enum": [CRS84]}),
         _f(["json"], "json: CoverageJSON (a point series)"), *LANG], {
            "200": response("The series, one value a year (null: nodata)",
                            {"application/prs.coverage+json": {"type": "object"}}),
            **error_responses([400, 404, 414, 503])})},
    f"/collections/{cid}/map": {"get": _op(
        f"get{name}Map", "The surface of a date as a coloured picture (for the viewer)",
        tags,
        [when, query("bbox", {"type": "array", "minItems": 4, "maxItems": 4,
                              "items": {"type": "number"}},
                     "west,south,east,north in CRS84 (default the surfaces' extent)"),
         query("width", {"type": "integer", "minimum": 16, "maximum": 2048},
               "pixels (default 800)"),
         query("height", {"type": "integer", "minimum": 16, "maximum": 2048},
               "pixels (default from the box's shape in EPSG:3857)"),
         _f(["png"], "png: RGBA in EPSG:3857, nodata transparent")], {
            "200": response("The picture", {"image/png": None}),
            **error_responses([400, 404, 414, 503])})},
    }


def open311_paths() -> Json:
    fmt = path_param("format", {"type": "string", "enum": ["json", "xml"]},
                     "json or xml")
    tags = ["open311"]

    def answers(ok_status: str, ok_schema: Json, errors: list[int]) -> Json:
        out = {ok_status: response(STATUS_TEXT[int(ok_status)],
                                   {JSON_MT: ok_schema, "text/xml": None})}
        for status in [*errors, 414, 503]:  # in XML for .xml, but the URL's limits
            out[str(status)] = response(STATUS_TEXT[status], {
                JSON_MT: ref("schemas", "Open311Errors"), "text/xml": None})
        return out

    ids = {"type": "string", "pattern": r"^[0-9]{1,9}(,[0-9]{1,9})*$"}
    listed = {"type": "array", "items": ref("schemas", "Open311Request")}
    discovery = {"type": "object", "required": ["changeset", "endpoints"], "properties": {
        "changeset": {"type": "string"}, "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": {"type": "array", "items": {"type": "object", "properties": {
            "specification": {"type": "string"}, "url": {"type": "string"},
            "changeset": {"type": "string"}, "type": {"type": "string"},
            "formats": {"type": "array", "items": {"type": "string"}}}}}}}
    return {
        "/open311/discovery.{format}": {"get": _op(
            "getOpen311Discovery", "Service discovery: the GeoReport v2 endpoint", tags,
            [fmt], answers("200", discovery, [404]))},
        "/open311/v2/services.{format}": {"get": _op(
            "getOpen311Services", "The Fix My Street categories, as Open311 services", tags,
            [fmt, *LANG], answers("200", {"type": "array",
                                          "items": ref("schemas", "Open311Service")},
                                  [404]))},
        "/open311/v2/services/{service_code}.{format}": {"get": _op(
            "getOpen311ServiceDefinition", "A service definition (no extra attributes)", tags,
            [path_param("service_code", {"type": "string", "pattern": "^[0-9]{1,6}$"}), fmt],
            answers("200", ref("schemas", "Open311ServiceDefinition"), [400, 404]))},
        "/open311/v2/requests.{format}": {
            "get": _op(
                "getOpen311Requests", "Reports, public fields only (90 days by default)",
                tags,
                [fmt, query("service_request_id", ids, "comma-separated ids"),
                 query("service_code", ids, "comma-separated service codes"),
                 query("status", {"type": "string", "enum": ["open", "closed"]}),
                 query("start_date", INSTANT), query("end_date", INSTANT),
                 query("bbox", {"type": "array", "minItems": 4, "maxItems": 4,
                                "items": {"type": "number"}},
                       "minlon,minlat,maxlon,maxlat"),
                 query("page", {"type": "integer", "minimum": 1, "maximum": 10**6}),
                 query("page_size", {"type": "integer", "minimum": 1,
                                     "maximum": MAX_REQUESTS}), *LANG],
                answers("200", listed, [400, 404])),
            "post": {
                **_op("postOpen311Request", "Report: geolocated, routed and stored", tags,
                      [fmt, *LANG], answers("201", ref("schemas", "Open311NewRequest"),
                                            [400, 401, 403, 404, 413, 415, 429])),
                "requestBody": {"required": True, "content": {
                    mt: {"schema": ref("schemas", "Open311Report"), "example": REPORT_EXAMPLE}
                    for mt in ("application/x-www-form-urlencoded", "multipart/form-data",
                               JSON_MT)}}},
        },
        "/open311/v2/requests/{service_request_id}.{format}": {"get": _op(
            "getOpen311Request", "One report (a list of one), public fields only", tags,
            [path_param("service_request_id", {"type": "string", "pattern": "^[0-9]{1,9}$"}),
             fmt, *LANG],
            answers("200", listed, [400, 404]))},
    }


def _property_params(pyg_op: Json) -> tuple[list[str], list[Json]]:
    """The properties of a view, and their equality parameters, as pygeoapi described them
    (from the view's columns)."""
    names: list[str] = []
    for prm in pyg_op.get("parameters", []):
        if prm.get("name") == "properties":
            names = list(prm["schema"]["items"].get("enum", []))
    params = [query(p["name"], p.get("schema", {"type": "string"}),
                    f"features whose {p['name']} equals this")
              for p in pyg_op.get("parameters", []) if p.get("name") in names]
    return names, params


def _property_schema(param: Json) -> Json:
    return _nullable({k: v for k, v in param["schema"].items() if k == "type"})


def view_paths(cid: str, title: str, pyg_items: Json, max_items: int, timed: bool) -> Json:
    """Items and one item of a collection over a view (services/routes/views.py; HTML by
    pygeoapi)."""
    names, equals = _property_params(pyg_items)
    tags = [cid]
    params = [
        _f(["json", "geojson", "html"], "json or geojson: GeoJSON; html: a page"), *LANG,
        ref("parameters", "bbox"), ref("parameters", "bbox-crs"), ref("parameters", "crs"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": max_items, "default": 10},
              "features per page (10 by default)"),
        ref("parameters", "offset"),
        query("properties", {"type": "array", "minItems": 1,
                             "items": {"type": "string", "enum": names}}),
        query("sortby", _sortable(names)),
        ref("parameters", "skipGeometry"),
        query("filter", {"type": "string"},
              "CQL2 text (or JSON, with filter-lang=cql2-json) on the properties listed at "
              "./queryables"),
        query("filter-lang", {"type": "string", "enum": ["cql2-text", "cql2-json"]}),
        query("filter-crs", {"type": "string", "enum": CRS_URIS},
              "the CRS of the filter's geometries (CRS84 by default)"),
        *equals]
    if timed:
        params.insert(3, ref("parameters", "datetime"))
    feature = feature_schema({p["name"]: _property_schema(p) for p in equals})
    page = {GEOJSON: collection_schema(feature, matched_required=True), HTML: None}
    return {
        f"/collections/{cid}/items": {
            "get": _op(f"get{_camel(cid)}Features", f"{title}: the features", tags, params, {
                "200": response("A page of features", page),
                **error_responses([400], html=True),
                **error_responses([414, 503])},
                description="POST to this path is not offered (405)."),
            "options": _options(f"options{_camel(cid)}Features", tags)},
        f"/collections/{cid}/items/{{featureId}}": {
            "get": _op(
                f"get{_camel(cid)}Feature", f"{title}: one feature", tags,
                [path_param("featureId", {"type": "string"}),
                 _f(["json", "geojson", "html"]), ref("parameters", "crs"), *LANG], {
                    "200": response("The feature", {GEOJSON: feature, HTML: None}),
                    **error_responses([400, 404], html=True),
                    **error_responses([414, 503])}),
            "options": _options(f"options{_camel(cid)}Feature", tags)},
    }


def catalogue_paths(cid: str) -> Json:
    """The records of the data sets (Strata's routes; HTML by pygeoapi)."""
    tags = [cid]
    return {
        f"/collections/{cid}/items": {
            "get": _op("getCatalogueRecords", "Search the catalogue of the data sets", tags, [
                _f(["json", "html"]), *LANG,
                query("q", {"type": "array", "items": {"type": "string"}},
                      "words to find in the titles and descriptions (comma-separated)"),
                ref("parameters", "bbox"), ref("parameters", "datetime"),
                query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_RECORDS}),
                query("offset", {"type": "integer", "minimum": 0, "maximum": 10**6})], {
                "200": response("Records", {GEOJSON: ref("schemas", "RecordCollection"),
                                            HTML: None}),
                **error_responses([400], html=True), **error_responses([414])}),
            "options": _options("optionsCatalogueRecords", tags)},
        f"/collections/{cid}/items/{{featureId}}": {
            "get": _op("getCatalogueRecord", "One record", tags, [
                path_param("featureId", {"type": "string"}), _f(["json", "html"]), *LANG], {
                "200": response("The record", {GEOJSON: ref("schemas", "Record"),
                                               HTML: None}),
                **error_responses([400, 404], html=True), **error_responses([414])}),
            "options": _options("optionsCatalogueRecord", tags)},
    }


def edr_paths(cid: str, title: str, parameters: list[str]) -> Json:
    """OGC API EDR queries of the station series (pygeoapi, services/edr_provider.py)."""
    tags = [cid]
    common = [
        query("datetime", INTERVAL, "the years: an instant or an interval (2010/2020)"),
        query("parameter-name", {"type": "array", "minItems": 1,
                                 "items": {"type": "string", "enum": parameters}}),
        query("crs", {"type": "string", "enum": [CRS84]}),
        query("z", {"type": "string"}, "ignored: the series have no height"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": 10_000}),
        _f(["json", "html"], "json: CoverageJSON; html: a page"), *LANG]
    answers = {"200": response("The series", {COVJSON: ref("schemas", "CoverageCollection"),
                                              HTML: None}),
               **error_responses([400, 404], html=True), **error_responses([414, 503])}
    coords = {
        "position": query("coords", POINT_WKT, "a point: POINT(4.35 50.85) (the station "
                                               "within 250 m)", required=True),
        "radius": query("coords", POINT_WKT, "a point: POINT(4.35 50.85)", required=True),
        "area": query("coords", POLYGON_WKT, "a polygon: POLYGON((4.3 50.8, 4.4 50.8, "
                                             "4.4 50.9, 4.3 50.9, 4.3 50.8))", required=True),
    }
    paths: Json = {}
    for kind in EDR_QUERIES:
        params = [coords[kind], *common]
        if kind == "radius":
            params += [query("within", {"type": "number", "minimum": 0}, "the distance",
                             required=True),
                       query("within-units", {"type": "string",
                                              "enum": ["m", "km", "mi", "ft"]})]
        paths[f"/collections/{cid}/{kind}"] = {"get": _op(
            f"query{kind.title()}{_camel(cid)}", f"{title}: the series by {kind}", tags,
            params, answers)}
    return paths


def process_paths(pyg_paths: Json) -> Json:
    """The processes (pygeoapi; the link process keeps Strata's errors)."""
    pages = {"json": JSON_MT, "html": HTML, "jsonld": JSONLD}
    paths: Json = {"/processes": {"get": _pygeoapi_page(
        "getProcesses", "The processes", ["server"], ref("schemas", "ProcessList"), pages,
        extra=[query("limit", {"type": "integer", "minimum": 1, "maximum": 10_000})])}}
    for path in pyg_paths:
        m = re.fullmatch(r"/processes/([^/{}]+)", path)
        if not m:
            continue
        pid = m.group(1)
        paths[path] = {"get": _pygeoapi_page(
            f"describe{_camel(pid)}Process", f"The process {pid}", [pid],
            ref("schemas", "Process"), {"json": JSON_MT, "html": HTML})}
        pyg_exec = pyg_paths.get(f"{path}/execution", {}).get("post", {})
        body = pyg_exec.get("requestBody", {}).get("content", {}).get(JSON_MT, {})
        example = body.get("example")
        execute: Json = {"schema": ref("schemas", "LinkExecute") if pid == "link"
                         else {"type": "object"}}
        if example is not None:
            execute["example"] = example
        paths[f"{path}/execution"] = {"post": {
            **_op(f"execute{_camel(pid)}", f"Run {pid} (synchronously)", [pid],
                  [{"in": "header", "name": "Prefer", "required": False,
                    "schema": {"type": "string", "enum": ["respond-sync"]}}], {
                      "200": response("The linked records",
                                      {GEOJSON: ref("schemas", "LinkedRecords")}),
                      **error_responses([400, 413, 414, 503])}),
            "requestBody": {"required": True, "content": {JSON_MT: execute}}}}
    return paths


# ----------------------------------------------------------------------------- the document

def _provider(resource: Json) -> Json:
    return next(iter(resource.get("providers") or [{}]))


def _title(resource: Json, cid: str) -> str:
    title = resource.get("title", cid)
    return str(title.get("en", cid)) if isinstance(title, dict) else str(title)


def document(pyg: Json, config: Json, catalogue: Catalogue) -> Json:
    """pygeoapi's document ``pyg``, with every path described as Strata answers it."""
    doc = copy.deepcopy(pyg)
    max_items = int(config["server"].get("limits", {}).get("max_items", 10_000))
    resources = config.get("resources", {})
    pyg_paths: Json = doc.get("paths", {})
    paths: Json = {**server_paths()}
    schemas = common_schemas()
    layers: list[str] = []
    for cid, resource in resources.items():
        if resource.get("type") != "collection":
            continue
        provider = _provider(resource)
        title = _title(resource, cid)
        name = provider.get("name")
        paths.update(collection_paths(cid, title, db=name != RECORDS_PROVIDER))
        if name == LAYER_PROVIDER and provider.get("data") in catalogue.layers:
            spec = catalogue.layers[provider["data"]]
            layers.append(cid)
            schemas[f"{_camel(cid)}Feature"] = layer_feature(spec)
            schemas[f"{_camel(cid)}FeatureCollection"] = collection_schema(
                ref("schemas", f"{_camel(cid)}Feature"))
            paths.update(layer_paths(spec, max_items))
        elif name == RECORDS_PROVIDER:
            paths.update(catalogue_paths(cid))
        elif _provider(resource).get("type") == "feature":  # a view, or pygeoapi's own
            pyg_items = pyg_paths.get(f"/collections/{cid}/items", {}).get("get", {})
            paths.update(view_paths(cid, title, pyg_items, max_items,
                                    timed=bool(provider.get("time_field"))))
        edr = next((p for p in resource.get("providers", []) if p.get("type") == "edr"),
                   None)
        if edr is not None:
            paths.update(edr_paths(cid, title, ["no2_annual_mean"]))
    paths.update(layer_files_paths(layers))
    paths.update(editions_paths(layers))
    paths.update(viewer_paths(layers))
    paths.update(tiles_paths(layers))
    paths.update(coverage_paths())
    paths.update(geolocate_paths())
    paths.update(inspire_paths(sorted(i for i, spec in catalogue.layers.items()
                                      if spec.inspire_theme)))
    paths.update(open311_paths())
    paths.update(process_paths(pyg_paths))
    _lang_everywhere(paths)
    # a path of pygeoapi's that Strata does not describe stays, if it resolves offline
    for path, item in pyg_paths.items():
        if path not in paths:
            paths[path] = item
    doc["paths"] = paths
    doc["components"] = {"schemas": schemas, "responses": common_responses(),
                         "parameters": common_parameters()}
    outside = sorted(set(external_refs(doc)))
    if outside:
        raise ValueError(f"the OpenAPI document points outside itself: {', '.join(outside)}")
    missing = sorted(set(dangling_refs(doc)))
    if missing:
        raise ValueError(f"the OpenAPI document refers to what it lacks: {', '.join(missing)}")
    return doc


def _lang_everywhere(paths: Json) -> None:
    """``lang`` on every GET Strata describes: every path takes it (services/ogc_params.py
    ``check_known``), for the language of the answer's texts, errors included."""
    for item in paths.values():
        op = item.get("get")
        if not isinstance(op, dict):
            continue
        names = {p.get("name") or str(p.get("$ref", "")).rsplit("/", 1)[-1]
                 for p in item.get("parameters", []) + op.get("parameters", [])}
        if "lang" not in names:
            op.setdefault("parameters", []).append(query(
                "lang", {"type": "string", "enum": LANGS},
                "the language of the answer's texts, errors included (else Accept-Language)"))


def undescribed(doc: Json, route_paths: list[str]) -> list[str]:
    """The route paths (Starlette templates: ``/collections/{collection_id}/items``) that no
    path of ``doc`` stands for."""
    def pattern(template: str) -> re.Pattern[str]:
        parts = re.split(r"(\{[^}]+\})", template)
        return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part)
                                  for part in parts) + "$")

    described = [re.sub(r"\{[^}]+\}", "x", path) for path in doc.get("paths", {})]
    return [route for route in route_paths
            if not any(pattern(route).match(path) for path in described)]


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def external_refs(doc: Json) -> Iterator[str]:
    """Every ``$ref`` that leaves the document."""
    return (r for r in _refs(doc) if not r.startswith("#/"))


def dangling_refs(doc: Json) -> Iterator[str]:
    """Every local ``$ref`` to nothing."""
    for r in _refs(doc):
        if not r.startswith("#/"):
            continue
        node: Any = doc
        for part in r[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                yield r
                break
            node = node[part]
