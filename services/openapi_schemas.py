# SPDX-License-Identifier: EUPL-1.2
"""The building blocks of Strata's OpenAPI document (``services/openapi.py``): media types,
patterns of dates and WKT, parameter and response helpers, and the schemas every path shares
(the one error body, links, geometries, features, collections, Open311, geolocation)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from geo.crs import SUPPORTED
from layers.catalogue import LayerSpec

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
               415: "A body of a type this path does not read",
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
        "message": {"type": "string"},
        "notes": {"type": "array", "items": {"type": "string"},
                  "description": "what the answer rests on that the question did not say: a "
                                 "layer's first edition answering for an older date, "
                                 "coordinates that look swapped"}}}
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
