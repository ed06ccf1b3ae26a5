# SPDX-License-Identifier: EUPL-1.2
"""Helpers shared by the tests (a unique module name: pygeoapi installs a `tests` package)."""

from __future__ import annotations

import json

import pandas as pd
import shapely

from layers.catalogue import SHIPPED_DATA as DATA
from versioning.instants import parse_instant
from versioning.reading import snapshot


def snap(env, layer_id, date, epsg=31370):
    spec = env.store.catalogue.layer(layer_id)
    with env.store.connect() as conn:
        batches = list(snapshot(conn, spec, parse_instant(date), epsg))
    if not batches:
        return pd.DataFrame()
    frame = pd.concat([b.to_pandas() for b in batches], ignore_index=True)
    frame["geometry"] = shapely.from_wkb(frame.pop("geom").to_numpy())
    return frame.set_index(spec.key.name)


def source_ways(date):
    raw = json.loads((DATA / f"streets/ways_{date}.geojson").read_text())
    return {f["id"]: (f["properties"], f["geometry"]) for f in raw["features"]}


