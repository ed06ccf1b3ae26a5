# SPDX-License-Identifier: EUPL-1.2
"""One linking job, as `strata link` and the OGC API process `link` run it: the records (a
file, a stored layer, or the incidents), the date of each, the link, the records back with
the links as new columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.crs import STORAGE_EPSG
from geo.errors import InvalidInput
from layers.catalogue import Catalogue
from layers.records import FIRST_YEAR, LAST_YEAR, RANGE_HINT, in_storage_crs, record_instants
from linking.bulk import Records, link, targets
from linking.dask_link import link_on_dask
from linking.reports import public_incidents
from versioning.reading import snapshot

INCIDENTS = "incidents"
Connect = Callable[[], AbstractContextManager[Any]]


class LinkSettings(BaseSettings):
    """Where bulk links run: ``dask_scheduler`` (``STRATA_DASK_SCHEDULER``), the address of
    a Dask cluster's scheduler (tcp://HOST:8786) for `strata link` and the ``link`` process;
    unset, in PostGIS."""

    model_config = SettingsConfigDict(env_prefix="STRATA_", env_file=None, extra="ignore")

    dask_scheduler: str | None = None

    @property
    def dask(self) -> str | None:
        """The scheduler's address, None when unset or blank."""
        return (self.dask_scheduler or "").strip() or None


def stored_records(connect: Connect, catalogue: Catalogue, source: str) -> gpd.GeoDataFrame:
    """The current features of a stored layer (``layer:ID`` or ``ID``), or the public fields of
    the incidents (``incidents``), as records in EPSG:31370."""
    with connect() as conn:
        if source == INCIDENTS:
            frame = pd.DataFrame(public_incidents(conn))
            if frame.empty:
                frame = pd.DataFrame(columns=["id", "requested_at", "geom"])
        else:
            spec = catalogue.layer(source.removeprefix("layer:"))
            batches = list(snapshot(conn, spec, dt.datetime.now(dt.UTC)))
            frame = pd.concat([b.to_pandas() for b in batches], ignore_index=True) \
                if batches else pd.DataFrame(columns=[spec.key.name, "geom"])
    geometry = gpd.GeoSeries(shapely.from_wkb(frame.pop("geom").to_numpy()), crs=STORAGE_EPSG)
    return gpd.GeoDataFrame(frame, geometry=geometry)


def record_dates(frame: gpd.GeoDataFrame, date_field: str | None,
                 default: dt.datetime | None) -> pd.DatetimeIndex:
    """Each record's instant: its date field (the default where empty), else the default."""
    if date_field:
        if date_field not in frame.columns:
            fields = [str(c) for c in frame.columns if c != frame.geometry.name]
            raise InvalidInput(f"the records have no field {date_field!r}",
                               hint=f"their fields: {', '.join(fields)}" if fields else
                               "they have no field but their place: give one date for all "
                               "of them")
        values = frame[date_field].astype("string")
        if default is not None:
            values = values.fillna(default.isoformat())
        return record_instants(values, date_field)
    if default is not None:
        if not FIRST_YEAR <= default.year <= LAST_YEAR:
            raise InvalidInput(f"the date {default.date().isoformat()} is out of the range "
                               "of record dates", hint=RANGE_HINT)
        return pd.DatetimeIndex(pd.to_datetime([default] * len(frame), utc=True))
    raise InvalidInput("the records need a date",
                       hint="name the records' date field, or give one date for all of them")


def link_records(connect: Connect, catalogue: Catalogue, frame: gpd.GeoDataFrame,
                 to: list[str], at: pd.DatetimeIndex, within_m: float, workers: int = 2,
                 progress: Callable[[int], None] | None = None, dask: str | None = None
                 ) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """The records with, per target layer, the feature's key, names, edition (and distance);
    and per target the number of records linked. In PostGIS on ``workers`` connections, or
    on the Dask cluster whose scheduler is at ``dask`` (the same answers)."""
    tgts = targets(catalogue, to, within_m)
    answers = [c for t in tgts for c in (*t.columns, f"{t.spec.id}_edition")]
    taken = [c for c in answers if c in frame.columns]
    if taken:
        raise InvalidInput(f"the records already have fields named as the link's answers: "
                           f"{', '.join(taken)}",
                           hint="rename or remove those fields: the link adds them")
    # heights (x y z positions, as GPS files have) play no part in a link on the map
    records = Records(pd.RangeIndex(len(frame)).to_numpy(), at,
                      shapely.force_2d(in_storage_crs(frame).to_numpy()))
    linked = link_on_dask(connect, tgts, records, dask, progress) if dask \
        else link(connect, tgts, records, workers, progress)
    out = frame.join(linked.reset_index(drop=True).set_axis(frame.index))
    found = {t.spec.id: int(linked[t.columns[0]].notna().sum()) for t in tgts}
    return gpd.GeoDataFrame(out, geometry=frame.geometry.name, crs=frame.crs), found
