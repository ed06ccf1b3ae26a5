# SPDX-License-Identifier: EUPL-1.2
"""The vector tiles made, kept by their ETag: in the process's memory (least recently used out
beyond a size), then in a folder that every worker (and, under ``STRATA_CACHE_DIR``, every
instance) shares.

A tile's ETag names everything its bytes depend on (services/routes/tiles.py ``_etag``): the
tile, the layers, the properties, the cap, and for each layer the edition in force at the
date asked and the layer's newest edition. An edition is never changed nor backdated, so a
new edition gives new ETags and the old entries only age out: an entry is never stale.

In the folder a tile is one file named by a digest of the store it was made from (database
and schema) and its ETag, written by services/download_cache.py (a temp file published by a
hard link: a reader never sees half a tile; least recently used out beyond its budget). Its
first byte says whether the feature cap was reached (``C``) or not (``-``), then the tile.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from services.download_cache import DownloadCache
from versioning.tiles import Tile

ENTRY_OVERHEAD = 200  # bytes counted per entry besides the tile's own
SUFFIX = ".mvt"
CAPPED, WHOLE = b"C", b"-"


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


class SharedTiles:
    """The tiles in a folder the workers share, within ``max_bytes`` (trimmed once a
    twentieth of it was added by this process)."""

    def __init__(self, folder: Path, max_bytes: int, store: str) -> None:
        self.files = DownloadCache(folder, max_bytes, slack=max(max_bytes // 20, 1))
        self._store = store

    def get(self, etag: str) -> Tile | None:
        """The tile of ``etag``, if a worker made it (and it was not evicted meanwhile)."""
        with self.files.existing(self._key(etag), SUFFIX) as path:
            if path is None:
                return None
            try:
                raw = path.read_bytes()
            except FileNotFoundError:  # evicted by another worker between the two
                return None
        return Tile(raw[1:], raw[:1] == CAPPED) if raw[:1] in (CAPPED, WHOLE) else None

    def put(self, etag: str, tile: Tile) -> None:
        """Keep ``tile`` for every worker (a tile larger than the whole budget is not kept)."""
        if len(tile.data) + 1 > self.files.max_bytes:
            return

        def write(path: Path) -> None:
            path.write_bytes((CAPPED if tile.capped else WHOLE) + tile.data)

        with self.files.get_or_make(self._key(etag), SUFFIX, write):
            pass

    def _key(self, etag: str) -> str:
        return hashlib.sha1(f"{self._store}|{etag}".encode()).hexdigest()


class TileTiers:
    """The process's memory first, then the shared folder (if any); ``get`` says where the
    tile was found: ``hit`` (memory), ``shared`` (the folder) or ``miss``."""

    def __init__(self, memory: TileCache, shared: SharedTiles | None) -> None:
        self.memory = memory
        self.shared = shared

    def get(self, etag: str) -> tuple[Tile | None, str]:
        tile = self.memory.get(etag)
        if tile is not None:
            return tile, "hit"
        if self.shared is not None:
            tile = self.shared.get(etag)
            if tile is not None:
                self.memory.put(etag, tile)
                return tile, "shared"
        return None, "miss"

    def put(self, etag: str, tile: Tile) -> None:
        self.memory.put(etag, tile)
        if self.shared is not None:
            self.shared.put(etag, tile)

    def get_or_make(self, etag: str, make: Callable[[], Tile]) -> tuple[Tile, str]:
        """The tile of ``etag`` and where it was found (``get``), made and kept on a miss."""
        tile, found = self.get(etag)
        if tile is None:
            tile = make()
            self.put(etag, tile)
        return tile, found
