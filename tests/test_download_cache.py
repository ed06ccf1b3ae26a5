# SPDX-License-Identifier: EUPL-1.2
"""The download cache: made once per key, least recently used out beyond its budget, no
temp file left by a crash; and the real service under a small budget (every date, format
and CRS of a layer), HEAD without export (but for the INSPIRE enclosures), one file whatever
the CRS spelling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from strata_helpers import serve

from geo.crs import SUPPORTED
from services.download_cache import TMP_PREFIX, DownloadCache
from versioning.export import FORMATS


def writer(size: int, calls: list[str] | None = None, byte: bytes = b"x"):
    """A ``make`` that writes ``size`` bytes (and notes each call)."""

    def make(path: Path) -> None:
        if calls is not None:
            calls.append(path.name)
        path.write_bytes(byte * size)

    return make


def made(cache: DownloadCache, key: str, size: int, suffix: str = ".bin") -> Path:
    with cache.get_or_make(key, suffix, writer(size)) as path:
        return path


def listing(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.iterdir()}


# -- the cache on its own ----------------------------------------------------------------------
def test_made_once_then_hit(tmp_path):
    cache = DownloadCache(tmp_path, 1_000)
    calls: list[str] = []
    with cache.get_or_make("a", ".bin", writer(10, calls)) as path:
        assert path == tmp_path / "a.bin" and path.read_bytes() == b"x" * 10
    with cache.get_or_make("a", ".bin", writer(20, calls, b"y")) as again:
        assert again == path and again.read_bytes() == b"x" * 10
    assert len(calls) == 1 and calls[0].startswith(f"{TMP_PREFIX}{os.getpid()}-")
    assert listing(tmp_path) == {"a.bin": 10}  # no temp file left


def test_threads_asking_for_one_key_make_it_once(tmp_path):
    cache = DownloadCache(tmp_path, 10_000_000)
    calls: list[str] = []
    start = threading.Barrier(8)

    def ask(_: int) -> bytes:
        start.wait()
        with cache.get_or_make("map", ".gpkg", writer(100_000, calls)) as path:
            return path.read_bytes()

    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(ask, range(8)))
    assert len(calls) == 1
    assert bodies == [b"x" * 100_000] * 8
    assert listing(tmp_path) == {"map.gpkg": 100_000}


def test_least_recently_used_go_first(tmp_path):
    cache = DownloadCache(tmp_path, 300)
    for key in "abc":
        made(cache, key, 100)
    assert set(listing(tmp_path)) == {"a.bin", "b.bin", "c.bin"}  # 300: within the budget
    with cache.existing("a", ".bin") as hit:  # a hit: a is now the most recently used
        assert hit == tmp_path / "a.bin"
    made(cache, "d", 100)
    assert set(listing(tmp_path)) == {"a.bin", "c.bin", "d.bin"}
    made(cache, "c", 100)  # a hit through get_or_make too
    made(cache, "e", 150)  # needs two to go: a then d (c was used after them)
    assert set(listing(tmp_path)) == {"c.bin", "e.bin"}


def test_budget_respected_and_the_file_made_kept(tmp_path):
    cache = DownloadCache(tmp_path, 1_000)
    sizes = [37 * (i % 9) + 5 for i in range(60)]
    for i, size in enumerate(sizes):
        with cache.get_or_make(f"k{i}", ".bin", writer(size)) as path:
            assert path.stat().st_size == size  # never evicted while held
            assert sum(listing(tmp_path).values()) <= 1_000
    assert sum(listing(tmp_path).values()) <= 1_000
    assert f"k{len(sizes) - 1}.bin" in listing(tmp_path)


def test_held_files_are_not_evicted_until_released(tmp_path):
    cache = DownloadCache(tmp_path, 250)
    with cache.get_or_make("a", ".bin", writer(100)), \
            cache.get_or_make("b", ".bin", writer(100)):
        with cache.get_or_make("c", ".bin", writer(100)):
            # over budget, but all three are being served
            assert set(listing(tmp_path)) == {"a.bin", "b.bin", "c.bin"}
        # c is done, a and b are still being served: c is the one that can go
        assert set(listing(tmp_path)) == {"a.bin", "b.bin"}
    made(cache, "d", 100)  # a and b done: the least recently used (a) goes
    assert set(listing(tmp_path)) == {"b.bin", "d.bin"}


def test_a_file_bigger_than_the_budget_is_served_once_then_removed(tmp_path):
    cache = DownloadCache(tmp_path, 100)
    made(cache, "small", 60)
    with cache.get_or_make("huge", ".bin", writer(500)) as path:
        assert path.read_bytes() == b"x" * 500
        # not evicting the cache for it
        assert listing(tmp_path) == {"small.bin": 60, "huge.bin": 500}
    assert listing(tmp_path) == {"small.bin": 60}


def test_a_failed_make_leaves_nothing(tmp_path):
    cache = DownloadCache(tmp_path, 1_000)

    def fail(path: Path) -> None:
        path.write_bytes(b"half a file")
        raise RuntimeError("the export failed")

    with pytest.raises(RuntimeError, match="export failed"), \
            cache.get_or_make("a", ".bin", fail):
        pass
    assert listing(tmp_path) == {}
    with cache.get_or_make("a", ".bin", writer(5)) as path:  # asked again: made
        assert path.read_bytes() == b"xxxxx"


def test_existing_never_makes(tmp_path):
    cache = DownloadCache(tmp_path, 1_000)
    with cache.existing("a", ".gpkg") as path:
        assert path is None
    assert listing(tmp_path) == {}


@pytest.mark.parametrize("key,suffix", [("../a", ".bin"), ("", ".bin"), (".tmp-1-x", ""),
                                        ("a/b", ".bin"), ("a", "/x")])
def test_keys_that_are_not_file_names_are_refused(tmp_path, key, suffix):
    cache = DownloadCache(tmp_path, 1_000)
    with pytest.raises(ValueError, match="not a cache file name"), \
            cache.get_or_make(key, suffix, writer(1)):
        pass
    assert listing(tmp_path) == {}


CRASH = """
import os, sys
from pathlib import Path
from services.download_cache import DownloadCache

def make(path):
    path.write_bytes(b"half a file")
    print(path.name, flush=True)
    if sys.argv[2] == "crash":
        os._exit(9)  # dies mid-export: no finally, no cleanup
    sys.stdin.readline()  # mid-export until told to go on
    path.write_bytes(b"a whole file")

with DownloadCache(Path(sys.argv[1]), 1_000).get_or_make("map", ".gpkg", make):
    pass
"""


def maker(folder: Path, how: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CRASH, str(folder), how], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            cwd=Path(__file__).parent.parent)


def test_a_crash_leaves_a_temp_file_removed_at_the_next_start(tmp_path):
    crashed = maker(tmp_path, "crash")
    left = crashed.stdout.readline().strip() if crashed.stdout else ""
    assert crashed.wait() == 9
    assert left.startswith(TMP_PREFIX) and (tmp_path / left).exists()
    (tmp_path / "old.gpkg").write_bytes(b"o" * 700)
    (tmp_path / "older.gpkg").write_bytes(b"o" * 700)
    os.utime(tmp_path / "older.gpkg", (1_000_000, 1_000_000))
    # another process, at work: its temp file stays
    working = maker(tmp_path, "wait")
    busy = working.stdout.readline().strip() if working.stdout else ""
    try:
        DownloadCache(tmp_path, 1_000)
        # the crash's temp file is gone, the folder back within its budget (older out)
        assert listing(tmp_path) == {busy: len(b"half a file"), "old.gpkg": 700}
    finally:
        out, _ = working.communicate("go on\n", timeout=60)
    assert working.returncode == 0
    assert (tmp_path / "map.gpkg").read_bytes() == b"a whole file"
    assert not any(name.startswith(TMP_PREFIX) for name in listing(tmp_path))


# -- the real service, with a small budget -----------------------------------------------------
BUDGET = 4_000_000
LAYER = "municipalities"


@pytest.fixture(scope="module")
def small(loaded, tmp_path_factory):
    """`strata serve` over the loaded store, its own project folder (so its own download
    cache) and a download cache budget of a few MB; (base URL, cache folder)."""
    root = tmp_path_factory.mktemp("small-cache")
    environ = {**loaded.environ, "STRATA_CACHE_MAX_BYTES": str(BUDGET),
               "STRATA_PROJECT_ROOT": str(root)}
    with serve(environ) as base:
        yield base, root / ".strata" / "pygeoapi" / loaded.schema / "downloads"


def folder_bytes(folder: Path) -> int:
    return sum(listing(folder).values())


def test_every_date_format_and_crs_stays_within_the_budget(small, loaded):
    base, folder = small
    dates = [e.date.isoformat() for e in loaded.store.catalogue.layer(LAYER).editions]
    assert len(dates) >= 2
    served = 0
    biggest = 0
    with httpx.Client(base_url=base, timeout=120) as client:
        for date in dates:
            for f in FORMATS:
                for crs in SUPPORTED.values():
                    r = client.get(f"/collections/{LAYER}/download",
                                   params={"date": date, "f": f, "crs": crs.uri})
                    assert r.status_code == 200, (date, f, crs.uri, r.text[:300])
                    assert int(r.headers["content-length"]) == len(r.content) > 0
                    served += len(r.content)
                    biggest = max(biggest, len(r.content))
                    assert folder_bytes(folder) <= BUDGET, (date, f, crs.uri)
    combinations = len(dates) * len(FORMATS) * len(SUPPORTED)
    # the test means something: far more was served than the budget holds, and the budget
    # holds any two files (so a file held while the next is made never tips it over)
    assert served > 3 * BUDGET and 2 * biggest <= BUDGET
    files = listing(folder)
    assert 0 < len(files) < combinations
    assert not any(name.startswith(TMP_PREFIX) for name in files)


def test_head_answers_without_making_the_file(small):
    base, folder = small
    path = "/collections/districts/download"
    params = {"date": "2017-01-01", "f": "fgb", "crs": "EPSG:3035"}
    before = set(listing(folder))
    head = httpx.head(f"{base}{path}", params=params, timeout=60)
    assert head.status_code == 200
    assert set(listing(folder)) == before  # no export, no file
    assert "content-length" not in head.headers and "transfer-encoding" not in head.headers
    assert head.headers["content-type"] == "application/flatgeobuf"
    assert head.headers["content-disposition"] == \
        'attachment; filename="districts_2017-01-01.fgb"'
    assert head.headers["cache-control"].endswith("immutable")  # the newest edition's date
    get = httpx.get(f"{base}{path}", params=params, timeout=60)
    assert get.status_code == 200 and len(set(listing(folder)) - before) == 1
    cached = httpx.head(f"{base}{path}", params=params, timeout=60)
    assert cached.status_code == 200 and cached.content == b""
    assert int(cached.headers["content-length"]) == len(get.content)
    for name in ("content-type", "content-disposition", "cache-control", "etag",
                 "last-modified"):
        assert cached.headers[name] == get.headers[name], name
    for name in ("content-type", "content-disposition", "cache-control"):
        assert head.headers[name] == get.headers[name], name


def test_head_of_an_inspire_enclosure_tells_its_length(small):
    """The one exception: the bulk downloads the INSPIRE links advertise (the current
    editions, GeoPackage, Lambert 72) are made by a HEAD, which then gives their length:
    pygeoapi asks it so for the link's length, and drops a link without one."""
    base, folder = small

    def made() -> set[str]:
        return {n for n in listing(folder)
                if n.startswith("region-") and "-EPSG-31370-gpkg" in n and n.endswith(".gpkg")}

    assert made() == set()
    links = httpx.get(f"{base}/collections/region", timeout=120).json()["links"]
    enclosure = next(lk for lk in links if lk["rel"] == "enclosure")
    assert enclosure["href"] == f"{base}/collections/region/download?f=gpkg"
    assert len(made()) == 1
    head = httpx.head(enclosure["href"], timeout=120)
    get = httpx.get(enclosure["href"], timeout=120)
    assert head.status_code == get.status_code == 200
    assert enclosure["length"] == int(head.headers["content-length"]) == len(get.content)
    assert len(made()) == 1
    # a date with the same editions: the same file, cached
    dated = httpx.head(enclosure["href"], params={"f": "gpkg", "date": "2019-01-01"},
                       timeout=60)
    assert int(dated.headers["content-length"]) == len(get.content)
    # not the enclosure (another CRS), not made yet: no length, no file
    other = httpx.head(enclosure["href"], params={"f": "gpkg", "crs": "EPSG:3812"},
                       timeout=60)
    assert other.status_code == 200 and "content-length" not in other.headers
    assert not any(n.startswith("region-") and "-EPSG-3812-" in n for n in listing(folder))


def test_head_of_changes_answers_without_making_the_file(small):
    base, folder = small
    before = set(listing(folder))
    params = {"from": "2015-01-01", "to": "2021-03-01", "f": "jsonl", "crs": "EPSG:3812"}
    head = httpx.head(f"{base}/collections/{LAYER}/changes", params=params, timeout=60)
    assert head.status_code == 200 and "content-length" not in head.headers
    assert head.headers["content-type"] == "application/jsonl"
    assert set(listing(folder)) == before


@pytest.mark.parametrize("path,params", [
    (f"/collections/{LAYER}/download", {"date": "2021-02-30"}),
    (f"/collections/{LAYER}/download", {"f": "kml"}),
    (f"/collections/{LAYER}/download", {"crs": "EPSG:1"}),
    ("/download", {"date": "someday"}),
    (f"/collections/{LAYER}/changes", {"from": "someday"}),
    (f"/collections/{LAYER}/changes", {"from": "2021-01-01", "to": "2015-01-01"}),
])
def test_head_validates_like_get(small, path, params):
    base, folder = small
    before = set(listing(folder))
    head = httpx.head(f"{base}{path}", params=params, timeout=60)
    get = httpx.get(f"{base}{path}", params=params, timeout=60)
    assert head.status_code == get.status_code == 400
    assert set(listing(folder)) == before


def test_one_file_whatever_the_crs_spelling(small):
    base, folder = small
    path = "/collections/region/download"
    before = set(listing(folder))
    bodies = {httpx.get(f"{base}{path}", params={"date": "2018-01-01", "f": "geojson",
                                                 "crs": spelling}, timeout=60).content
              for spelling in ("EPSG:31370", "http://www.opengis.net/def/crs/EPSG/0/31370",
                               "urn:ogc:def:crs:EPSG::31370", "31370", "epsg:31370")}
    assert len(bodies) == 1
    assert len(set(listing(folder)) - before) == 1
    # CRS84 (longitude first) and EPSG:4326 (latitude first) are two CRSs: two files
    before = set(listing(folder))
    for spelling in ("CRS84", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4326",
                     "http://www.opengis.net/def/crs/EPSG/0/4326"):
        assert httpx.get(f"{base}{path}", params={"date": "2018-01-01", "f": "geojson",
                                                  "crs": spelling}, timeout=60
                         ).status_code == 200
    assert len(set(listing(folder)) - before) == 2


def test_changes_files_say_the_dates_asked(small):
    """A strata.diff/v1 file writes from and to in its header: two windows of the same
    editions are two files, each with its own dates (a GeoPackage of changes has no dates:
    one file for both)."""
    base, _ = small
    path = f"{base}/collections/{LAYER}/changes"
    for f in ("jsonl", "json"):
        for t1, t2 in (("2016-01-01", "2021-03-01"), ("2016-02-02", "2022-03-03")):
            r = httpx.get(path, params={"from": t1, "to": t2, "f": f}, timeout=60)
            assert r.status_code == 200, r.text
            header = json.loads(r.text.splitlines()[0] if f == "jsonl" else r.text)
            header = header["strata.diff/v1"]
            assert (header["from"][:10], header["to"][:10]) == (t1, t2), header
            assert len(header["changes"] if f == "json" else r.text.splitlines()[1:]) == 19


def test_changes_files_in_epsg_4326_are_latitude_first(small):
    """A strata.diff/v1 file says its CRS in its header; EPSG:4326 is latitude first (CRS84
    longitude first), as the items of that CRS are."""
    base, _ = small
    path = f"{base}/collections/{LAYER}/changes"
    firsts = {}
    for crs in ("http://www.opengis.net/def/crs/EPSG/0/4326", "CRS84"):
        r = httpx.get(path, params={"from": "2016-01-01", "to": "2021-03-01", "f": "json",
                                    "crs": crs}, timeout=60)
        assert r.status_code == 200, r.text
        change = r.json()["strata.diff/v1"]["changes"][0]
        ring = change["new"]["geometry"]["coordinates"][0][0]
        firsts[crs] = ring[0]
    lat_first, lon_first = firsts.values()
    assert 50 < lat_first[0] < 51 and 4 < lat_first[1] < 5, lat_first
    assert lon_first == [lat_first[1], lat_first[0]]


def test_a_download_is_tagged_by_what_it_holds_and_a_304_makes_nothing(small):
    """The ETag of a download names its content (editions, format, CRS), not the file's date:
    the same made again or by another instance; with it, If-None-Match is a 304 and no file
    is made."""
    base, folder = small
    path = f"{base}/collections/region/download"
    params = {"date": "2018-03-01", "f": "geojson", "crs": "EPSG:3812"}
    before = set(listing(folder))
    head = httpx.head(path, params=params, timeout=60)  # not made yet: the tag already
    first = httpx.get(path, params=params, timeout=60)
    assert first.status_code == 200 and head.headers["etag"] == first.headers["etag"]
    made = set(listing(folder)) - before
    assert len(made) == 1
    (folder / made.pop()).unlink()  # made again: the same tag
    again = httpx.get(path, params=params, timeout=60)
    assert again.headers["etag"] == first.headers["etag"] and again.content == first.content
    held = set(listing(folder))
    (folder / next(iter(set(listing(folder)) - before))).unlink()
    not_modified = httpx.get(path, params=params, timeout=60,
                             headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not not_modified.content
    assert set(listing(folder)) == held - (held - before)  # nothing made for the 304


def test_a_geojson_download_is_longitude_latitude_unless_asked(small):
    """RFC 7946: GeoJSON is CRS84 unless the request names another CRS."""
    base, _ = small
    path = f"{base}/collections/region/download"
    plain = httpx.get(path, params={"date": "2018-03-01", "f": "geojson"}, timeout=60).json()
    x, y = plain["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 4 < x < 5 and 50 < y < 51
    lambert = httpx.get(path, params={"date": "2018-03-01", "f": "geojson",
                                      "crs": "EPSG:31370"}, timeout=60).json()
    x, y = lambert["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 100_000 < x < 200_000 and 100_000 < y < 200_000
