# SPDX-License-Identifier: EUPL-1.2
"""Readers that survive real files: GeoPackage, GeoJSON, Shapefile (zipped too), GML.

:func:`read_layer_file` turns one file into a :class:`Batch`: a GeoDataFrame with the
layer's key as ``fid``, its typed attributes and 2D, valid geometries in EPSG:31370, plus a
report of what was read and repaired. Bad files raise :class:`InvalidInput` naming the
offending features.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.city import CITY_TZ_NAME
from geo.clean import CleanReport, clean_geometries
from geo.errors import InvalidInput
from layers.catalogue import FieldRule, LayerSpec, SourceSpec
from layers.parsers import bilingual, dotted, parse_dmy

FEATURE_ID = "$id"
MAX_NAMED = 5


@dataclass
class Batch:
    """A clean, keyed set of features ready for the store."""

    layer: LayerSpec
    frame: gpd.GeoDataFrame  # columns: fid, <attributes>, geometry
    source_name: str
    read: int = 0
    dissolved: int = 0
    clean: CleanReport = field(default_factory=CleanReport)

    def summary(self) -> list[str]:
        """Human lines describing what reading did."""
        lines = [f"{self.read} features read, {len(self.frame)} keyed features"]
        if self.dissolved:
            lines.append(f"{self.dissolved} pieces merged into features sharing a key")
        return lines + self.clean.lines()


def gdal_path(path: Path) -> str:
    """The path GDAL should open: zip archives through /vsizip/."""
    return f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)


def read_layer_file(path: Path | str, spec: LayerSpec, source_name: str | None = None,
                    layer: str | None = None) -> Batch:
    """Read ``path`` as an edition of ``spec`` using the named source mapping."""
    path = Path(path)
    source = spec.source(source_name)
    name = source_name or next(k for k, v in spec.sources.items() if v is source)
    if not path.exists():
        raise InvalidInput(f"file not found: {path}", hint="check the path")
    frame = _open(path, source, layer)
    read = len(frame)
    keys = _keys(frame, source, spec.key.type, path)
    cols = {attr: _field(frame, rule, spec.attributes[attr], attr, path)
            for attr, rule in source.fields.items()}
    out = gpd.GeoDataFrame(
        {"fid": keys.to_numpy(), **{k: v.to_numpy() for k, v in cols.items()}},
        geometry=frame.geometry.to_numpy(), crs=frame.crs)
    for attr in spec.attributes:
        if attr not in out:
            out[attr] = None
    geoms, report = clean_geometries(out.geometry, spec.geometry_type, source.crs)
    out = out.set_geometry(geoms.to_numpy()).set_crs(geoms.crs, allow_override=True)
    dissolved = 0
    if source.dissolve:
        before = len(out)
        out = _dissolve(out, source, spec)
        dissolved = before - len(out)
    else:
        _refuse_duplicates(out["fid"], path, spec)
    out = out[["fid", *spec.attributes, "geometry"]]
    return Batch(layer=spec, frame=out, source_name=name, read=read, dissolved=dissolved,
                 clean=report)


def _open(path: Path, source: SourceSpec, layer: str | None) -> gpd.GeoDataFrame:
    target = gdal_path(path)
    try:
        names = [str(n) for n in pyogrio.list_layers(target)[:, 0]]
    except Exception as exc:  # pyogrio raises several DataSource errors
        raise InvalidInput(
            f"cannot read {path.name}: {_first_line(exc)}",
            hint="give a GeoPackage, GeoJSON, Shapefile (.shp or zipped) or GML file") from None
    wanted = layer or source.layer
    if wanted not in names:
        if layer or len(names) != 1:
            raise InvalidInput(f"{path.name} has no layer {wanted!r}; it has {names}",
                               hint="name the layer to read with --layer")
        wanted = names[0]
    try:
        return pyogrio.read_dataframe(target, layer=wanted, use_arrow=True,
                                      fid_as_index=source.key == FEATURE_ID)
    except Exception as exc:
        raise InvalidInput(f"cannot read layer {wanted!r} of {path.name}: {_first_line(exc)}",
                           hint="the file may be truncated or corrupt; export it again") from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _keys(frame: gpd.GeoDataFrame, source: SourceSpec, key_type: str, path: Path) -> pd.Series:
    if source.key == FEATURE_ID:
        keys = pd.Series(frame.index, index=frame.index)
    elif source.key in frame.columns:
        keys = frame[source.key]
    else:
        raise InvalidInput(f"{path.name} has no key field {source.key!r}",
                           hint=f"its fields are: {', '.join(map(str, frame.columns[:-1]))}")
    missing = keys.isna() | (keys.astype("string").str.strip() == "")
    if missing.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(missing.to_numpy())[:MAX_NAMED])
        raise InvalidInput(
            f"{path.name}: {int(missing.sum())} features have no key {source.key!r} "
            f"(features at positions {rows})",
            hint="every feature needs a key; fix or remove those features")
    if source.key_transform == "floor_hundred":
        keys = pd.to_numeric(keys) // 100 * 100
    try:
        return coerce(keys, key_type)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{path.name}: key field {source.key!r}: {exc}",
                           hint=f"keys of this layer are of type {key_type}") from None


def _refuse_duplicates(keys: pd.Series, path: Path, spec: LayerSpec) -> None:
    dup = keys[keys.duplicated(keep=False)]
    if len(dup):
        named = ", ".join(str(k) for k in dup.unique()[:MAX_NAMED])
        raise InvalidInput(
            f"{path.name}: key {spec.key.name!r} is duplicated: {dup.nunique()} keys appear "
            f"more than once ({named})",
            hint="each feature needs its own key; remove the duplicates or merge them")


def _field(frame: gpd.GeoDataFrame, rule: FieldRule, kind: str, attr: str,
           path: Path) -> pd.Series:
    head, *rest = rule.source.split(".")
    if head not in frame.columns:
        raise InvalidInput(f"{path.name} has no field {head!r} (for attribute {attr!r})",
                           hint=f"its fields are: {', '.join(map(str, frame.columns[:-1]))}")
    values = frame[head]
    if rest:
        values = dotted(values, rest)
    if rule.nodata is not None:
        values = values.mask(values == rule.nodata)
    try:
        if rule.parse in ("dmy", "dmy_slash"):
            values = parse_dmy(values, "/" if rule.parse == "dmy_slash" else "-")
        elif rule.parse in ("bilingual_fr", "bilingual_nl"):
            values = bilingual(values, 0 if rule.parse == "bilingual_fr" else 1)
        return coerce(values, kind)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"{path.name}: field {rule.source!r} (attribute {attr!r}): {exc}",
                           hint=f"values must be of type {kind}") from None


XSD_DATE_ZONE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})$")


def coerce(values: pd.Series, kind: str) -> pd.Series:
    """Coerce a column to the attribute type, nulls as None."""
    if kind == "integer":
        num = pd.to_numeric(values, errors="raise")
        if (num.dropna() % 1 != 0).any():
            raise ValueError("has non-integer numbers")
        return num.astype("Int64").astype(object).where(num.notna(), None)
    if kind == "double":
        num = pd.to_numeric(values, errors="raise").astype("float64")
        return num.astype(object).where(num.notna(), None)
    if kind == "boolean":
        return values.astype(object).where(values.notna(), None).map(
            lambda v: None if v is None else bool(v))
    if kind == "date":
        # an xsd:date may carry a zone ("2019-05-03Z", as WFS servers write it): the day is kept
        values = values.map(lambda v: XSD_DATE_ZONE.sub(r"\1", v) if isinstance(v, str) else v)
        ts = _instants(values)
        return pd.Series([None if pd.isna(t) else t.date() for t in ts], index=values.index,
                         dtype=object)
    if kind == "timestamp":
        ts = _instants(values)
        if ts.dt.tz is None:
            ts = ts.dt.tz_localize(CITY_TZ_NAME, ambiguous="NaT", nonexistent="NaT")
        return pd.Series([None if pd.isna(t) else t.isoformat() for t in ts],
                         index=values.index, dtype=object)
    if kind == "json":
        return values.map(_json)
    text = values.astype(object).where(values.notna(), None)
    return text.map(lambda v: None if v is None or v == "" else str(v))


def _instants(values: pd.Series) -> pd.Series:
    """Dates or date-times in ISO 8601; the first values that are not, named."""
    ts = pd.to_datetime(values, errors="coerce", format="ISO8601")
    bad = ts.isna() & values.notna() & (values.astype("string").str.strip() != "")
    if bad.any():
        rows = ", ".join(f"{v!r} (feature {i + 1})" for i, v in
                         zip(bad.to_numpy().nonzero()[0][:3], values[bad][:3], strict=False))
        raise ValueError(f"not a date in ISO 8601 form (YYYY-MM-DD): {rows}")
    return ts


def _json(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # a plain string stays a JSON string
            value = json.loads(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _dissolve(frame: gpd.GeoDataFrame, source: SourceSpec, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Merge the pieces sharing a key: union of geometries, first value of each attribute,
    sorted distinct values for the ``join`` attributes."""
    groups = frame.groupby("fid", sort=True)
    geoms = groups.geometry.agg(lambda g: shapely.union_all(np.asarray(g.array, dtype=object)))
    attrs = groups[list(spec.attributes)].first()
    for name in source.join:
        attrs[name] = groups[name].agg(
            lambda v: ", ".join(sorted({str(x) for x in v if x is not None})) or None)
    attrs = attrs.astype(object).where(attrs.notna(), None)
    out = gpd.GeoDataFrame(attrs.reset_index(), geometry=geoms.to_numpy(), crs=frame.crs)
    fixed, _ = clean_geometries(out.geometry, spec.geometry_type)
    return out.set_geometry(fixed.to_numpy()).set_crs(frame.crs, allow_override=True)
