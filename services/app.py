# SPDX-License-Identifier: EUPL-1.2
"""The ASGI app: Strata's own routes first, pygeoapi mounted behind them.

``create_app(store, service)`` does everything at call time (never at import time):
generates the pygeoapi configuration from the catalogue, opens a read-only pool.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from geo.errors import NotFound, StrataError
from linking import surfaces
from linking.roles import READER, REPORTER, role_url
from services import pygeoapi_config, tile_seed
from services.http_errors import ErrorShape, MethodNotAllowed, handle
from services.language import AcceptLanguageMiddleware
from services.limits import LimitsMiddleware
from services.pools import close_pools, shared_pool
from services.provider import reader_url, register_app, register_reads
from services.records import build_records, write_records
from services.replicas import RouteMiddleware, make_router
from services.routes import (
    coverages,
    dashboard,
    datasets,
    downloads,
    editions,
    features,
    geolocate,
    inspire,
    open311,
    processes,
    station_series,
    tiles,
    viewer,
    views,
)
from services.routes import records as records_routes
from services.routes.collections import KnownCollections
from services.routes.datasets import DatasetPrefix
from services.settings import ServiceSettings, StoreSettings
from services.store import Store
from services.tile_cache import SharedTiles, TileCache, TileTiers
from versioning.instants import day_start
from versioning.reading import extents


def create_app(store_settings: StoreSettings | None = None,
               service: ServiceSettings | None = None) -> Starlette:
    """Build the service for the given settings (read from the environment when None)."""
    store = Store(store_settings or StoreSettings())
    service = service or ServiceSettings()
    specs = list(store.catalogue.layers.values())
    with store.connect() as conn:
        ext = extents(conn, specs)
    folder = store.settings.project_root / ".strata" / "pygeoapi" / store.settings.schema_name
    folder.mkdir(parents=True, exist_ok=True)
    records = write_records(build_records(store.catalogue, ext, service.public_url()),
                            folder / "records.json")
    config = pygeoapi_config.build(
        store.catalogue, service, {k: v[0] for k, v in ext.items() if v[0]},
        # temporal extents in RFC 3339: the first edition's start (a day of Brussels), in UTC
        {k: day_start(v[1]).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if v[1] else None
         for k, v in ext.items()}, records,
        views=store.serves_city, context=(context := register_app(store, service)))

    own = [
        Route("/collections", inspire.collections),
        Route("/conformance", inspire.conformance),
        Route("/download", downloads.download_all, methods=["GET", "HEAD"]),
        Route("/metadata", inspire.map_metadata),
        Route("/geolocate", geolocate.geolocate),
        Route("/open311/discovery.{format}", open311.discovery),
        Route("/open311/v2/services.{format}", open311.services),
        Route("/open311/v2/services/{code}.{format}", open311.service_definition),
        Route("/open311/v2/requests.{format}", open311.get_requests, methods=["GET"]),
        Route("/open311/v2/requests.{format}", open311.post_request, methods=["POST"]),
        Route("/open311/v2/requests/{rid}.{format}", open311.get_request),
        Route("/collections/catalogue/items", records_routes.records),
        Route("/collections/catalogue/items/{item_id}", records_routes.record),
        # a layer's HTML pages are Strata's, of the date asked (services/routes/viewer.py)
        Route("/collections/{collection_id}/items", viewer.items_page),
        Route("/collections/{collection_id}/items/{item_id}/versions", features.versions),
        Route("/collections/{collection_id}/items/{item_id}", viewer.item_page),
        Route("/collections/{collection_id}/changes", downloads.changes,
              methods=["GET", "HEAD"]),
        Route("/collections/{collection_id}/download", downloads.download,
              methods=["GET", "HEAD"]),
        Route("/collections/{collection_id}/metadata", inspire.collection_metadata),
        Route("/collections/{collection_id}/editions", editions.editions),
        Route("/collections/{collection_id}/queryables", views.queryables_route),
        Route("/map", viewer.viewer),
        Route("/favicon.ico", viewer.favicon),
        Route("/dashboard", dashboard.dashboard),
        Route("/processes/{process_id}/execution", processes.execute, methods=["POST"]),
        Route("/", inspire.landing),
        Route(datasets.PREFIX, datasets.index),
        Route(datasets.PREFIX + "/{rest:path}", datasets.not_in_dataset),
        *coverages.routes(),
        Route("/collections/{collection_id}/coverage", coverages.coverage),
        Route("/collections/{collection_id}/coverage/domainset", coverages.domainset),
        Route("/collections/{collection_id}/coverage/rangetype", coverages.rangetype),
        Route("/collections/{collection_id}/zonal-statistics", coverages.zonal),
        Route("/collections/{collection_id}", inspire.collection),
        Route("/tileMatrixSets", tiles.tile_matrix_sets),
        Route("/tileMatrixSets/{tileMatrixSetId}", tiles.tile_matrix_set),
        Route("/tiles", tiles.map_tilesets),
        Route("/tiles/{tileMatrixSetId}", tiles.map_tileset),
        Route("/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", tiles.map_tile),
        Route("/collections/{collection_id}/tiles", tiles.collection_tilesets),
        Route("/collections/{collection_id}/tiles/{tileMatrixSetId}", tiles.collection_tileset),
        Route("/collections/{collection_id}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/"
              "{tileCol}", tiles.collection_tile),
        Route("/collections/{collection_id}/changes/tiles/{tileMatrixSetId}",
              tiles.changes_tileset),
        Route("/collections/{collection_id}/changes/tiles/{tileMatrixSetId}/{tileMatrix}/"
              "{tileRow}/{tileCol}", tiles.changes_tile),
    ]
    # the tiles first: a map asks for dozens at once, and routes are tried in order
    own.sort(key=lambda r: not r.path.endswith("{tileCol}"))
    # the OpenAPI document describes every route of Strata's (write() refuses one it does not)
    cfg_path, oas_path = pygeoapi_config.write(config, folder, catalogue=store.catalogue,
                                               routes=[r.path for r in own])
    # pygeoapi reads where its configuration is from the environment, once, when it is
    # imported (one pygeoapi per process): the one thing written there. Strata's own
    # settings reach its plugins through their configuration (register_app above).
    os.environ["PYGEOAPI_CONFIG"] = str(cfg_path)
    os.environ["PYGEOAPI_OPENAPI"] = str(oas_path)
    pygeoapi_app = importlib.import_module("pygeoapi.starlette_app").APP
    # pygeoapi paths of features Strata does not configure (jobs, STAC, AsyncAPI, its own
    # tile matrix sets, maps) are not Strata's: 404 in the one shape
    own_404 = [Route(path, not_offered) for path in NOT_OFFERED]
    # under the tilesets, a path that is not a tile nor a tileset (a trailing slash, a tile
    # without its column) says what the paths are (pygeoapi's 404 named the collection)
    own_404 += [Route("/tiles/{rest:path}", tiles.no_such_path),
                Route("/collections/{collection_id}/tiles/{rest:path}", tiles.no_such_path)]
    # a wrong method on one of these paths is a 405 (not pygeoapi's 404), in the one shape;
    # POST to items is refused so (CQL2-JSON search by POST is not offered: use filter=)
    # pygeoapi answers the station series' EDR queries once Strata has checked them
    routes: list[BaseRoute] = [*own, *not_allowed_routes(own), *own_404,
                               *station_series.routes(pygeoapi_app),
                               Mount(viewer.ASSETS, app=viewer.assets()),
                               Mount("/", app=pygeoapi_app)]
    handlers = {StrataError: handle, HTTPException: handle, psycopg.Error: handle,
                Exception: handle}
    for exc_class in (StrataError, psycopg.Error):  # pygeoapi's routes, same shape
        pygeoapi_app.add_exception_handler(exc_class, handle)
    # every read: the primary's pool, or a standby's when one holds what is read
    reads = make_router(reader_url(store.settings, service, store.url),
                        role_url(store.url, READER), store.settings.schema_name, service)
    register_reads(context, reads)
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = threading.Event()
        if service.seed_tiles:  # the first visitor's map from the cache, after each import too
            tile_seed.start(app.state, stop)
        yield
        stop.set()
        reads.close()
        close_pools()

    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan, middleware=[
        # outermost: every answer, errors included, can be read from another origin
        Middleware(CORSMiddleware, allow_origins=service.cors_origins,
                   allow_methods=["GET", "HEAD", "POST", "OPTIONS"], allow_headers=["*"],
                   expose_headers=EXPOSED_HEADERS, max_age=3600),
        Middleware(ErrorShape),
        Middleware(LimitsMiddleware, max_url_length=service.max_url_length,
                   max_body_bytes=service.max_body_bytes),
        Middleware(AcceptLanguageMiddleware),
        # /inspire/{dataset}/...: the data set's own API, answered by the routes below
        Middleware(DatasetPrefix, names=set(datasets.datasets(store.catalogue))),
        # a browser's page of a collection the service has not: a page in its language
        Middleware(KnownCollections, names={*config["resources"], *surfaces.COLLECTIONS}),
        # innermost: which server reads for the request (the primary keeps the reports)
        Middleware(RouteMiddleware, router=reads, live_paths=(
            "/open311", *(f"/collections/{cid}" for cid in pygeoapi_config.REPORT_COLLECTIONS)))])
    app.state.catalogue = store.catalogue
    app.state.store_settings = store.settings  # where the surfaces' files live
    app.state.responsibility = store.responsibility if store.serves_city else None
    # geolocations at work at once: one per core; the others wait their turn before the
    # clock starts, instead of slowing every answer by sharing two cores among sixteen
    app.state.locate_slots = threading.BoundedSemaphore(os.cpu_count() or 2)
    app.state.service = service
    app.state.extents = ext
    app.state.records_path = records
    # shared storage when several instances serve (STRATA_CACHE_DIR), bounded in size
    app.state.download_cache = downloads.DownloadCache(
        service.cache_dir or Path(folder) / "downloads", service.cache_max_bytes)
    app.state.pool = reads
    # tiles: in each process's memory, then in a folder every worker shares (with the
    # downloads when STRATA_CACHE_DIR is set: every instance then shares them too)
    app.state.tile_cache = TileTiers(TileCache(service.tile_cache_bytes), SharedTiles(
        (service.cache_dir or Path(folder)) / "tiles", service.tile_disk_cache_bytes,
        store=_store_identity(store.url, store.settings.schema_name))
        if service.tile_disk_cache_bytes else None)
    app.state.view_specs = {}  # collection -> its view's columns (services/routes/views.py)
    # reports are the one thing the service writes (Open311 POST), through a role that can
    # read and insert reports, nothing else
    app.state.writer_pool = shared_pool(
        service.reporter_database_url or role_url(store.url, REPORTER),
        store.settings.schema_name, service, 2, name="strata-reporter")
    return app


NOT_OFFERED = ["/asyncapi", "/jobs", "/jobs/{rest:path}", "/stac", "/stac/{rest:path}",
               "/TileMatrixSets", "/TileMatrixSets/{rest:path}",
               "/collections/{collection_id}/map"]


def _store_identity(url: str, schema: str) -> str:
    """Where the tiles are made from (host, port, database, schema; never the password): the
    shared tile folder keeps apart the tiles of stores that share it."""
    info = conninfo_to_dict(url)
    return "|".join(str(info.get(k, "")) for k in ("host", "port", "dbname")) + f"|{schema}"


def not_offered(request: Request) -> Response:
    """A pygeoapi path of a feature Strata does not configure."""
    raise NotFound(f"{request.url.path} is not offered by this service",
                   hint="see the paths Strata serves at /openapi")


EXPOSED_HEADERS = ["ETag", "Link", "Content-Crs", "Content-Language", "Memento-Datetime",
                   "Retry-After", "Content-Disposition", "Server-Timing", "Allow",
                   "Strata-Tile-Capped"]
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def not_allowed_routes(routes: list[Route]) -> list[Route]:
    """For each path, a route answering 405 (with ``Allow``) to the methods it does not
    take, and one answering ``OPTIONS`` with them (200, no body, as the OpenAPI document
    says; a CORS preflight is answered before, by the CORS middleware)."""
    allowed: dict[str, set[str]] = {}
    for route in routes:
        allowed.setdefault(route.path, set()).update(route.methods or ())
    out = []
    for path, methods in allowed.items():
        def refuse(request: Request, methods: set[str] = methods) -> Response:
            raise MethodNotAllowed(request.method, sorted(methods))

        def options(request: Request, methods: set[str] = methods) -> Response:
            return Response(status_code=200,
                            headers={"Allow": ", ".join(sorted(methods | {"OPTIONS"}))})
        out.append(Route(path, refuse, methods=[m for m in ALL_METHODS if m not in methods]))
        if "OPTIONS" not in methods:
            out.append(Route(path, options, methods=["OPTIONS"]))
    return out


def app_from_env() -> Starlette:
    """Factory for uvicorn (``strata serve``): settings from the environment."""
    return create_app()
