# SPDX-License-Identifier: EUPL-1.2
"""Readers for the reference tables: Fix My Street categories and organisations, and the
IRCEL-CELINE yearly NO2 means (where -9999 means "no data").

Examples
--------
>>> import io
>>> read_reference("no2_annual_mean", io.StringIO(
...     "station,year,no2_annual_mean,nhours,lon,lat\\n40ND01,1990,-9999,323,2.3,49.2\\n"))
  station  year no2_ug_m3 n_hours
0  40ND01  1990      None     323
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import IO

import pandas as pd

from geo.errors import InvalidInput
from layers.catalogue import PROJECT_ROOT, read_config

PLACES = PROJECT_ROOT / "config" / "fixmystreet_places.yml"

NODATA = -9999

# table -> (source column -> table column)
COLUMNS: dict[str, dict[str, str]] = {
    "fms_category": {c: c for c in (
        "category_id", "family_fr", "family_nl", "family_en", "type_fr", "type_nl", "type_en",
        "subtype_fr", "subtype_nl", "subtype_en", "place_fr")},
    "fms_organisation": {"id": "organisation_id", "name_fr": "name_fr", "name_nl": "name_nl",
                         "kind": "kind"},
    "no2_annual_mean": {"station": "station", "year": "year", "no2_annual_mean": "no2_ug_m3",
                        "nhours": "n_hours"},
}


def read_reference(table: str, source: Path | str | IO[str]) -> pd.DataFrame:
    """Read a reference CSV into the table's columns; nulls as None."""
    if table not in COLUMNS:
        raise InvalidInput(f"unknown reference table {table!r}",
                           hint=f"use one of: {', '.join(COLUMNS)}")
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    mapping = COLUMNS[table]
    missing = set(mapping) - set(frame.columns)
    if missing:
        raise InvalidInput(f"{table}: the CSV lacks columns {sorted(missing)}",
                           hint=f"expected columns: {', '.join(mapping)}")
    out = frame[list(mapping)].rename(columns=mapping)
    if table == "no2_annual_mean":
        value = pd.to_numeric(out["no2_ug_m3"], errors="raise")
        out["no2_ug_m3"] = value.astype(object).where(value != NODATA, None)
    out = out.astype(object).where(out != "", None)
    return out.drop_duplicates()


@cache
def place_names() -> dict[str, dict[str, str]]:
    """The place of a Fix My Street category (French only in the source) in fr / nl / en,
    keyed by its French text (config/fixmystreet_places.yml)."""
    raw = read_config(PLACES, "Fix My Street places")
    return {str(fr): {"fr": str(fr), **{k: str(v) for k, v in names.items()}}
            for fr, names in raw.items()}
