# SPDX-License-Identifier: EUPL-1.2
"""The OpenAPI document lists exactly the query parameters each path accepts.

Every GET path of ``/openapi`` is asked with a parameter nobody knows (its path parameters
and required query parameters filled from the document): Strata's own routes refuse it with
400 and list the parameters they take, and that list must equal the document's, name for
name. The pages pygeoapi serves (the landing page, collection documents, schemas and
queryables, the aggregate views' single items, EDR queries, processes, a data set's
conformance and collections) and Open311 (whose
clients send extra parameters such as ``jurisdiction_id``) ignore unknown parameters: they
are named here, and no other path may."""

from __future__ import annotations

import re

import httpx

from layers.catalogue import load_catalogue

# a value for each path parameter the document does not enumerate
PATH_VALUES = {"featureId": "7400", "tileMatrixSetId": "WebMercatorQuad", "tileMatrix": "12",
               "tileRow": "1374", "tileCol": "2097", "processId": "link", "format": "json",
               "service_request_id": "1", "service_code": "1"}
# a value for each required query parameter the document does not enumerate
QUERY_VALUES = {"from": "2020-04-27", "to": "2021-04-12", "coords": "POINT(4.35 50.85)",
                "within": "500"}
LENIENT = [r"^/(openapi|conformance|collections)?$",
           r"^/inspire/\{datasetId\}/(conformance|collections)$",
           r"^/collections/[^/]+(/schema|/queryables)?$",
           r"^/collections/[^/]+/(position|radius|area)$",
           r"^/processes(/[^/]+)?$", r"^/open311/"]
UNKNOWN = "zzz_nobody_knows"


def _resolve(doc, parameter):
    if "$ref" in parameter:
        return doc["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
    return parameter


def _value(parameter, table):
    schema = parameter.get("schema", {})
    if schema.get("enum"):
        return str(schema["enum"][0])
    if "example" in schema or "example" in parameter:
        return str(schema.get("example", parameter.get("example")))
    return table.get(parameter["name"])


def _lenient(path, layers):
    if any(re.search(pattern, path) for pattern in LENIENT):
        return True
    m = re.fullmatch(r"/collections/([^/{]+)/items/\{featureId\}", path)
    return bool(m) and m.group(1) not in layers  # a view's item: pygeoapi's


def test_the_openapi_lists_exactly_the_parameters_of_each_route(service):
    doc = httpx.get(f"{service}/openapi", params={"f": "json"}, timeout=60).json()
    layers = set(load_catalogue().layers)
    compared, lenient, mismatches, unfilled = [], [], [], []
    for path, item in doc["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        parameters = [_resolve(doc, x) for x in item.get("parameters", []) +
                      operation.get("parameters", [])]
        url, params = path, {UNKNOWN: "1"}
        for parameter in parameters:
            if parameter["in"] == "path":
                value = _value(parameter, PATH_VALUES)
                url = url.replace("{" + parameter["name"] + "}", str(value))
            elif parameter["in"] == "query" and parameter.get("required"):
                params[parameter["name"]] = _value(parameter, QUERY_VALUES)
        if "{" in url or "None" in url or None in params.values():
            unfilled.append(path)
            continue
        documented = sorted({x["name"] for x in parameters if x["in"] == "query"})
        r = httpx.get(service + url, params=params, timeout=120)
        body = r.json() if "json" in r.headers.get("content-type", "") else {}
        said = body.get("description", "") if isinstance(body, dict) else ""
        if r.status_code == 400 and said.startswith("unknown query parameter"):
            takes = sorted(t.strip() for t in body["hint"].split("takes:", 1)[1].split(","))
            compared.append(path)
            if takes != documented:
                mismatches.append((path, {"only documented": sorted(set(documented) - set(takes)),
                                          "only accepted": sorted(set(takes) - set(documented))}))
        else:
            lenient.append(path)
    assert not unfilled, f"give these path parameters a value: {unfilled}"
    assert not mismatches, mismatches
    assert len(compared) >= 60, compared  # Strata's own routes, every one compared
    unexpected = [p for p in lenient if not _lenient(p, layers)]
    assert not unexpected, f"these routes accept any parameter: {unexpected}"
