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

import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.city import CITY_TZ_NAME
from geo.crs import CRS84, STORAGE_EPSG, parse_crs
from geo.errors import InvalidInput, NotFound

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
TABLES = {".csv", ".tsv", ".txt"}
# coordinate columns found by name (any case), in this order: degrees first, then x / y
LON_LAT = [("lon", "lat"), ("longitude", "latitude"), ("lng", "lat"), ("long", "lat")]
X_Y = [("x", "y"), ("easting", "northing")]
WRITERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".fgb": "FlatGeobuf", ".csv": "CSV",
           ".parquet": "parquet"}


# the instants a record can have (pandas' nanosecond clock: 1677-09-21 to 2262-04-11)
FIRST_YEAR, LAST_YEAR = 1678, 2261
RANGE_HINT = f"give dates from {FIRST_YEAR} to {LAST_YEAR}"


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
        if not FIRST_YEAR <= stamp.year <= LAST_YEAR:
            row = int((text == value).to_numpy().nonzero()[0][0])
            raise InvalidInput(f"{field}: {value!r} (row {row + 1}) is out of the range of "
                               "record dates", hint=RANGE_HINT)
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(CITY_TZ_NAME, ambiguous=False, nonexistent="shift_forward")
        instants[value] = stamp.tz_convert("UTC")
    return pd.DatetimeIndex(text.map(instants).to_numpy(), tz="UTC")


def coordinate_columns(columns: list[str], xy: tuple[str, str] | None = None,
                       source: str = "the records") -> tuple[str, str, bool]:
    """The columns holding the records' coordinates: ``xy`` when given, else found by name
    (lon / lat, longitude / latitude, lng / lat, long / lat, then x / y, easting / northing, in
    any case); and whether they are degrees by their name (lon / lat: CRS84 unless said).

    >>> coordinate_columns(["id", "Lon", "Lat", "date"])
    ('Lon', 'Lat', True)
    """
    if xy is not None:
        missing = [c for c in xy if c not in columns]
        if missing:
            raise InvalidInput(f"{source}: no column {missing[0]!r}",
                               hint=f"their columns: {', '.join(map(str, columns))}")
        return xy[0], xy[1], False
    lower = {str(c).lower(): str(c) for c in columns}
    for pairs, degrees in ((LON_LAT, True), (X_Y, False)):
        for x, y in pairs:
            if x in lower and y in lower:
                return lower[x], lower[y], degrees
    raise InvalidInput(
        f"{source}: no coordinate columns among {', '.join(map(str, columns)) or 'none'}",
        hint="name them lon / lat (degrees, CRS84), or x / y with a CRS (--crs EPSG:31370), "
             "or say which they are (--xy COLUMN_X,COLUMN_Y)")


def records_from_table(frame: pd.DataFrame, source: str, xy: tuple[str, str] | None = None,
                       crs: str | None = None) -> gpd.GeoDataFrame:
    """Records given as a table with coordinate columns (see :func:`coordinate_columns`),
    as points in ``crs`` (CRS84 for columns named lon / lat; x / y need one).

    >>> t = pd.DataFrame({"id": [1], "lon": [4.35235], "lat": [50.84675]})
    >>> p = records_from_table(t, "t.csv").to_crs(31370).geometry.iloc[0]
    >>> round(p.x), round(p.y)
    (148845, 170705)
    """
    x, y, degrees = coordinate_columns(list(frame.columns), xy, source)
    if crs is None and not degrees:
        raise InvalidInput(f"{source}: the coordinates {x} / {y} need a CRS",
                           hint="say which, for example --crs EPSG:31370 (Lambert 72) or "
                                "--crs CRS84 (longitude / latitude in degrees)")
    info = parse_crs(crs) if crs is not None else CRS84
    values = {}
    for col in (x, y):
        numbers = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        bad = numbers.isna() | ~np.isfinite(numbers.fillna(0).to_numpy())
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            value = frame[col].iloc[row]
            raise InvalidInput(f"{source}: {col} at row {row + 1} is "
                               + ("empty" if pd.isna(value) else
                                  f"not a number ({str(value)!r})"),
                               hint="give every record both coordinates, as numbers with a "
                                    "decimal point")
        values[col] = numbers.to_numpy()
    if info.epsg == 4326 and ((np.abs(values[x]) > 180).any() or (np.abs(values[y]) > 90).any()):
        raise InvalidInput(f"{source}: {x} / {y} are not longitude / latitude in degrees",
                           hint="these look like metres: give their CRS, for example "
                                "--crs EPSG:31370 (Lambert 72)")
    if not info.in_degrees and len(frame) and (np.abs(values[x]) <= 180).all() \
            and (np.abs(values[y]) <= 90).all():  # a corner of the CRS's plane: not Brussels
        raise InvalidInput(f"{source}: {x} / {y} look like degrees, not metres of "
                           f"{info.title}",
                           hint="for longitude / latitude in degrees, give the CRS CRS84")
    geometry = gpd.GeoSeries(shapely.points(values[x], values[y]), crs=info.epsg)
    return gpd.GeoDataFrame(frame, geometry=geometry)


def read_table(source: Path | str, name: str | None = None) -> pd.DataFrame:
    """A CSV file (or CSV text, named ``name``; tab-separated files by their suffix), with
    its columns' own types: integers stay integers, empty cells included."""
    text = isinstance(source, str)
    label = name or str(source)
    tabs = not text and Path(source).suffix.lower() in {".tsv", ".txt"}
    try:
        return pd.read_csv(io.StringIO(source) if isinstance(source, str) else source,
                           sep="\t" if tabs else ",", dtype_backend="numpy_nullable")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInput(f"{label} cannot be read as CSV: {str(exc).splitlines()[0]}",
                           hint="give CSV with a header line, in UTF-8, comma-separated"
                           if text or not tabs else "give a tab-separated file with a header "
                                                    "line, in UTF-8") from None


def read_records(path: Path, layer: str | None = None, xy: tuple[str, str] | None = None,
                 crs: str | None = None) -> gpd.GeoDataFrame:
    """The records of a vector file, with its CRS (a file without one is refused); or of a
    CSV file with coordinate columns (see :func:`records_from_table`)."""
    if not path.exists():
        raise NotFound(f"{path} not found", hint="give the path of a vector file")
    if path.suffix.lower() in TABLES:
        return records_from_table(read_table(path), str(path), xy, crs)
    if xy is not None:
        raise InvalidInput(f"{path} is not a CSV file: its geometry is read, not columns",
                           hint="give --xy only with a CSV file")
    try:
        frame = gpd.read_file(path, layer=layer)
    except Exception as exc:  # GDAL's many ways to say "cannot read"
        raise InvalidInput(f"{path} cannot be read as a vector file: "
                           f"{str(exc).splitlines()[0]}",
                           hint="give a GeoPackage, GeoJSON, Shapefile, FlatGeobuf or CSV "
                                "with a geometry") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InvalidInput(f"{path} has no geometry",
                           hint="give a vector file, or a CSV with lon / lat columns")
    if frame.crs is None and crs is not None:
        frame = frame.set_crs(parse_crs(crs).epsg)
    if frame.crs is None:
        raise InvalidInput(f"{path} declares no coordinate reference system",
                           hint="give the file a CRS (for example with ogr2ogr -a_srs), or "
                                "say which it is (--crs EPSG:31370)")
    if frame.geometry.isna().any() or frame.geometry.is_empty.any():
        row = int((frame.geometry.isna() | frame.geometry.is_empty).to_numpy().nonzero()[0][0])
        raise InvalidInput(f"{path}: record {row + 1} has no geometry",
                           hint="every record needs a point, line or polygon")
    return frame


def in_storage_crs(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The geometries in the store's CRS (EPSG:31370), made valid where they are not (GEOS
    cannot join a polygon that crosses itself; the records keep their own geometry)."""
    geoms = frame.geometry.to_crs(STORAGE_EPSG)
    shapes = geoms.to_numpy()
    invalid = ~shapely.is_valid(shapes) & ~shapely.is_missing(shapes)
    if not invalid.any():
        return geoms
    shapes = shapes.copy()
    shapes[invalid] = shapely.make_valid(shapes[invalid])
    return gpd.GeoSeries(shapes, index=geoms.index, crs=STORAGE_EPSG)


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
