# SPDX-License-Identifier: EUPL-1.2
"""OGC API Tiles, time-aware: Mapbox Vector Tiles of the map of any date, made by PostGIS
(``versioning/tiles.py``), in the tile matrix set WebMercatorQuad.

- ``/tileMatrixSets``, ``/tileMatrixSets/WebMercatorQuad``: the tiling scheme (OGC 2D TMS
  JSON);
- ``/collections/{id}/tiles``, ``.../tiles/WebMercatorQuad`` (tileset metadata; ``f=tilejson``
  for TileJSON 3.0.0), ``.../tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}``: one
  layer, one MVT layer named after the collection;
- ``/tiles``, ``/tiles/WebMercatorQuad``, ``/tiles/WebMercatorQuad/{z}/{y}/{x}``: the map
  (``tile_map_layers``: region, municipalities, districts, streets), one MVT layer each;
- ``/collections/{id}/changes/tiles/WebMercatorQuad[/{z}/{y}/{x}]?from=&to=``: the net changes
  between two dates, as ``/collections/{id}/changes`` gives them.

A tile answers ``datetime=`` (an instant, default now; a date is the start of that day in
Brussels; an interval gives every version alive in it). Its ETag comes from the editions
that make it (in force at the instant, and the newest, which may have ended a feature's
lifespan), the tile, the properties and whether ``datetime`` is an instant or an interval
(and which of its ends are open), never from the text of the date: every date between
two editions gets the same bytes and the same ETag, and ``If-None-Match`` answers 304. At or
before a layer's newest edition a tile is ``immutable`` for a year; later, 60 s. An empty tile
is a 200 with an empty body (a valid MVT of no layer); a tile whose feature cap bit carries
``Strata-Tile-Capped: true``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from geo.errors import InvalidInput, NotFound
from layers.catalogue import MAX_ZOOM, LayerSpec
from services import ogc_params as p
from services import replicas
from services.web import base_url, catalogue, db, language, matches, settings
from versioning import tiles as store_tiles
from versioning.tiles import ORIGIN, EditionsState, Tile, TileAddress

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
MVT = "application/vnd.mapbox-vector-tile"
JSON = "application/json"
TILEJSON = "application/vnd.mapbox.tile+json"
OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0/"
REL_TILESETS = OGC_REL + "tilesets-vector"
CAPPED_HEADER = "Strata-Tile-Capped"
# the bytes of a tile for given editions change only with this (bump it with the tile's SQL)
TILE_FORMAT = "2"
# the OGC API Tiles classes these routes implement (services/routes/inspire.py declares them)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/datetime",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
TILE_PARAMS = {"datetime", "properties", "f"}
GEOMETRY_DIMENSION = {"Point": 0, "LineString": 1, "MultiLineString": 1, "Polygon": 2,
                      "MultiPolygon": 2}
FIELD_TYPES = {"integer": "Number", "double": "Number", "boolean": "Boolean"}
TEXTS = {  # titles of the tilesets, in the languages of the service
    "map": {"fr": "Carte de Bruxelles", "nl": "Kaart van Brussel", "en": "Map of Brussels"},
    "map_description": {"fr": "La carte à la date choisie : {}",
                        "nl": "De kaart op de gekozen datum: {}",
                        "en": "The map on the date chosen: {}"},
    "tiles": {"fr": "tuiles vectorielles", "nl": "vectortegels", "en": "vector tiles"},
    "changes": {"fr": "changements", "nl": "wijzigingen", "en": "changes"},
}


# -- the tiling scheme -------------------------------------------------------------------------
def web_mercator_quad() -> dict[str, Any]:
    """WebMercatorQuad as the OGC 2D Tile Matrix Set standard (2.0) encodes it in JSON."""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        cell = 2 * ORIGIN / 256 / 2**z
        matrices.append({"id": str(z), "scaleDenominator": cell / 0.00028, "cellSize": cell,
                         "cornerOfOrigin": "topLeft", "pointOfOrigin": [-ORIGIN, ORIGIN],
                         "tileWidth": 256, "tileHeight": 256, "matrixWidth": 2**z,
                         "matrixHeight": 2**z})
    return {"id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
            "crs": CRS_3857, "orderedAxes": ["X", "Y"],
            "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
            "boundingBox": {"lowerLeft": [-ORIGIN, -ORIGIN], "upperRight": [ORIGIN, ORIGIN],
                            "crs": CRS_3857},
            "tileMatrices": matrices}


def _check_tms(request: Request) -> None:
    tms = request.path_params.get("tileMatrixSetId", TMS_ID)
    if tms != TMS_ID:
        raise NotFound(f"tile matrix set {tms!r} is not offered",
                       hint=f"use {TMS_ID} (the list: /tileMatrixSets)")


async def no_such_path(request: Request) -> Response:
    """A path under ``/tiles`` or a collection's ``.../tiles`` that names no tileset nor
    tile (a trailing slash, a tile without its column): a 404 saying what the paths are,
    where pygeoapi would answer "Collection not found" for a collection that exists."""
    path = request.url.path
    cid = request.path_params.get("collection_id")
    if cid:
        _layer(request)  # an unknown collection, or one without tiles, says so
    base = f"/collections/{cid}/tiles" if cid else "/tiles"
    if path.endswith("/") and path.rstrip("/") in (base, f"{base}/{TMS_ID}"):
        raise NotFound(f"{path} is not a path of this service",
                       hint=f"leave out the trailing slash: {path.rstrip('/')}")
    raise NotFound(f"{path} is not a path of this service",
                   hint=f"the tiles are at {base}/{TMS_ID}/{{tileMatrix}}/{{tileRow}}/"
                        f"{{tileCol}}, their metadata at {base}/{TMS_ID}")


async def tile_matrix_sets(request: Request) -> Response:
    """``/tileMatrixSets``: the tiling schemes offered (WebMercatorQuad)."""
    p.check_known(request.query_params, {"f"})
    _check_json(request.query_params)
    base = base_url(request)
    return JSONResponse({
        "links": [{"rel": "self", "type": JSON, "href": f"{base}/tileMatrixSets"}],
        "tileMatrixSets": [{
            "id": TMS_ID, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
            "crs": CRS_3857,
            "links": [{"rel": "self", "type": JSON, "title": TMS_ID,
                       "href": f"{base}/tileMatrixSets/{TMS_ID}"}]}]})


async def tile_matrix_set(request: Request) -> Response:
    """``/tileMatrixSets/{id}``: the definition of a tiling scheme."""
    p.check_known(request.query_params, {"f"})
    _check_json(request.query_params)
    _check_tms(request)
    return JSONResponse(web_mercator_quad())


def _check_json(q: QueryParams) -> None:
    if q.get("f") not in (None, "json"):
        raise InvalidInput(f"f={q.get('f')} is not offered here", hint="use f=json")


def _layer(request: Request) -> LayerSpec:
    """The layer of the path; a collection that is not a versioned layer has no tiles."""
    cid = request.path_params["collection_id"]
    layers = catalogue(request).layers
    if cid not in layers:
        raise NotFound(f"collection {cid!r} has no vector tiles",
                       hint=f"tiles are made for the layers: {', '.join(layers)}")
    return layers[cid]


# -- links other documents carry (services/routes/inspire.py) ---------------------------------
def collection_links(base: str, collection_id: str) -> list[dict[str, str]]:
    """The links of a collection to its tilesets (and the changes tileset)."""
    return [{"rel": REL_TILESETS, "type": JSON, "title": "Vector tiles of the map of any date",
             "href": f"{base}/collections/{collection_id}/tiles"}]


def landing_links(base: str) -> list[dict[str, str]]:
    """The links of the landing page to the map's tilesets and the tiling schemes."""
    return [{"rel": REL_TILESETS, "type": JSON, "title": "Vector tiles of the map of any date",
             "href": f"{base}/tiles"},
            {"rel": OGC_REL + "tiling-schemes", "type": JSON,
             "title": "The tiling schemes of the tiles", "href": f"{base}/tileMatrixSets"}]


# -- tilesets ----------------------------------------------------------------------------------
def _map_layers(request: Request) -> list[LayerSpec]:
    layers = catalogue(request).layers
    specs = [layers[i] for i in settings(request).tile_map_layers if i in layers]
    if not specs:
        raise NotFound("this service has no map tileset",
                       hint="set STRATA_TILE_MAP_LAYERS to layers of the catalogue")
    return specs


def _title(request: Request, specs: list[LayerSpec], kind: str) -> tuple[str, str]:
    lang = language(request)
    if kind == "map":
        layers = ", ".join(s.title.get(lang).lower() for s in specs)
        return TEXTS["map"][lang], TEXTS["map_description"][lang].format(layers)
    spec = specs[0]
    what = TEXTS["tiles"][lang]
    if kind == "changes":
        what = f"{TEXTS['changes'][lang]}, {what}"
    return f"{spec.title.get(lang)} ({what})", spec.description.get(lang)


def _tilesets_list(request: Request, path: str, specs: list[LayerSpec], kind: str) -> Response:
    p.check_known(request.query_params, {"f", "lang"})
    _check_json(request.query_params)
    base = base_url(request)
    title, _ = _title(request, specs, kind)
    links = [{"rel": "self", "type": JSON, "href": f"{base}{path}"}]
    if kind == "layer":
        links.append({"rel": OGC_REL + "geodata", "type": JSON,
                      "href": f"{base}/collections/{specs[0].id}"})
    body = {"links": links, "tilesets": [{
        "title": title, "dataType": "vector", "crs": CRS_3857, "tileMatrixSetURI": TMS_URI,
        "links": [{"rel": "self", "type": JSON, "href": f"{base}{path}/{TMS_ID}"},
                  {"rel": OGC_REL + "tiling-scheme", "type": JSON,
                   "href": f"{base}/tileMatrixSets/{TMS_ID}"}]}]}
    return JSONResponse(body, headers={"Content-Language": language(request)})


async def collection_tilesets(request: Request) -> Response:
    """``/collections/{id}/tiles``: the layer's tilesets (one, in WebMercatorQuad)."""
    spec = _layer(request)
    return _tilesets_list(request, f"/collections/{spec.id}/tiles", [spec], "layer")


async def map_tilesets(request: Request) -> Response:
    """``/tiles``: the map's tilesets (one, in WebMercatorQuad)."""
    return _tilesets_list(request, "/tiles", _map_layers(request), "map")


def _fields(spec: LayerSpec, names: list[str], kind: str) -> dict[str, str]:
    """TileJSON's ``fields`` of a layer: property name -> String, Number or Boolean."""
    out = {spec.key.name: FIELD_TYPES.get(spec.key.type, "String")}
    if kind == "changes":
        out.update(action="String", geometry_changed="Boolean")
        for n in names:
            for side in ("old", "new"):
                out[f"{side}_{n}"] = FIELD_TYPES.get(spec.attributes[n], "String")
        out.update(old_begin_lifespan="String", new_begin_lifespan="String")
        return out
    out.update({n: FIELD_TYPES.get(spec.attributes[n], "String") for n in names})
    out.update(beginLifespanVersion="String", endLifespanVersion="String")
    return out


def _bbox(request: Request, specs: list[LayerSpec]) -> list[float]:
    """The CRS84 box of every version of the layers (the whole world when unknown)."""
    boxes = [b for s in specs if (b := request.app.state.extents.get(s.id, (None,))[0])]
    if not boxes:
        return [-180.0, -85.0511287798066, 180.0, 85.0511287798066]
    return [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]


def _tileset(request: Request, path: str, specs: list[LayerSpec], kind: str,
             extra: set[str], passed: dict[str, str]) -> Response:
    """Tileset metadata (OGC 2D TMS 2.0 JSON) or, with ``f=tilejson``, TileJSON 3.0.0;
    ``passed`` are the query parameters the tile URLs carry."""
    q = request.query_params
    p.check_known(q, {"f", "lang"} | extra)
    f = q.get("f", "json")
    if f not in ("json", "tilejson"):
        raise InvalidInput(f"f={f} is not offered here",
                           hint="use f=json (OGC tileset metadata) or f=tilejson (TileJSON)")
    base = base_url(request)
    lang = language(request)
    title, description = _title(request, specs, kind)
    query = f"?{urlencode(passed)}" if passed else ""
    minzoom, maxzoom = min(s.minzoom for s in specs), max(s.maxzoom for s in specs)
    bbox = _bbox(request, specs)
    names = {s.id: (passed["properties"].split(",") if "properties" in passed
                    else store_tiles.default_properties(s)) for s in specs}
    cat = catalogue(request)
    attribution = " · ".join(dict.fromkeys(
        cat.attribution[s.attribution].get(lang) for s in specs if s.attribution))
    if f == "tilejson":
        body: dict[str, Any] = {
            "tilejson": "3.0.0", "name": title, "description": description,
            "version": "1.0.0", "attribution": attribution, "scheme": "xyz",
            "tiles": [f"{base}{path}/{{z}}/{{y}}/{{x}}{query}"],
            "minzoom": minzoom, "maxzoom": maxzoom, "bounds": bbox,
            "center": [round((bbox[0] + bbox[2]) / 2, 6), round((bbox[1] + bbox[3]) / 2, 6),
                       min(max(11, minzoom), maxzoom)],
            "vector_layers": [{"id": s.id, "description": s.title.get(lang),
                               "minzoom": s.minzoom, "maxzoom": s.maxzoom,
                               "fields": _fields(s, names[s.id], kind)} for s in specs]}
        if kind == "map" and settings(request).basemap_url:
            # an outside basemap the deployment has: named, never fetched by Strata
            body["basemap"] = {"tiles": [settings(request).basemap_url]}
        return JSONResponse(body, headers={"Content-Language": lang})
    links = [
        {"rel": "self", "type": JSON, "href": f"{base}{path}{query}"},
        {"rel": "alternate", "type": TILEJSON, "title": "TileJSON",
         "href": f"{base}{path}?{urlencode({**passed, 'f': 'tilejson'})}"},
        {"rel": OGC_REL + "tiling-scheme", "type": JSON,
         "href": f"{base}/tileMatrixSets/{TMS_ID}"},
        {"rel": "item", "type": MVT, "templated": True, "title": "Mapbox Vector Tiles",
         "href": f"{base}{path}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}{query}"}]
    if kind != "map":
        links.append({"rel": OGC_REL + "geodata", "type": JSON,
                      "href": f"{base}/collections/{specs[0].id}"})
    body = {
        "title": title, "description": description, "dataType": "vector", "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "tileMatrixSetLimits": [
            {"tileMatrix": str(z), "minTileRow": 0, "maxTileRow": 2**z - 1, "minTileCol": 0,
             "maxTileCol": 2**z - 1} for z in range(minzoom, maxzoom + 1)],
        "boundingBox": {"lowerLeft": bbox[:2], "upperRight": bbox[2:], "crs": CRS84},
        "layers": [_layer_entry(s, names[s.id], kind, lang) for s in specs],
        "links": links}
    return JSONResponse(body, headers={"Content-Language": lang})


def _layer_entry(spec: LayerSpec, names: list[str], kind: str, lang: str) -> dict[str, Any]:
    """One layer of tileset metadata (OGC 2D TMS 2.0), with the schema of its properties."""
    entry: dict[str, Any] = {
        "id": spec.id, "title": spec.title.get(lang), "description": spec.description.get(lang),
        "dataType": "vector", "minTileMatrix": str(spec.minzoom),
        "maxTileMatrix": str(spec.maxzoom),
        "propertiesSchema": {"type": "object", "properties": {
            k: {"type": {"Number": "number", "Boolean": "boolean"}.get(v, "string")}
            for k, v in _fields(spec, names, kind).items()}}}
    if spec.geometry_type in GEOMETRY_DIMENSION:  # a layer of any geometry has none
        entry["geometryDimension"] = GEOMETRY_DIMENSION[spec.geometry_type]
    return entry


def _passed(q: QueryParams, names: tuple[str, ...]) -> dict[str, str]:
    return {n: q[n] for n in names if n in q}


async def collection_tileset(request: Request) -> Response:
    """``/collections/{id}/tiles/WebMercatorQuad``: the layer's tileset metadata, or
    TileJSON (``f=tilejson``); ``datetime`` and ``properties`` go into the tile URLs."""
    spec = _layer(request)
    _check_tms(request)
    q = request.query_params
    p.datetime_param(q.get("datetime"))
    p.properties_param(q, spec)
    return _tileset(request, f"/collections/{spec.id}/tiles/{TMS_ID}", [spec], "layer",
                    {"datetime", "properties"}, _passed(q, ("datetime", "properties")))


async def map_tileset(request: Request) -> Response:
    """``/tiles/WebMercatorQuad``: the map's tileset metadata, or TileJSON (``f=tilejson``,
    which also names the outside basemap when the settings give one)."""
    _check_tms(request)
    q = request.query_params
    p.datetime_param(q.get("datetime"))
    return _tileset(request, f"/tiles/{TMS_ID}", _map_layers(request), "map", {"datetime"},
                    _passed(q, ("datetime",)))


async def changes_tileset(request: Request) -> Response:
    """``/collections/{id}/changes/tiles/WebMercatorQuad?from=&to=``: the changes tileset's
    metadata, or TileJSON (``f=tilejson``)."""
    spec = _layer(request)
    _check_tms(request)
    q = request.query_params
    _window(q)
    p.properties_param(q, spec)
    return _tileset(request, f"/collections/{spec.id}/changes/tiles/{TMS_ID}", [spec],
                    "changes", {"from", "to", "properties"},
                    _passed(q, ("from", "to", "properties")))


# -- tiles -------------------------------------------------------------------------------------
def _address(request: Request) -> TileAddress:
    _check_tms(request)
    pp = request.path_params
    return store_tiles.tile_address(pp["tileMatrix"], pp["tileRow"], pp["tileCol"])


def _check_tile_params(q: QueryParams, allowed: set[str]) -> None:
    p.check_known(q, allowed)
    if q.get("f") not in (None, "mvt"):
        raise InvalidInput(f"f={q.get('f')} is not offered for tiles",
                           hint="tiles are Mapbox Vector Tiles: leave f out, or f=mvt")


def _when(q: QueryParams) -> tuple[store_tiles.When, list[dt.datetime], dt.datetime | None,
                                   str]:
    """What ``datetime`` asks for, the instants whose editions make the tile, the instant
    after which the tile could still change (None: it always could), and its form for the
    ETag: an instant (``at``) or an interval, with its open ends (``../X`` is every version
    before X, not the map of X, though both are made by the editions in force at X)."""
    at, interval = p.datetime_param(q.get("datetime"))
    now = dt.datetime.now(dt.UTC)
    if interval is None:
        moment = at or now
        return moment, [moment], moment, "at"
    start, end = interval
    form = f"{'..' if start is None else 'start'}/{'..' if end is None else 'end'}"
    return interval, [m for m in (start, end or now) if m is not None], end, form


def _window(q: QueryParams) -> tuple[dt.datetime, dt.datetime]:
    """``from`` (required, excluded) and ``to`` (included, default now) of a changes tile."""
    if "from" not in q:
        raise InvalidInput("from is required", hint="give from=YYYY-MM-DD (excluded) and "
                                                    "to=YYYY-MM-DD (included, default now)")
    t1 = p.date_param(q["from"], "from")
    t2 = p.date_param(q.get("to"), "to")
    if t2 < t1:
        raise InvalidInput(f"to ({q.get('to')}) is before from ({q['from']})",
                           hint="give the earlier date as from")
    return t1, t2


def tile_etag(kind: str, specs: list[LayerSpec], tile: TileAddress,
              names: list[str] | None, cap: int, state: EditionsState, form: str = "at"
              ) -> str:
    """The ETag of a tile: everything its bytes depend on (services/tile_cache.py), among
    them the form of its dates (``_when``: an instant, or an interval and its open ends)."""
    made = (f"{TILE_FORMAT}|{kind} {form}|{','.join(s.id for s in specs)}|{TMS_ID}|"
            f"{tile.z}/{tile.x}/{tile.y}|{'' if names is None else ','.join(names)}|{cap}|"
            f"{state.stamp}")
    return f'"{hashlib.sha1(made.encode()).hexdigest()}"'


def _answer(request: Request, etag: str, settled: bool, make: Callable[[], Tile]) -> Response:
    """304 when the client holds this tile, else the tile (from the tile cache when it was
    made before: its ETag names all its bytes depend on); with its caching headers, and
    ``Server-Timing: tilecache;desc=hit|shared|miss`` (this process's memory, the folder the
    workers share, made now)."""
    # a standby behind the newest edition may still learn a lifespan's end (replicas.py)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"
               if settled and replicas.settled() else "public, max-age=60"}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    tile, found = request.app.state.tile_cache.get_or_make(etag, make)
    headers["Server-Timing"] = f"tilecache;desc={found}"
    if tile.capped:
        headers[CAPPED_HEADER] = "true"
    return Response(tile.data, media_type=MVT, headers=headers)


async def collection_tile(request: Request) -> Response:
    """``/collections/{id}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}``: the
    layer at ``datetime`` in one tile."""
    return await run_in_threadpool(_collection_tile, request)


def _collection_tile(request: Request) -> Response:
    spec = _layer(request)
    tile = _address(request)
    q = request.query_params
    _check_tile_params(q, TILE_PARAMS)
    store_tiles.check_zoom(spec, tile.z)
    when, instants, end, form = _when(q)
    names = p.properties_param(q, spec)
    names = store_tiles.default_properties(spec) if names is None else names
    cap = settings(request).tile_max_features
    with db(request) as conn:
        state = store_tiles.editions_state(conn, [spec], instants)
        return _answer(request, tile_etag("layer", [spec], tile, names, cap, state, form),
                       state.settled(end),
                       lambda: store_tiles.layer_tile(conn, spec, tile, when, names, cap))


async def map_tile(request: Request) -> Response:
    """``/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}``: the map at ``datetime``
    in one tile, one MVT layer per map layer tiled at that zoom."""
    return await run_in_threadpool(_map_tile, request)


def _map_tile(request: Request) -> Response:
    specs = _map_layers(request)
    tile = _address(request)
    q = request.query_params
    _check_tile_params(q, {"datetime", "f"})
    low, high = min(s.minzoom for s in specs), max(s.maxzoom for s in specs)
    if not low <= tile.z <= high:
        raise NotFound(f"the map has no tiles at zoom {tile.z}",
                       hint=f"the map is tiled from zoom {low} to {high}")
    when, instants, end, form = _when(q)
    shown = store_tiles.in_zoom(specs, tile.z)
    cap = settings(request).tile_max_features
    with db(request) as conn:
        state = store_tiles.editions_state(conn, shown, instants)
        return _answer(request, tile_etag("map", shown, tile, None, cap, state, form),
                       state.settled(end),
                       lambda: store_tiles.map_tile(conn, shown, tile, when, cap))


async def changes_tile(request: Request) -> Response:
    """``/collections/{id}/changes/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}
    ?from=&to=``: the net changes between two dates in one tile, each with its ``action``
    and both versions' properties."""
    return await run_in_threadpool(_changes_tile, request)


def _changes_tile(request: Request) -> Response:
    spec = _layer(request)
    tile = _address(request)
    q = request.query_params
    _check_tile_params(q, {"from", "to", "properties", "f"})
    store_tiles.check_zoom(spec, tile.z)
    t1, t2 = _window(q)
    names = p.properties_param(q, spec)
    names = store_tiles.default_properties(spec) if names is None else names
    cap = settings(request).tile_max_features
    with db(request) as conn:
        state = store_tiles.editions_state(conn, [spec], [t1, t2])
        return _answer(request, tile_etag("changes", [spec], tile, names, cap, state),
                       state.settled(t2),
                       lambda: store_tiles.changes_tile(conn, spec, tile, t1, t2, names, cap))
