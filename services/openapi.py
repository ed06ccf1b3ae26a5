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

from geo.crs import SUPPORTED
from layers.catalogue import MAX_ZOOM, Catalogue, LayerSpec

Json = dict[str, Any]

LANGS = ["en", "fr", "nl"]
LAYER_PROVIDER = "services.provider.VersionedProvider"
VIEW_PROVIDER = "services.view_provider.ViewProvider"
RECORDS_PROVIDER = "services.records.CatalogueRecordsProvider"
EDR_QUERIES = ("position", "radius", "area")
CRS_URIS = [c.uri for c in SUPPORTED.values()]
CRS84 = SUPPORTED["CRS84"].uri
LAMBERT = SUPPORTED["31370"].uri
MAX_RECORDS = 1000  # services/routes/records.py
MAX_REQUESTS = 1000  # services/routes/open311.py

# media types
JSON_MT, GEOJSON, HTML, JSONLD = ("application/json", "application/geo+json", "text/html",
                                  "application/ld+json")
SCHEMA_JSON, COVJSON, XML, CSV = ("application/schema+json", "application/vnd.cov+json",
                                  "application/xml", "text/csv")
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
MVT = "application/vnd.mapbox-vector-tile"
TMS_ID = "WebMercatorQuad"  # services/routes/tiles.py
DOWNLOAD_TYPES = {"gpkg": "application/geopackage+sqlite3", "geojson": GEOJSON,
                  "fgb": "application/flatgeobuf", "shp": "application/zip", "csv": CSV}
CHANGE_TYPES = {"geojson": GEOJSON, "gpkg": DOWNLOAD_TYPES["gpkg"], "csv": CSV,
                "json": JSON_MT, "jsonl": "application/jsonl"}

# what the text of a date or an instant looks like (versioning.instants.parse_instant)
DATE_RE = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
INSTANT_RE = DATE_RE + (r"(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
                        r"(Z|[+-](0\d|1[0-4]):[0-5]\d)?)?")
INSTANT = {"type": "string", "pattern": f"^{INSTANT_RE}$",
           "description": "a date (the start of that day in Brussels) or an ISO 8601 instant"}
INTERVAL = {"type": "string", "pattern": rf"^({INSTANT_RE}|\.\.)?(/({INSTANT_RE}|\.\.)?)?$"}

# WKT of the EDR queries (pygeoapi reads any WKT; the queries take a point or a polygon)
_XY = r"-?\d{1,3}(\.\d{1,7})? -?\d{1,2}(\.\d{1,7})?"
POINT_WKT = {"type": "string", "pattern": rf"^POINT ?\({_XY}\)$",
             "example": "POINT(4.3517 50.8466)"}
POLYGON_WKT = {"type": "string", "pattern": rf"^POLYGON ?\(\({_XY}(, ?{_XY}){{3,8}}\)\)$",
               "example": "POLYGON((4.3 50.8, 4.4 50.8, 4.4 50.9, 4.3 50.9, 4.3 50.8))"}

STATUS_TEXT = {200: "OK", 201: "Created", 304: "Not modified (If-None-Match)",
               400: "Invalid parameter or body",
               401: "No API key", 403: "API key not valid", 404: "Not found",
               405: "Method not allowed", 410: "Gone: the feature existed, but not then",
               413: "Request body too large", 414: "URL too long",
               429: "Too many wrong API keys from this address: try again after Retry-After",
               503: "The database is not answering, or the request took too long"}


def ref(kind: str, name: str) -> Json:
    """A reference to a component of this document."""
    return {"$ref": f"#/components/{kind}/{name}"}


def _nullable(schema: Json) -> Json:
    return {**schema, "nullable": True}


def query(name: str, schema: Json, description: str = "", required: bool = False,
          explode: bool = False) -> Json:
    """A query parameter (form style; arrays comma-separated unless ``explode``)."""
    out: Json = {"name": name, "in": "query", "required": required, "style": "form",
                 "explode": explode, "schema": schema}
    if description:
        out["description"] = description
    return out


def path_param(name: str, schema: Json, description: str = "") -> Json:
    out: Json = {"name": name, "in": "path", "required": True, "schema": schema}
    if description:
        out["description"] = description
    return out


def content(types: dict[str, Json | None]) -> Json:
    """A content map: media type -> schema (None: any body, e.g. HTML or a file)."""
    return {mt: ({"schema": schema} if schema is not None else {"schema": {}})
            for mt, schema in types.items()}


def response(description: str, types: dict[str, Json | None] | None = None) -> Json:
    out: Json = {"description": description}
    if types:
        out["content"] = content(types)
    return out


# ----------------------------------------------------------------------------- components

ERROR = {
    "type": "object", "required": ["code", "description", "hint"],
    "properties": {"code": {"type": "string"}, "description": {"type": "string"},
                   "hint": {"type": "string"}},
    "description": "Every error: what was wrong (description) and how to fix it (hint)."}
OPEN311_ERRORS = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "required": ["code", "description", "hint"],
              "properties": {"code": {"type": "integer"}, "description": {"type": "string"},
                             "hint": {"type": "string"}}},
    "description": "Open311 GeoReport v2 errors (a list); in XML, <errors><error>."}
LINK = {"type": "object", "required": ["href"],
        "properties": {"href": {"type": "string"}, "rel": {"type": "string"},
                       "type": {"type": "string"}, "title": {"type": "string"},
                       "hreflang": {"type": "string"}}}
GEOMETRY = {
    "type": "object", "nullable": True, "required": ["type"],
    "properties": {
        "type": {"type": "string", "enum": ["Point", "MultiPoint", "LineString",
                                            "MultiLineString", "Polygon", "MultiPolygon",
                                            "GeometryCollection"]},
        "coordinates": {"type": "array"},
        "geometries": {"type": "array"}},
    "description": "A GeoJSON geometry (null when skipGeometry=true)."}
FEATURE_ID = {"anyOf": [{"type": "integer"}, {"type": "string"}]}


def _links() -> Json:
    return {"type": "array", "items": ref("schemas", "Link")}


def feature_schema(properties: Json, id_schema: Json | None = None) -> Json:
    """A GeoJSON feature whose properties follow ``properties``."""
    return {"type": "object", "required": ["type", "geometry", "properties"],
            "properties": {"type": {"type": "string", "enum": ["Feature"]},
                           "id": id_schema or FEATURE_ID,
                           "geometry": ref("schemas", "Geometry"),
                           "properties": {"type": "object", "nullable": True,
                                          "properties": properties},
                           "links": _links()}}


def collection_schema(feature: Json, matched_required: bool = False) -> Json:
    """A GeoJSON FeatureCollection of ``feature``."""
    out = {"type": "object", "required": ["type", "features"],
           "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                          "features": {"type": "array", "items": feature},
                          "numberReturned": {"type": "integer", "minimum": 0},
                          "numberMatched": {"type": "integer", "minimum": 0},
                          "timeStamp": {"type": "string"},
                          "links": _links()}}
    if matched_required:
        out["required"] = [*out["required"], "numberMatched"]
    return out


# the types of LayerSpec.attributes (layers/catalogue.py), as they come out in GeoJSON
ATTRIBUTE_SCHEMAS: dict[str, Json] = {
    "text": {"type": "string"},
    "integer": {"type": "integer"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "timestamp": {"type": "string", "format": "date-time"},
    "json": {},
}
# ... and as query parameters (<property>=value); json properties cannot be compared
EQUALS_SCHEMAS: dict[str, Json] = {
    "text": {"type": "string"},
    "integer": {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "timestamp": {"type": "string", "format": "date-time"},
}
KEY_SCHEMAS: dict[str, Json] = {"integer": {"type": "integer"}, "text": {"type": "string"}}


def layer_feature(spec: LayerSpec) -> Json:
    """A feature of a layer: its key, its attributes, its lifespan."""
    props: Json = {spec.key.name: KEY_SCHEMAS[spec.key.type]}
    props.update({name: _nullable(ATTRIBUTE_SCHEMAS[kind]) if ATTRIBUTE_SCHEMAS[kind] else {}
                  for name, kind in spec.attributes.items()})
    props["beginLifespanVersion"] = {"type": "string", "format": "date-time"}
    props["endLifespanVersion"] = {"type": "string", "format": "date-time", "nullable": True}
    # in an interval, a version's id is "<key>@<instant>": a string even for integer keys
    return feature_schema(props)


def common_schemas() -> Json:
    """The schemas every document holds (layer and view features are added per entry)."""
    return {
        "Error": ERROR,
        "Open311Errors": OPEN311_ERRORS,
        "Link": LINK,
        "Geometry": GEOMETRY,
        "LandingPage": {"type": "object", "required": ["links"],
                        "properties": {"title": {"type": "string"},
                                       "description": {"type": "string"},
                                       "links": _links()}},
        "JsonLd": {"type": "object"},
        "Conformance": {"type": "object", "required": ["conformsTo"],
                        "properties": {"conformsTo": {"type": "array",
                                                      "items": {"type": "string"}}}},
        "Collection": {"type": "object", "required": ["id", "links"],
                       "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                      "description": {"type": "string"},
                                      "links": _links(), "extent": {"type": "object"},
                                      "itemType": {"type": "string"},
                                      "crs": {"type": "array", "items": {"type": "string"}}}},
        "Collections": {"type": "object", "required": ["collections", "links"],
                        "properties": {"collections": {"type": "array",
                                                       "items": ref("schemas", "Collection")},
                                       "links": _links()}},
        "Queryables": {"type": "object", "required": ["type", "properties"],
                       "properties": {"type": {"type": "string", "enum": ["object"]},
                                      "title": {"type": "string"},
                                      "properties": {"type": "object"},
                                      "$schema": {"type": "string"},
                                      "$id": {"type": "string"}}},
        "OpenAPI": {"type": "object", "required": ["openapi", "paths"],
                    "properties": {"openapi": {"type": "string"},
                                   "paths": {"type": "object"}}},
        "CoverageCollection": {
            "type": "object", "required": ["type", "coverages"],
            "properties": {"type": {"type": "string", "enum": ["CoverageCollection"]},
                           "domainType": {"type": "string"},
                           "parameters": {"type": "object"},
                           "referencing": {"type": "array"},
                           "coverages": {"type": "array", "items": {
                               "type": "object", "required": ["type", "domain", "ranges"],
                               "properties": {"type": {"type": "string",
                                                       "enum": ["Coverage"]},
                                              "domain": {"type": "object"},
                                              "ranges": {"type": "object"}}}}}},
        "ViewFeatureCollection": collection_schema(feature_schema({}), matched_required=True),
        "RecordCollection": collection_schema(ref("schemas", "Record"), True),
        "Record": {"type": "object", "required": ["id", "type", "properties", "links"],
                   "properties": {"id": {"type": "string"},
                                  "type": {"type": "string", "enum": ["Feature"]},
                                  "geometry": ref("schemas", "Geometry"),
                                  "time": {"type": "object", "nullable": True},
                                  "properties": {"type": "object"},
                                  "links": _links()}},
        "ProcessSummary": {"type": "object", "required": ["id", "version"],
                           "properties": {"id": {"type": "string"},
                                          "version": {"type": "string"},
                                          "title": {"type": "string"},
                                          "description": {"type": "string"},
                                          "jobControlOptions": {"type": "array"},
                                          "links": _links()}},
        "ProcessList": {"type": "object", "required": ["processes", "links"],
                        "properties": {"processes": {
                            "type": "array", "items": ref("schemas", "ProcessSummary")},
                            "links": _links()}},
        "Process": {"allOf": [ref("schemas", "ProcessSummary"), {
            "type": "object", "required": ["inputs", "outputs"],
            "properties": {"inputs": {"type": "object"}, "outputs": {"type": "object"}}}]},
        "LinkExecute": LINK_EXECUTE,
        "LinkedRecords": collection_schema(feature_schema({})),
        "Geolocation": GEOLOCATION,
        "Open311Service": {
            "type": "object",
            "required": ["service_code", "service_name", "description", "metadata", "type",
                         "keywords", "group"],
            "properties": {"service_code": {"type": "string"},
                           "service_name": {"type": "string"},
                           "description": {"type": "string"},
                           "metadata": {"type": "boolean"},
                           "type": {"type": "string", "enum": ["realtime", "batch",
                                                               "blackbox"]},
                           "keywords": {"type": "string", "nullable": True},
                           "group": {"type": "string", "nullable": True}}},
        "Open311ServiceDefinition": {
            "type": "object", "required": ["service_code", "attributes"],
            "properties": {"service_code": {"type": "string"},
                           "attributes": {"type": "array"}}},
        "Open311Request": OPEN311_REQUEST,
        "Open311NewRequest": {
            "type": "array", "minItems": 1, "maxItems": 1,
            "items": {"type": "object", "required": ["service_request_id"],
                      "properties": {"service_request_id": {"type": "string"},
                                     "service_notice": {"type": "string", "nullable": True},
                                     "account_id": {"type": "string", "nullable": True}}}},
        "Open311Report": OPEN311_REPORT,
    }


_NAMED = {"type": "object", "nullable": True}
GEOLOCATION = {
    "type": "object",
    "required": ["date", "point", "inside_region", "municipality", "district", "street",
                 "postcode", "responsible"],
    "properties": {
        "date": {"type": "string", "format": "date-time"},
        "point": {"type": "object", "required": ["lon", "lat"],
                  "properties": {"lon": {"type": "number"}, "lat": {"type": "number"},
                                 "x_31370": {"type": "number"},
                                 "y_31370": {"type": "number"}}},
        "inside_region": {"type": "boolean"},
        "distance_to_region_m": {"type": "number", "nullable": True},
        "near_boundary": {"type": "boolean"},
        "municipality": _NAMED, "district": _NAMED, "street": _NAMED, "postcode": _NAMED,
        "regional_road": _NAMED,
        "responsible": {"type": "object", "required": ["organisation", "rule", "reason"],
                        "properties": {"organisation": _NAMED,
                                       "rule": {"type": "string"},
                                       "reason": {"type": "string"}}},
        "message": {"type": "string"}}}
_TEXT_OR_NULL = {"type": "string", "nullable": True}
OPEN311_REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime",
                 "lat", "long"],
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": _TEXT_OR_NULL, "service_name": _TEXT_OR_NULL,
        "service_code": {"type": "string"}, "description": _TEXT_OR_NULL,
        "agency_responsible": _TEXT_OR_NULL, "service_notice": _TEXT_OR_NULL,
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": {"type": "string", "format": "date-time", "nullable": True},
        "expected_datetime": {"type": "string", "format": "date-time", "nullable": True},
        "address": _TEXT_OR_NULL, "address_id": _TEXT_OR_NULL, "zipcode": _TEXT_OR_NULL,
        "lat": {"type": "number"}, "long": {"type": "number"}, "media_url": _TEXT_OR_NULL,
        "municipality": _TEXT_OR_NULL, "routing_rule": _TEXT_OR_NULL}}
OPEN311_REPORT = {
    "type": "object", "required": ["api_key", "service_code"],
    "properties": {
        "api_key": {"type": "string", "description": "see `strata apikey create`"},
        "service_code": {"type": "string", "pattern": "^[0-9]{1,6}$",
                         "description": "a code of /open311/v2/services.json"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90,
                "description": "WGS 84 latitude (with long; or address_string)"},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": {"type": "string", "description": "a Brussels address"},
        "description": {"type": "string"},
        "media_url": {"type": "string"},
        # the reporter's contact: stored, never served
        "email": {"type": "string"}, "first_name": {"type": "string"},
        "last_name": {"type": "string"}, "phone": {"type": "string"},
        "device_id": {"type": "string"}, "account_id": {"type": "string"}}}
REPORT_EXAMPLE = {"api_key": "(a key of `strata apikey create`)", "service_code": "1",
                  "lat": 50.8467, "long": 4.3525, "description": "Nid de poule"}
LINK_EXECUTE = {
    "type": "object", "required": ["inputs"],
    "properties": {"inputs": {
        "type": "object",
        "description": "features (a GeoJSON FeatureCollection in CRS84), csv (CSV text with "
                       "lon / lat columns, or x / y with crs, or named by xy) or collection "
                       "(a stored layer, or incidents); date_field, date, to, within",
        "properties": {
            "features": {"type": "object", "required": ["type", "features"],
                         "properties": {"type": {"type": "string",
                                                 "enum": ["FeatureCollection"]},
                                        "features": {"type": "array", "maxItems": 50,
                                                     "items": {"type": "object"}}}},
            "csv": {"type": "string"},
            "xy": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
            "crs": {"type": "string"},
            "collection": {"type": "string"},
            "date_field": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "to": {"type": "array", "items": {"type": "string"}},
            "within": {"type": "number", "minimum": 0}}}}}


def error_responses(statuses: Iterator[int] | list[int], html: bool = False,
                    jsonld: bool = False) -> Json:
    """Error answers in the one shape (pygeoapi's pages answer f=html / f=jsonld errors in
    those formats)."""
    out: Json = {}
    for status in statuses:
        if html or jsonld:
            types: dict[str, Json | None] = {JSON_MT: ref("schemas", "Error")}
            if jsonld:
                types[JSONLD] = ref("schemas", "Error")
            if html:
                types[HTML] = None
            out[str(status)] = response(STATUS_TEXT[status], types)
        else:
            out[str(status)] = ref("responses", f"E{status}")
    return out


def common_responses() -> Json:
    return {f"E{status}": response(STATUS_TEXT[status], {JSON_MT: ref("schemas", "Error")})
            for status in (400, 404, 405, 410, 413, 414, 503)}


def common_parameters() -> Json:
    return {
        "lang": query("lang", {"type": "string", "enum": LANGS},
                      "the language of the answer (else Accept-Language; en by default)"),
        "Accept-Language": {
            "name": "Accept-Language", "in": "header", "required": False,
            "schema": {"type": "string", "maxLength": 100},
            "description": "fr, nl or en, with q-values; entries with q=0 are refused "
                           "languages"},
        "crs": query("crs", {"type": "string", "enum": CRS_URIS},
                     "the CRS of the answer's coordinates (EPSG:xxxx is also understood)"),
        "bbox-crs": query("bbox-crs", {"type": "string", "enum": CRS_URIS},
                          "the CRS of bbox (CRS84 by default)"),
        "bbox": query("bbox", {"type": "array", "minItems": 4, "maxItems": 6,
                               "items": {"type": "number"}},
                      "minx,miny,maxx,maxy (six numbers: heights are ignored)"),
        "datetime": query("datetime", INTERVAL,
                          "an instant (the map as it was then: 2021-01-01, "
                          "2021-01-01T12:00:00Z) or an interval (every version alive in it: "
                          "2020-01-01/2021-01-01, ../2021-01-01, 2020-01-01/..)"),
        "skipGeometry": query("skipGeometry", {"type": "boolean"},
                              "true: features without their geometry"),
        "offset": query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9},
                        "features to skip"),
    }


# ----------------------------------------------------------------------------- operations

def _op(op_id: str, summary: str, tags: list[str], params: list[Json],
        responses: Json, description: str = "") -> Json:
    out: Json = {"operationId": op_id, "summary": summary, "tags": tags,
                 "parameters": params, "responses": responses}
    if description:
        out["description"] = description
    return out


LANG = [ref("parameters", "lang"), ref("parameters", "Accept-Language")]


def _f(values: list[str], description: str = "the format of the answer") -> Json:
    return query("f", {"type": "string", "enum": values}, description)


def _camel(cid: str) -> str:
    return "".join(part.title() for part in cid.split("_"))


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
    items_params = [
        _f(["json", "geojson", "html"], "json or geojson: GeoJSON; html: a page"),
        *LANG, ref("parameters", "datetime"), ref("parameters", "bbox"),
        ref("parameters", "bbox-crs"), ref("parameters", "crs"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": max_items},
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
            query("lang", {"type": "string", "enum": LANGS}),
            ref("parameters", "Accept-Language")], {
            "200": response("The viewer", {HTML: None}),
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
    cid = "no2_surface"
    tags = ["coverages"]
    path_id = path_param("collectionId", {"type": "string", "enum": [cid]}, "a surface collection")
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
    return {
        f"/collections/{cid}": {"get": _op(
            "describeNo2SurfaceCollection", "NO2 surfaces (derived estimates): the collection",
            tags, [_f(["json"]), *LANG], {
                "200": response("The collection, its surfaces and their errors", as_json),
                **error_responses([400, 404, 414, 503])})},
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
                                            [400, 401, 403, 404, 413, 429])),
                "requestBody": {"required": True, "content": {
                    mt: {"schema": ref("schemas", "Open311Report"), "example": REPORT_EXAMPLE}
                    for mt in ("application/x-www-form-urlencoded", JSON_MT)}}},
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
    """Items and one item of a collection over a view (pygeoapi, after Strata's checks)."""
    names, equals = _property_params(pyg_items)
    tags = [cid]
    params = [
        _f(["json", "html", "jsonld", "csv"]), *LANG, ref("parameters", "bbox"),
        query("limit", {"type": "integer", "minimum": 1, "maximum": max_items}),
        ref("parameters", "offset"),
        query("properties", {"type": "array", "minItems": 1,
                             "items": {"type": "string", "enum": names}}),
        query("sortby", _sortable(names)),
        ref("parameters", "skipGeometry"),
        query("resulttype", {"type": "string", "enum": ["results", "hits"]}),
        *equals]
    if timed:
        params.insert(3, ref("parameters", "datetime"))
    feature = feature_schema({p["name"]: _property_schema(p) for p in equals})
    page = {JSON_MT: collection_schema(feature, matched_required=True),
            JSONLD: ref("schemas", "JsonLd"), HTML: None, CSV: None}
    return {
        f"/collections/{cid}/items": {
            "get": _op(f"get{_camel(cid)}Features", f"{title}: the features", tags, params, {
                "200": response("A page of features", page),
                **error_responses([400], html=True, jsonld=True),
                **error_responses([414, 503])},
                description="POST to this path is not offered (405)."),
            "options": _options(f"options{_camel(cid)}Features", tags)},
        f"/collections/{cid}/items/{{featureId}}": {
            "get": _op(
                f"get{_camel(cid)}Feature", f"{title}: one feature", tags,
                [path_param("featureId", {"type": "string"}), _f(["json", "html", "jsonld"]),
                 *LANG], {
                    "200": response("The feature", {JSON_MT: feature, GEOJSON: feature,
                                                    JSONLD: ref("schemas", "JsonLd"),
                                                    HTML: None}),
                    **error_responses([400, 404], html=True, jsonld=True),
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
    paths.update(open311_paths())
    paths.update(process_paths(pyg_paths))
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
