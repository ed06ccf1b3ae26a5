# SPDX-License-Identifier: EUPL-1.2
"""The tiles of the viewer's opening view, made when the service starts: the map tileset
(the basemap) and the viewer's default layers, today's map, over the basemap's extent at the
zooms a screen opens the viewer at (SEED_ZOOMS). They go into the tile cache (the process's
memory and the folder the workers share) as any tile made for a request, under the same ETag,
so that the first visitor is served them from the cache instead of waiting for PostGIS.

One process seeds (a lock file in the shared folder; each process when there is no folder),
in a background thread: requests are served meanwhile. A tile already in the cache is not
made again. A new edition gives the view's tiles new ETags: the thread looks again every
``STRATA_SEED_INTERVAL_S`` seconds (60) and makes what is missing then, so that the first
visitor after an import is served from the cache too (a look that finds every tile costs a
few queries of the editions, and a cache lookup per tile). ``STRATA_SEED_TILES=false``
turns it off.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import psycopg

from layers.catalogue import LayerSpec
from services.routes.tiles import tile_etag
from services.routes.viewer import BASEMAP, DEFAULT_LAYERS
from versioning import tiles as store_tiles
from versioning.tiles import Tile, TileAddress

SEED_ZOOMS = (10, 11)  # the viewer fits the region at zoom 10 on a small screen, 11 on most
LOG = logging.getLogger("strata.seed")


def seed(state: Any) -> int:
    """Make the opening view's tiles missing from ``state.tile_cache`` (an app's state);
    how many were made."""
    specs = state.catalogue.layers
    basemap = [specs[b] for b in BASEMAP if b in specs]
    layers = [specs[c] for c in DEFAULT_LAYERS.split(",") if c in specs]
    boxes = [b for s in basemap or layers if (b := state.extents.get(s.id, (None,))[0])]
    if not boxes:
        return 0
    bbox = [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]
    cap = state.service.tile_max_features
    now = dt.datetime.now(dt.UTC)
    made = 0
    with state.pool.connection() as conn:
        for z in SEED_ZOOMS:
            shown = store_tiles.in_zoom(basemap, z)
            # (kind, layers, properties) of each tileset; its editions asked once per zoom
            tilesets: list[tuple[str, list[LayerSpec], list[str] | None]]
            tilesets = [("map", shown, None)] if shown else []
            tilesets += [("layer", [spec], store_tiles.default_properties(spec))
                         for spec in store_tiles.in_zoom(layers, z)]
            for kind, tiled, names in tilesets:
                editions = store_tiles.editions_state(conn, tiled, [now])
                for tile in store_tiles.tiles_over(bbox, z):
                    _, found = state.tile_cache.get_or_make(
                        tile_etag(kind, tiled, tile, names, cap, editions),
                        partial(_make, conn, kind, tiled, tile, names, now, cap))
                    made += found == "miss"
    return made


def _make(conn: psycopg.Connection, kind: str, tiled: list[LayerSpec], tile: TileAddress,
          names: list[str] | None, now: dt.datetime, cap: int) -> Tile:
    """One tile of the map tileset (``kind`` map) or of a layer, as the routes make it."""
    if kind == "map":
        return store_tiles.map_tile(conn, tiled, tile, now, cap)
    return store_tiles.layer_tile(conn, tiled[0], tile, now, names, cap)


@contextmanager
def _turn(state: Any) -> Iterator[bool]:
    """Whether this process seeds: it holds the shared folder's seed lock (always, without
    a shared folder)."""
    shared = state.tile_cache.shared
    if shared is None:
        yield True
        return
    with open(shared.files.folder / ".seed.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def start(state: Any, stop: threading.Event) -> threading.Thread:
    """Seed in a background thread, then again every ``seed_interval_s`` until ``stop`` is
    set (errors are logged: the service serves without seeds)."""
    def run() -> None:
        failing = False  # (a database down for an hour is logged once, not every pass)
        while not stop.is_set():
            try:
                with _turn(state) as mine:
                    made = seed(state) if mine else 0
                if made:
                    LOG.info("seeded %d tiles of the opening view", made)
                failing = False
            except Exception:  # a seed is an optimisation: never a reason to stop serving
                if not failing:
                    LOG.exception("seeding the opening view's tiles failed (tried again "
                                  "every %s s)", state.service.seed_interval_s)
                failing = True
            stop.wait(state.service.seed_interval_s)

    thread = threading.Thread(target=run, name="strata-tile-seed", daemon=True)
    thread.start()
    return thread
