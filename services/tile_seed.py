# SPDX-License-Identifier: EUPL-1.2
"""The tiles of the viewer's opening view, made when the service starts: the map tileset
(the basemap) and the viewer's default layers, today's map, over the basemap's extent at the
zooms a screen opens the viewer at (SEED_ZOOMS). They go into the tile cache (the process's
memory and the folder the workers share) as any tile made for a request, under the same ETag,
so that the first visitor is served them from the cache instead of waiting for PostGIS.

One process seeds (a lock file in the shared folder; each process when there is no folder),
in a background thread: requests are served meanwhile. A tile already in the cache is not
made again. ``STRATA_SEED_TILES=false`` turns it off. A later edition gives the tiles new
ETags: the opening view is seeded again at the next start.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from services.routes.tiles import tile_etag
from services.routes.viewer import BASEMAP, DEFAULT_LAYERS
from versioning import tiles as store_tiles
from versioning.tiles import TileAddress

SEED_ZOOMS = (10, 11)  # the viewer fits the region at zoom 10 on a small screen, 11 on most
LOG = logging.getLogger("strata.seed")


def tiles_over(bbox: list[float], z: int) -> list[TileAddress]:
    """Every WebMercatorQuad tile of zoom ``z`` meeting a lon / lat box.

    >>> [(t.x, t.y) for t in tiles_over([4.24, 50.76, 4.48, 50.92], 10)]
    [(524, 343)]
    """
    def col(lon: float) -> int:
        return min(int((lon + 180) / 360 * 2**z), 2**z - 1)

    def row(lat: float) -> int:
        return min(int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z),
                   2**z - 1)

    w, s, e, n = bbox
    return [TileAddress(z, x, y) for x in range(col(w), col(e) + 1)
            for y in range(row(n), row(s) + 1)]


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
    cache = state.tile_cache
    now = dt.datetime.now(dt.UTC)
    made = 0
    with state.pool.connection() as conn:
        for z in SEED_ZOOMS:
            for tile in tiles_over(bbox, z):
                shown = [s for s in basemap if s.minzoom <= z <= s.maxzoom]
                if shown:
                    es = store_tiles.editions_state(conn, shown, [now])
                    etag = tile_etag("map", shown, tile, None, cap, es)
                    if cache.get(etag)[0] is None:
                        cache.put(etag, store_tiles.map_tile(conn, shown, tile, now, cap))
                        made += 1
                for spec in layers:
                    if not spec.minzoom <= z <= spec.maxzoom:
                        continue
                    names = store_tiles.default_properties(spec)
                    es = store_tiles.editions_state(conn, [spec], [now])
                    etag = tile_etag("layer", [spec], tile, names, cap, es)
                    if cache.get(etag)[0] is None:
                        cache.put(etag, store_tiles.layer_tile(conn, spec, tile, now, names,
                                                               cap))
                        made += 1
    return made


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


def start(state: Any) -> threading.Thread:
    """Seed in a background thread (errors are logged: the service serves without seeds)."""
    def run() -> None:
        try:
            with _turn(state) as mine:
                if mine:
                    LOG.info("seeded %d tiles of the opening view", seed(state))
        except Exception:  # a seed is an optimisation: never a reason to stop serving
            LOG.exception("seeding the opening view's tiles failed")

    thread = threading.Thread(target=run, name="strata-tile-seed", daemon=True)
    thread.start()
    return thread
