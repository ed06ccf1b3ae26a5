# SPDX-License-Identifier: EUPL-1.2
"""Bulk links on an existing Dask cluster (``strata link --dask ADDRESS``): the answers of
:func:`linking.bulk.link`, computed in memory by the cluster's workers instead of by PostGIS.

The target layers are read from the store once, every version cut into the very pieces the
database's link measures (``versioned_layers(..., pieces=True)``), and broadcast to the
workers; the records go to the workers in partitions, each linked by the geopandas join of
``geo.joins`` (the database's temporal and spatial rules, distances measured as PostGIS
measures them); the partitions come back in the records' order, shaped by the same
``linked_result`` as the database's answer. The database does one read per layer and nothing
else: use it for millions of records, when PostgreSQL should stay free for the service.

The workers need Strata's Python environment (``geo`` importable; same versions of
geopandas and shapely as here).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import geopandas as gpd
import pandas as pd
import psycopg

from geo.crs import STORAGE_EPSG
from geo.errors import InvalidInput, Unavailable
from geo.joins import link_frame
from linking.bulk import (
    Records,
    Target,
    check_records,
    linked_result,
    target_editions,
    versioned_layers,
)

CONNECT_TIMEOUT_S = 5.0
PARTITION = 20_000  # records per task at most
TASKS_PER_WORKER = 4  # at least, when there are records enough: progress, balance
MIN_PARTITION = 500
EXAMPLE = "tcp://HOST:8786"


async def _identity(address: str, timeout_s: float) -> dict[str, Any]:
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout_s)
    try:
        await comm.write({"op": "identity", "reply": True})
        answer = await comm.read()
    finally:
        comm.abort()
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise OSError(f"{address} answered, but not as a Dask scheduler")
    return answer


def scheduler_workers(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> int:
    """The number of workers of the Dask scheduler at ``address``, asked within
    ``timeout_s`` seconds. An address that is not one is InvalidInput; a scheduler that does
    not answer in time, or has no worker, is Unavailable."""
    if not address.strip():
        raise InvalidInput("the Dask scheduler's address is empty",
                           hint=f"give its address, for example --dask {EXAMPLE}")
    try:
        identity = asyncio.run(asyncio.wait_for(_identity(address, timeout_s), timeout_s))
    except ValueError as exc:  # no port, an unknown scheme
        raise InvalidInput(f"{address!r} is not a Dask scheduler's address ({exc})",
                           hint=f"give it as {EXAMPLE} (tls:// for TLS)") from None
    except (TimeoutError, OSError, MemoryError, EOFError) as exc:
        # MemoryError: something else listens there, and its bytes read as a huge frame
        reason = f"no answer within {timeout_s:g} s" if isinstance(exc, TimeoutError) \
            else str(exc) or type(exc).__name__
        raise Unavailable(f"the Dask scheduler at {address} cannot be reached: {reason}",
                          hint="start one (dask scheduler, then dask worker ADDRESS), or "
                               "check the address (--dask, STRATA_DASK_SCHEDULER) and that "
                               "this machine may connect to it; with neither, the link runs "
                               "in PostGIS") from None
    workers = len(identity.get("workers") or {})
    if not workers:
        raise Unavailable(f"the Dask scheduler at {address} has no worker",
                          hint=f"start some: dask worker {address}")
    return workers


def partitions(n: int, workers: int) -> list[tuple[int, int]]:
    """Row ranges of ``n`` records: at most PARTITION each, and TASKS_PER_WORKER per worker
    when there are records enough.

    >>> partitions(1_200, 2)
    [(0, 500), (500, 1000), (1000, 1200)]
    >>> len(partitions(1_000_000, 2)), len(partitions(40_000, 2))
    (50, 8)
    """
    size = min(PARTITION, max(MIN_PARTITION, math.ceil(n / (workers * TASKS_PER_WORKER))))
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def link_on_dask(connect: Callable[[], AbstractContextManager[psycopg.Connection]],
                 tgts: list[Target], records: Records, address: str,
                 progress: Callable[[int], None] | None = None,
                 timeout_s: float = CONNECT_TIMEOUT_S) -> pd.DataFrame:
    """Link ``records`` to the targets on the Dask cluster whose scheduler is at
    ``address``: the same frame as :func:`linking.bulk.link` (same columns, dtypes, values
    and order). ``progress`` is called with each partition's size as it completes."""
    from distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    check_records(records)
    workers = scheduler_workers(address, timeout_s)
    with connect() as conn:
        editions = target_editions(conn, tgts)
        layers = versioned_layers(conn, tgts, pieces=True)
    frame = gpd.GeoDataFrame({"at": records.at}, geometry=records.geom, crs=STORAGE_EPSG,
                             index=pd.Index(records.rid, name="rid"))
    ranges = partitions(len(frame), workers)
    try:
        with Client(address, timeout=timeout_s, set_as_default=False) as client:
            on_workers = client.scatter(layers, broadcast=True, hash=False)
            parts = client.scatter([frame.iloc[a:b] for a, b in ranges], hash=False)
            futures = [client.submit(link_frame, part, on_workers, pure=False)
                       for part in parts]
            rows = {f.key: b - a for f, (a, b) in zip(futures, ranges, strict=True)}
            for done in as_completed(futures, loop=client.loop):
                if done.status == "error":
                    done.result()  # raises the worker's error here
                if progress:
                    progress(rows[done.key])
            found = client.gather(futures)
    except ImportError as exc:  # the workers' environment lacks Strata
        raise Unavailable(f"the Dask workers at {address} cannot run Strata's join: {exc}",
                          hint="install Strata (the same version) in the workers' Python "
                               "environment") from None
    except (OSError, KilledWorker) as exc:
        raise Unavailable(f"the Dask cluster at {address} failed during the link: {exc}",
                          hint="check its scheduler and workers (their logs, their memory), "
                               "then run the link again") from None
    if not found:
        found = [link_frame(frame.iloc[:0], layers)]
    return linked_result(pd.concat(found), tgts, records, editions)
