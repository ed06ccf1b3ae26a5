# SPDX-License-Identifier: EUPL-1.2
"""The store as the services see it: settings + catalogue + a prepared database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import psycopg

from layers.catalogue import Catalogue, load_catalogue
from layers.readers import Batch
from layers.responsibility import Responsibility, load_responsibility
from linking.regional_roads import ensure_regional_roads, refresh_regional_roads
from linking.schema import prepare as prepare_linking
from linking.views import MATERIALIZED_INPUTS, VIEW_LAYERS, VIEWS, ensure_views, refresh_views
from services.localdb import LocalCluster, cluster_root
from services.settings import StoreSettings
from versioning.database import connect, scalar
from versioning.importer import ImportResult, file_checksum, import_batch
from versioning.schema import SCHEMA_VERSION, prepare, schema_version


@dataclass
class Store:
    """Opens prepared connections to the versioned store."""

    settings: StoreSettings = field(default_factory=StoreSettings)

    @cached_property
    def catalogue(self) -> Catalogue:
        """The validated layer catalogue."""
        return load_catalogue(self.settings.catalogue)

    @cached_property
    def responsibility(self) -> Responsibility:
        """The validated geolocation roles and routing rules."""
        self.rules.check_layers(self.catalogue)
        return self.rules

    @cached_property
    def rules(self) -> Responsibility:
        """The routing configuration as read, not yet checked against the catalogue."""
        return load_responsibility(self.settings.responsibility)

    @cached_property
    def serves_city(self) -> bool:
        """Whether the catalogue holds the layers geolocation, routing and the aggregate
        views need (a catalogue of one's own may not)."""
        needed = {*VIEW_LAYERS.values(), *self.rules.roles.values(),
                  self.rules.regional_roads.layer}
        return needed <= set(self.catalogue.layers)

    @cached_property
    def local(self) -> LocalCluster:
        """The project-local cluster (used when no database URL is set)."""
        return LocalCluster(cluster_root(self.settings.project_root))

    @cached_property
    def url(self) -> str:
        """The database URL: the configured one, else the local cluster (started if needed)."""
        return self.settings.database_url or self.local.up()

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
        """A connection to a prepared store (migrations run on first use)."""
        with connect(self.url, self.settings.schema_name) as conn:
            schema = self.settings.schema_name
            views = VIEWS if self.serves_city else ()
            names = [f"{schema}.schema_migration", f"{schema}.incident"] + [
                f"{schema}.{view}" for view in views] + [
                f"{schema}.{spec.table}" for spec in self.catalogue.layers.values()]
            missing = scalar(
                conn, "SELECT count(*) FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NULL",
                (names,))
            if missing or schema_version(conn) < SCHEMA_VERSION:
                prepare(conn, self.settings.schema_name, self.catalogue)
                prepare_linking(conn, self.settings.schema_name)
                if self.serves_city:
                    ensure_views(conn, self.catalogue, self.responsibility.street_search_m)
            if self.serves_city:
                ensure_regional_roads(conn, self.catalogue, self.responsibility)
            yield conn

    def import_edition(self, conn: psycopg.Connection, batch: Batch, day: dt.date,
                       path: Path, progress: Callable[[int], None] | None = None,
                       refresh: bool = True) -> ImportResult:
        """Record ``batch`` (read from ``path``) as the edition of ``day``, then what derives
        from its layer: the regional roads, after an edition of the layer they come from.
        The one import path of ``strata import`` and ``strata load``; ``conn`` comes from
        :meth:`connect`, which prepared the schema. ``refresh=False`` leaves the materialized
        views to the caller (``strata load`` refreshes them once, at its end)."""
        result = import_batch(conn, batch, day, str(path), file_checksum(path), progress)
        if result.created and self.serves_city and \
                batch.layer.id == self.responsibility.regional_roads.layer:
            n = refresh_regional_roads(conn, self.catalogue, self.responsibility)
            result.notes += (f"regional roads (derived from {batch.layer.id}): "
                             f"{n} street names",)
        if refresh and result.created and self.serves_city and \
                batch.layer.id in MATERIALIZED_INPUTS:
            refresh_views(conn)  # the links and aggregates that read this layer
        return result
