# SPDX-License-Identifier: EUPL-1.2
"""The download cache: a folder of made files kept within a budget of bytes.

A file is made once per key, atomically: written as a temp file in the folder (named
``.tmp-<pid>-…``), then published under its name by a hard link, which fails when another
process published it first (then the first one is served: both are the same map). Every
hit sets the file's access time, so the access times order the files by last use; after a
file is added the least recently used files go until the folder is within its budget.

A file is *held* from the moment it is asked for until the caller is done with it (for a
download: until the response is sent): a held file is never evicted by this process. A file
bigger than the whole budget is made, served while held, and removed once nobody holds it;
other files are not evicted for it.
With a ``slack``, the folder is trimmed only once this process has made more than ``slack``
bytes since its last trim (the folder may then exceed its budget by that much per process):
many small files (the tiles) are not each followed by a walk of the whole folder.

At construction the cache removes the temp files a crash left (those of processes that no
longer run) and brings the folder within its budget.

Concurrency: in one process, the requests for one key take turns (the first makes the file,
the others find it). Across processes (``strata serve`` with several workers), the
publication by hard link makes two builds of one key safe; holds are per process, so a
worker may evict a file another worker is about to open (that download then fails: the
client asks again and the file is made anew).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

TMP_PREFIX = ".tmp-"


class DownloadCache:
    """Files made once per key in ``folder``, least recently used out beyond ``max_bytes``."""

    def __init__(self, folder: Path, max_bytes: int, slack: int = 0) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be greater than 0, not {max_bytes}")
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.slack = slack
        self._added = 0  # bytes made here since the last trim
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # guards the fields below; one trim at a time
        self._holds: Counter[str] = Counter()  # file name -> requests holding it
        self._turns: dict[str, threading.Lock] = {}  # file name -> its makers' turn
        self._clock = 0  # the last access time given (ns): strictly increasing
        self._trim_on_release = False  # held files kept the folder over budget
        self._remove_orphans()
        self.trim()

    # -- the two ways in ---------------------------------------------------------------------
    @contextmanager
    def get_or_make(self, key: str, suffix: str, make: Callable[[Path], object]
                    ) -> Iterator[Path]:
        """The file for ``key``, made by ``make(path)`` the first time; held (never evicted
        by this process) until the ``with`` block ends."""
        name = self._name(key, suffix)
        turn = self._hold(name)
        try:
            with turn:
                made = self._make(name, suffix, make)
            if made and self._trim_due(name):
                self.trim()
            yield self.folder / name
        finally:
            self._release(name)

    @contextmanager
    def existing(self, key: str, suffix: str) -> Iterator[Path | None]:
        """The file for ``key`` if it is made (a hit: its access time is set), else None;
        never makes it. Held until the ``with`` block ends."""
        name = self._name(key, suffix)
        self._hold(name)
        try:
            path = self.folder / name
            yield path if self._touch(path) else None
        finally:
            self._release(name)

    def trim(self) -> None:
        """Remove unheld files, least recently used first, until the folder is within its
        budget; a file bigger than the whole budget goes first (once nobody holds it)."""
        with self._lock:
            self._added = 0
            files = []
            for entry in os.scandir(self.folder):
                if entry.name.startswith(TMP_PREFIX):
                    continue  # a file being made (or a crash's, removed at construction)
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # evicted meanwhile by another process
                files.append((st.st_atime_ns, entry.name, st.st_size))
            files.sort()
            oversize_held = False
            kept = []
            for atime, name, size in files:
                if size <= self.max_bytes:
                    kept.append((atime, name, size))
                elif name in self._holds:
                    oversize_held = True  # served, then removed when released
                else:
                    self._remove(name)
            total = sum(size for _, _, size in kept)
            for _, name, size in kept:
                if total <= self.max_bytes:
                    break
                if name not in self._holds:
                    self._remove(name)
                    total -= size
            self._trim_on_release = oversize_held or total > self.max_bytes

    # -- inside ------------------------------------------------------------------------------
    @staticmethod
    def _name(key: str, suffix: str) -> str:
        name = f"{key}{suffix}"
        if not key or name.startswith(".") or os.sep in name or "\0" in name or (
                os.altsep and os.altsep in name):
            raise ValueError(f"{name!r} is not a cache file name")
        return name

    def _trim_due(self, name: str) -> bool:
        """Whether a trim is due now that ``name`` was made here (always without a slack)."""
        if not self.slack:
            return True
        try:
            size = os.stat(self.folder / name).st_size
        except FileNotFoundError:
            return False
        with self._lock:
            self._added += size
            return self._added > self.slack or size > self.max_bytes

    def _hold(self, name: str) -> threading.Lock:
        """Hold ``name`` (no eviction) and return the lock its makers take turns on."""
        with self._lock:
            self._holds[name] += 1
            return self._turns.setdefault(name, threading.Lock())

    def _release(self, name: str) -> None:
        with self._lock:
            self._holds[name] -= 1
            if not self._holds[name]:
                del self._holds[name]
                del self._turns[name]
            trim = self._trim_on_release
        if trim:
            self.trim()

    def _make(self, name: str, suffix: str, make: Callable[[Path], object]) -> bool:
        """Make the file unless it is there; whether it was made here."""
        path = self.folder / name
        if self._touch(path):
            return False
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f"{TMP_PREFIX}{os.getpid()}-",
                                   suffix=suffix)
        os.close(fd)
        try:
            make(Path(tmp))
            # atomic, and never replaces a file being served; when another process
            # published it first, theirs is served (the same map)
            with suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
        self._touch(path)
        return True

    def _touch(self, path: Path) -> bool:
        """Mark a hit (access time now, modification time kept); whether the file is there."""
        with self._lock:
            self._clock = max(time.time_ns(), self._clock + 1)
            now = self._clock
        try:
            st = os.stat(path)
            os.utime(path, ns=(now, st.st_mtime_ns))
        except FileNotFoundError:
            return False
        return True

    def _remove(self, name: str) -> None:
        with suppress(FileNotFoundError):
            os.unlink(self.folder / name)

    def _remove_orphans(self) -> None:
        """Remove the temp files of processes that no longer run (or of this one's pid,
        reused after a restart: it is only starting, so it makes nothing yet)."""
        for entry in os.scandir(self.folder):
            if entry.name.startswith(TMP_PREFIX) and not _maker_runs(entry.name):
                with suppress(FileNotFoundError):
                    os.unlink(entry.path)


def _maker_runs(temp_name: str) -> bool:
    """Whether the process that named this temp file runs (and is not this one)."""
    pid = temp_name[len(TMP_PREFIX):].split("-", 1)[0]
    if not pid.isdigit() or int(pid) in (0, os.getpid()):
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # runs, as another user
    return True
