# SPDX-License-Identifier: EUPL-1.2
"""What a standby must hold to answer a read as the primary would.

Each edition records where the primary's WAL stood once it was committed (``edition.lsn``,
see :mod:`versioning.importer`). Editions are never backdated, so the map at an instant is
made of the editions dated at or before it: a standby that has replayed the WAL up to the
newest of those holds that map. The map *now* needs every edition.

Positions are bytes from ``0/0`` (PostgreSQL's ``pg_lsn`` minus ``'0/0'``), plain integers.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

import psycopg

from versioning.database import render


@dataclass(frozen=True)
class Frontier:
    """The editions' instants, in order, and the WAL position each needs (with all before
    it): ``needs[i]`` is the furthest position among editions ``0..i``."""

    instants: tuple[dt.datetime, ...] = ()
    needs: tuple[int, ...] = ()

    @property
    def newest(self) -> int:
        """The position that holds every edition (0 for a store without one)."""
        return self.needs[-1] if self.needs else 0

    def required(self, at: dt.datetime | None) -> int:
        """The position a server must have replayed to answer a read of the map at ``at``
        (None: now)."""
        if at is None:
            return self.newest
        i = bisect.bisect_right(self.instants, at)
        return self.needs[i - 1] if i else 0


def frontier(conn: psycopg.Connection) -> Frontier:
    """The :class:`Frontier` of the store ``conn`` reads (on the primary)."""
    rows = conn.execute(render("edition_frontier")).fetchall()
    needs: list[int] = []
    for _, position in rows:
        needs.append(max(position, needs[-1]) if needs else position)
    return Frontier(tuple(r[0] for r in rows), tuple(needs))


@dataclass(frozen=True)
class Replay:
    """A server's replay state: a standby (in recovery) or not, and how far it has
    replayed (None before its first replay)."""

    standby: bool
    position: int | None


def replay(conn: psycopg.Connection) -> Replay:
    """The :class:`Replay` of the server ``conn`` is on."""
    standby, position = conn.execute(render("replay_position")).fetchone() or (False, None)
    return Replay(bool(standby), position)
