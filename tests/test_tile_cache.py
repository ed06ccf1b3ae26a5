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


def test_the_shared_folder_keeps_tiles_for_every_process(tmp_path):
    """A tile written by one process is read by another (a second object on the same folder),
    with its capped flag; an empty tile is a tile; stores sharing a folder are kept apart."""
    from services.tile_cache import SharedTiles

    one = SharedTiles(tmp_path, 1_000_000, store="db|a")
    other = SharedTiles(tmp_path, 1_000_000, store="db|a")
    elsewhere = SharedTiles(tmp_path, 1_000_000, store="db|b")
    one.put('"e1"', Tile(b"\x1a\x02ab", True))
    one.put('"e2"', Tile(b"", False))
    assert other.get('"e1"') == Tile(b"\x1a\x02ab", True)
    assert other.get('"e2"') == Tile(b"", False)
    assert other.get('"e3"') is None
    assert elsewhere.get('"e1"') is None
    # a file that is not a tile of this cache (no flag byte) is not served
    (next(tmp_path.glob("*.mvt"))).write_bytes(b"")
    assert sum(other.get(e) is None for e in ('"e1"', '"e2"')) == 1


def test_the_shared_folder_stays_within_its_budget(tmp_path):
    """Least recently used out, once more than a twentieth of the budget was added."""
    from services.tile_cache import SharedTiles

    shared = SharedTiles(tmp_path, 20_000, store="s")
    for i in range(100):
        shared.put(f'"{i}"', tile(999))
    files = list(tmp_path.glob("*.mvt"))
    assert sum(f.stat().st_size for f in files) <= 20_000 + 1_000 + 1_000
    assert shared.get('"99"') is not None and shared.get('"0"') is None
    shared.put('"big"', tile(30_000))  # above the whole budget: not kept
    assert shared.get('"big"') is None


def test_the_tiers_memory_then_the_shared_folder(tmp_path):
    from services.tile_cache import SharedTiles, TileTiers

    shared = SharedTiles(tmp_path, 1_000_000, store="s")
    first = TileTiers(TileCache(1_000_000), shared)
    second = TileTiers(TileCache(1_000_000), SharedTiles(tmp_path, 1_000_000, store="s"))
    assert first.get("a") == (None, "miss")
    first.put("a", tile(10, capped=True))
    assert first.get("a") == (tile(10, capped=True), "hit")
    assert second.get("a") == (tile(10, capped=True), "shared")
    assert second.get("a") == (tile(10, capped=True), "hit")  # now in its memory too
    alone = TileTiers(TileCache(0), None)
    alone.put("a", tile(10))
    assert alone.get("a") == (None, "miss")
