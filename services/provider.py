# SPDX-License-Identifier: EUPL-1.2
"""pygeoapi feature provider over the versioned store (thin: the work is in ``versioning``).

pygeoapi uses it for what Strata does not serve itself: HTML pages, queryables, schemas.
The provider's ``data`` is the layer id; the database comes from the STRATA_* environment.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from psycopg_pool import ConnectionPool
from pygeoapi.provider.base import BaseProvider

from geo.crs import parse_crs
from geo.errors import NotFound
from layers.catalogue import Catalogue, LayerSpec
from linking.roles import READER, role_url
from services.pools import shared_pool
from services.settings import ServiceSettings, StoreSettings
from versioning.pages import CRS84, PageQuery, page, timeline

JSON_TYPES = {"text": "string", "integer": "integer", "double": "number",
              "boolean": "boolean", "date": "string", "timestamp": "string", "json": "object"}


def reader_url(store: StoreSettings, service: ServiceSettings, url: str) -> str:
    """The read-only URL: configured, or the store's URL as role ``strata_reader``."""
    return service.reader_database_url or role_url(url, READER)


# The apps of this process, by the key their pygeoapi configuration gives every plugin
# (pygeoapi builds its plugins for every request, from that configuration alone): a plugin
# reaches the settings, the store and the pool of the app that wrote its configuration.
_APPS: dict[str, tuple[Any, ServiceSettings]] = {}


# the app's read connections (services/replicas.py: the primary's pool, or standbys')
_READS: dict[str, Any] = {}


def register_app(store: Any, service: ServiceSettings) -> str:
    """Make ``store`` and ``service`` reachable by the plugins; the key to put in their
    configuration."""
    key = f"{store.settings.schema_name}:{len(_APPS)}"
    _APPS[key] = (store, service)
    return key


def register_reads(key: str, reads: Any) -> None:
    """The read connections (``.connection()``) the plugins of app ``key`` use."""
    _READS[key] = reads


@cache
def _from_environment() -> tuple[Any, ServiceSettings]:
    """For a plugin built outside an app of this process (pygeoapi's own tools): the
    settings the environment gives."""
    from services.store import Store

    return Store(StoreSettings()), ServiceSettings()


def app_of(plugin_def: dict[str, Any] | None = None) -> tuple[Any, ServiceSettings]:
    """The store and the service settings of the plugin's app."""
    key = (plugin_def or {}).get("context")
    return _APPS[key] if key in _APPS else _from_environment()


def _context(plugin_def: dict[str, Any] | None = None) -> tuple[Catalogue, ConnectionPool]:
    """The catalogue and the read connections of the plugin's app (those the app made)."""
    store, service = app_of(plugin_def)
    reads = _READS.get(str((plugin_def or {}).get("context")))
    if reads is not None:
        return store.catalogue, reads
    url = reader_url(store.settings, service, store.url)
    return store.catalogue, shared_pool(url, store.settings.schema_name, service)


class VersionedProvider(BaseProvider):
    """A layer of the versioned store, as pygeoapi sees it."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        catalogue, self.pool = _context(provider_def)
        self.spec: LayerSpec = catalogue.layer(self.data)
        self.id_field = self.spec.key.name
        self.get_fields()

    def get_fields(self) -> dict[str, dict[str, str]]:
        """The layer's attributes as JSON Schema types."""
        self._fields = {self.spec.key.name: {"type": JSON_TYPES[self.spec.key.type]}}
        self._fields.update({n: {"type": JSON_TYPES[k]} for n, k in self.spec.attributes.items()})
        return self._fields

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              bbox: list | None = None, datetime_: str | None = None,
              properties: list | None = None, sortby: list | None = None,
              select_properties: list | None = None, skip_geometry: bool = False,
              crs_transform_spec: Any = None, **kwargs: Any) -> dict[str, Any]:
        """A page of features (the map now, or at ``datetime_``)."""
        from services.ogc_params import datetime_param

        # a Strata error is not turned into pygeoapi's: the app's handler answers it in the
        # one shape, with the status of its class and its hint
        at, interval = datetime_param(datetime_)
        crs = (parse_crs(crs_transform_spec.target_crs_uri) if crs_transform_spec
               else CRS84)
        q = PageQuery(at=at, interval=interval, crs=crs, limit=limit, offset=offset,
                      bbox=tuple(bbox) if bbox else None,  # type: ignore[arg-type]
                      properties=select_properties or None,
                      sortby=[(s["property"] if s["property"] != self.spec.key.name
                               else "fid", s["order"] == "-") for s in sortby or []])
        with self.pool.connection() as conn:
            result = page(conn, self.spec, q)
        features = json.loads(f"[{result.features}]")
        if skip_geometry:
            for f in features:
                f["geometry"] = None
        return {"type": "FeatureCollection", "features": features,
                "numberReturned": result.returned}

    def get(self, identifier: str, **kwargs: Any) -> dict[str, Any]:
        """One feature as it is now."""
        from services.ogc_params import key_value

        key = key_value(self.spec, str(identifier))
        with self.pool.connection() as conn:
            versions = [] if key is None else timeline(conn, self.spec, key, None, CRS84)
        feature = next((v[0] for v in versions if v[0] is not None), None)
        if feature is None:
            raise NotFound(f"{self.spec.id} has no feature {identifier!r} now",
                           hint=f"list the features at /collections/{self.spec.id}/items")
        return json.loads(feature)  # type: ignore[no-any-return]
