# SPDX-License-Identifier: EUPL-1.2
"""The ASGI app: Strata's own routes first, pygeoapi mounted behind them.

``create_app(store, service)`` does everything at call time (never at import time):
generates the pygeoapi configuration from the catalogue, opens a read-only pool.
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from geo.errors import StrataError
from services import pygeoapi_config
from services.http_errors import handle
from services.language import AcceptLanguageMiddleware
from services.provider import reader_url, shared_pool
from services.records import build_records, write_records
from services.routes import downloads, features, geolocate, inspire, open311
from services.routes import records as records_routes
from services.settings import ServiceSettings, StoreSettings
from services.store import Store
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
        {k: v[1].isoformat() if v[1] else None for k, v in ext.items()}, records,
        views=store.serves_city)
    cfg_path, oas_path = pygeoapi_config.write(config, folder)
    os.environ["PYGEOAPI_CONFIG"] = str(cfg_path)
    os.environ["PYGEOAPI_OPENAPI"] = str(oas_path)
    # the store's settings reach pygeoapi's provider through the environment
    os.environ["STRATA_SCHEMA_NAME"] = store.settings.schema_name
    os.environ["STRATA_DATABASE_URL"] = store.url
    os.environ["STRATA_CATALOGUE"] = str(store.settings.catalogue)
    pygeoapi_app = importlib.import_module("pygeoapi.starlette_app").APP

    routes = [
        Route("/collections", inspire.collections),
        Route("/conformance", inspire.conformance),
        Route("/download", downloads.download_all, methods=["GET", "HEAD"]),
        Route("/metadata", inspire.map_metadata),
        Route("/geolocate", geolocate.geolocate),
        Route("/open311/v2/services.{format}", open311.services),
        Route("/open311/v2/services/{code}.{format}", open311.service_definition),
        Route("/open311/v2/requests.{format}", open311.get_requests, methods=["GET"]),
        Route("/open311/v2/requests.{format}", open311.post_request, methods=["POST"]),
        Route("/open311/v2/requests/{rid}.{format}", open311.get_request),
        Route("/collections/catalogue/items", records_routes.records),
        Route("/collections/catalogue/items/{item_id}", records_routes.record),
        Route("/collections/{collection_id}/items", features.items),
        Route("/collections/{collection_id}/items/{item_id}/versions", features.versions),
        Route("/collections/{collection_id}/items/{item_id}", features.item),
        Route("/collections/{collection_id}/changes", downloads.changes,
              methods=["GET", "HEAD"]),
        Route("/collections/{collection_id}/download", downloads.download,
              methods=["GET", "HEAD"]),
        Route("/collections/{collection_id}/metadata", inspire.collection_metadata),
        Mount("/", app=pygeoapi_app),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(AcceptLanguageMiddleware)],
                    exception_handlers={StrataError: handle, Exception: handle})
    app.state.catalogue = store.catalogue
    app.state.responsibility = store.responsibility if store.serves_city else None
    # geolocations at work at once: one per core; the others wait their turn before the
    # clock starts, instead of slowing every answer by sharing two cores among sixteen
    app.state.locate_slots = threading.BoundedSemaphore(os.cpu_count() or 2)
    app.state.service = service
    app.state.extents = ext
    app.state.records_path = records
    app.state.download_cache = downloads.DownloadCache(Path(folder) / "downloads",
                                                       service.cache_max_bytes)
    app.state.pool = shared_pool(reader_url(store.settings, service, store.url),
                                 store.settings.schema_name, service.pool_size)
    # reports are the one thing the service writes (Open311 POST), with the store's role
    app.state.writer_pool = shared_pool(store.url, store.settings.schema_name, 2)
    return app


def app_from_env() -> Starlette:
    """Factory for uvicorn (``strata serve``): settings from the environment."""
    return create_app()
