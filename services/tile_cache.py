# SPDX-License-Identifier: EUPL-1.2
"""The vector tiles a process has made, kept in memory by their ETag, least recently used
out beyond a size.

A tile's ETag names everything its bytes depend on (services/routes/tiles.py ``_etag``): the
tile, the layers, the properties, the cap, and for each layer the edition in force at the
date asked and the layer's newest edition. An edition is never changed nor backdated, so a
new edition gives new ETags and the old entries only age out: an entry is never stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from versioning.tiles import Tile

ENTRY_OVERHEAD = 200  # bytes counted per entry besides the tile's own


class TileCache:
    """An LRU of tiles by ETag, bounded by ``max_bytes`` (0: keeps nothing); thread-safe
    (tiles are made in the thread pool)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[str, Tile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """The bytes counted for the tiles held."""
        return self._bytes

    def get(self, etag: str) -> Tile | None:
        """The tile of ``etag``, if held (then the most recently used)."""
        with self._lock:
            tile = self._tiles.get(etag)
            if tile is not None:
                self._tiles.move_to_end(etag)
            return tile

    def put(self, etag: str, tile: Tile) -> None:
        """Keep ``tile``; the least recently used go while the size is above the bound. A
        tile larger than the whole bound is not kept."""
        cost = len(tile.data) + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._tiles.pop(etag, None)
            if old is not None:
                self._bytes -= len(old.data) + ENTRY_OVERHEAD
            self._tiles[etag] = tile
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _, gone = self._tiles.popitem(last=False)
                self._bytes -= len(gone.data) + ENTRY_OVERHEAD
