# SPDX-License-Identifier: EUPL-1.2
"""Records to link, read from any vector file GDAL reads, with a date per record; and the
linked result written back (GeoPackage, GeoJSON, FlatGeobuf, CSV, GeoParquet).

Examples
--------
>>> import pandas as pd
>>> record_instants(pd.Series(["2016-05-01", "2022-01-31T10:00:00Z"]), "reported").tolist()
[Timestamp('2016-04-30 22:00:00+0000', tz='UTC'), Timestamp('2022-01-31 10:00:00+0000', tz='UTC')]
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.city import CITY_TZ_NAME
from geo.crs import STORAGE_EPSG
from geo.errors import InvalidInput, NotFound

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
WRITERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".fgb": "FlatGeobuf", ".csv": "CSV",
           ".parquet": "parquet"}


def record_instants(values: pd.Series, field: str) -> pd.DatetimeIndex:
    """Dates or date-times of the records, as UTC instants; a date is the start of that day
    in Brussels, a date-time without zone is Brussels time."""
    text = values.astype("string").str.strip().replace("", pd.NA)
    if text.isna().any():
        row = int(text.isna().to_numpy().nonzero()[0][0])
        raise InvalidInput(f"{field} is empty at row {row + 1}",
                           hint="give every record a date, or a default with --date")
    unique = pd.unique(text.to_numpy())
    instants = {}
    for value in unique:
        try:
            if not ISO_DATE.match(value):
                raise ValueError(value)
            stamp = pd.Timestamp(value)
        except ValueError:
            row = int((text == value).to_numpy().nonzero()[0][0])
            raise InvalidInput(f"{field}: {value!r} (row {row + 1}) is not a date",
                               hint="dates must be ISO 8601: 2016-05-01 or "
                                    "2016-05-01T14:30:00Z") from None
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(CITY_TZ_NAME, ambiguous=False, nonexistent="shift_forward")
        instants[value] = stamp.tz_convert("UTC")
    return pd.DatetimeIndex(text.map(instants).to_numpy(), tz="UTC")


def read_records(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """The records of a vector file, with its CRS (a file without one is refused)."""
    if not path.exists():
        raise NotFound(f"{path} not found", hint="give the path of a vector file")
    try:
        frame = gpd.read_file(path, layer=layer)
    except Exception as exc:  # GDAL's many ways to say "cannot read"
        raise InvalidInput(f"{path} cannot be read as a vector file: "
                           f"{str(exc).splitlines()[0]}",
                           hint="give a GeoPackage, GeoJSON, Shapefile, FlatGeobuf or CSV "
                                "with a geometry") from None
    if frame.crs is None:
        raise InvalidInput(f"{path} declares no coordinate reference system",
                           hint="give the file a CRS (for example with ogr2ogr -a_srs)")
    if frame.geometry.isna().any() or frame.geometry.is_empty.any():
        row = int((frame.geometry.isna() | frame.geometry.is_empty).to_numpy().nonzero()[0][0])
        raise InvalidInput(f"{path}: record {row + 1} has no geometry",
                           hint="every record needs a point, line or polygon")
    return frame


def in_storage_crs(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The geometries in the store's CRS (EPSG:31370)."""
    return frame.geometry.to_crs(STORAGE_EPSG)


def write_records(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write the linked records; the format follows the suffix."""
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        raise InvalidInput(f"cannot write {path.name}",
                           hint=f"give -o a file ending in {', '.join(WRITERS)}")
    path.unlink(missing_ok=True)
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        options = {"GEOMETRY": "AS_WKT"} if suffix == ".csv" else {}
        frame.to_file(path, driver=WRITERS[suffix], layer_options=options)
