# SPDX-License-Identifier: EUPL-1.2
"""The process's tile cache: least recently used out beyond its size, nothing kept at 0,
a tile larger than the bound never kept."""

from __future__ import annotations

from services.tile_cache import ENTRY_OVERHEAD, TileCache
from versioning.tiles import Tile


def tile(n: int, capped: bool = False) -> Tile:
    return Tile(bytes(n), capped)


def test_least_recently_used_out_beyond_the_bound():
    cache = TileCache(3 * (100 + ENTRY_OVERHEAD))
    for name in ("a", "b", "c"):
        cache.put(name, tile(100))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("d", tile(100, capped=True))
    assert cache.get("b") is None and cache.get("a") is not None
    assert cache.get("d") == Tile(bytes(100), True)
    assert cache.size == 3 * (100 + ENTRY_OVERHEAD)
    cache.put("a", tile(50))  # the same key again replaces, and counts once
    assert cache.size == 2 * (100 + ENTRY_OVERHEAD) + 50 + ENTRY_OVERHEAD
    assert len(cache.get("a").data) == 50


def test_nothing_kept_at_zero_nor_a_tile_above_the_bound():
    none = TileCache(0)
    none.put("a", tile(1))
    assert none.get("a") is None and none.size == 0
    small = TileCache(1_000)
    small.put("big", tile(2_000))
    assert small.get("big") is None and small.size == 0
