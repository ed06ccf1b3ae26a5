# SPDX-License-Identifier: EUPL-1.2
"""The OGC API process ``link`` (pygeoapi): records tied to the municipality, district and
nearest street of their own date, the same job as ``strata link``; and the synchronous
process manager that keeps Strata's errors in their status and shape."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pygeoapi.process.base import BaseProcessor
from pygeoapi.process.manager.dummy import DummyManager
from pygeoapi.util import JobStatus, RequestedResponse
from shapely.errors import ShapelyError

from geo.errors import InvalidInput, NotFound
from geo.geojson import check_positions
from layers.records import read_table, records_from_table
from linking.bulk import targets
from linking.roles import LINKER, role_url
from services.link_job import (
    INCIDENTS,
    LinkSettings,
    link_records,
    record_dates,
    stored_records,
)
from services.provider import app_of
from versioning.database import connect
from versioning.instants import parse_instant

MAX_FEATURES = 100_000  # the body's size (STRATA_MAX_BODY_BYTES) bites first
DEFAULT_TO = ["municipalities", "districts", "streets"]


def _t(fr: str, nl: str, en: str) -> dict[str, str]:
    return {"fr": fr, "nl": nl, "en": en}


PROCESS_METADATA: dict[str, Any] = {
    "version": "1.0.0",
    "id": "link",
    "title": _t("Lier à la carte de leur date", "Koppelen aan de kaart van hun datum",
                "Link to the map of their date"),
    "description": _t(
        "Relie chaque enregistrement (point ou polygone) à la commune et au quartier qui le "
        "contiennent et à la rue la plus proche, dans l'édition en vigueur à sa propre date.",
        "Koppelt elk record (punt of veelhoek) aan de gemeente en de wijk die het bevatten en "
        "aan de dichtste straat, in de editie die op zijn eigen datum gold.",
        "Ties each record (point or polygon) to the municipality and district that contain it "
        "and to the nearest street, in the edition in force at the record's own date."),
    "jobControlOptions": ["sync-execute"],
    "keywords": ["link", "spatial join", "versioned", "Brussels"],
    "links": [],
    "inputs": {
        "features": {
            "title": "Records (GeoJSON)",
            "description": "A GeoJSON FeatureCollection in CRS84 (longitude, latitude); the "
                           "request body is limited in size (1.5 MB by default, about 5,000 "
                           "dated points): link larger sets with `strata link`. Give this "
                           "or collection.",
            "schema": {"type": "object", "contentMediaType": "application/geo+json"},
            "minOccurs": 0, "maxOccurs": 1,
        },
        "csv": {
            "title": "Records (CSV)",
            "description": "CSV text with a header line and coordinate columns: lon / lat "
                           "(degrees, CRS84) or x / y with crs, found by name, or named by "
                           "xy; every other column is kept with its type. Give this, "
                           "features or collection.",
            "schema": {"type": "string", "contentMediaType": "text/csv"},
            "minOccurs": 0, "maxOccurs": 1,
        },
        "xy": {
            "title": "Coordinate columns (CSV)",
            "description": "The CSV's columns of x (longitude) and y (latitude), when they "
                           "are not named lon / lat or x / y.",
            "schema": {"type": "array", "items": {"type": "string"}, "minItems": 2,
                       "maxItems": 2},
            "minOccurs": 0, "maxOccurs": 1,
        },
        "crs": {
            "title": "CRS of the CSV's coordinates",
            "description": "CRS84 for lon / lat columns; x / y need one (EPSG:31370, ...).",
            "schema": {"type": "string"}, "minOccurs": 0, "maxOccurs": 1,
        },
        "collection": {
            "title": "Stored records",
            "description": "Link a stored layer's current features (permits, worksites, "
                           "no2_points, ...) or the public incidents (incidents) instead.",
            "schema": {"type": "string"},
            "minOccurs": 0, "maxOccurs": 1,
        },
        "date_field": {
            "title": "Date field",
            "description": "The property holding each record's date (ISO 8601).",
            "schema": {"type": "string"}, "minOccurs": 0, "maxOccurs": 1,
        },
        "date": {
            "title": "Date",
            "description": "The date of records without one (YYYY-MM-DD).",
            "schema": {"type": "string", "format": "date"}, "minOccurs": 0, "maxOccurs": 1,
        },
        "to": {
            "title": "Layers to link to",
            "schema": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_TO},
            "minOccurs": 0, "maxOccurs": 1,
        },
        "within": {
            "title": "Search distance (m)",
            "description": "Distance within which the nearest street is sought.",
            "schema": {"type": "number", "minimum": 0},  # default: street_search_m
            "minOccurs": 0, "maxOccurs": 1,
        },
    },
    "outputs": {
        "linked": {
            "title": "Linked records",
            "description": "The records with, per layer, the feature's id, names, the edition "
                           "that answered (and the distance for streets).",
            "schema": {"type": "object", "contentMediaType": "application/geo+json"},
        }
    },
    "example": {"inputs": {
        "features": {"type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [4.3524, 50.8467]},
            "properties": {"reported": "2016-05-01"}}]},
        "date_field": "reported"}},
}


def _csv_records(data: dict[str, Any]) -> gpd.GeoDataFrame:
    """The records of the ``csv`` input (text, or a qualified value with its media type)."""
    text = data["csv"]
    if isinstance(text, dict) and "value" in text:
        text = text["value"]
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("csv must be CSV text with a header line",
                           hint='for example "csv": "id,lon,lat,date\n1,4.3524,50.8467,'
                                '2016-05-01\n"')
    xy = data.get("xy")
    if xy is not None and (not isinstance(xy, list) or len(xy) != 2
                           or not all(isinstance(c, str) for c in xy)):
        raise InvalidInput("xy must name two columns", hint='for example "xy": ["x", "y"]')
    crs = data.get("crs")
    if crs is not None and not isinstance(crs, str):
        raise InvalidInput("crs must be text", hint='for example "crs": "EPSG:31370"')
    frame = records_from_table(read_table(text, "csv"), "csv",
                               (xy[0], xy[1]) if xy else None, crs)
    if frame.empty:
        raise InvalidInput("the CSV has no records", hint="send at least one row")
    return frame


def _records(data: dict[str, Any], store: Any, connect_reader: Any) -> gpd.GeoDataFrame:
    features, collection = data.get("features"), data.get("collection")
    given = [k for k in ("features", "csv", "collection") if data.get(k) is not None]
    if len(given) != 1:
        raise InvalidInput("give one of features (GeoJSON), csv or collection"
                           + (f", not {' and '.join(given)}" if given else ""),
                           hint='for example {"inputs": {"collection": "permits", '
                                '"date_field": "submitted"}}')
    if data.get("csv") is not None:
        return _csv_records(data)
    if collection is not None:
        if collection != INCIDENTS and collection not in store.catalogue.layers:
            raise InvalidInput(f"no collection {collection!r} to link",
                               hint=f"one of: {INCIDENTS}, "
                                    f"{', '.join(store.catalogue.layers)}")
        frame = stored_records(connect_reader, store.catalogue, collection)
        if frame.empty:
            raise InvalidInput(f"the collection {collection} has no records to link",
                               hint="give features (GeoJSON) or csv, or a collection that "
                                    "has records")
        return frame
    if not isinstance(features, dict) or features.get("type") != "FeatureCollection":
        raise InvalidInput("features must be a GeoJSON FeatureCollection",
                           hint='{"type": "FeatureCollection", "features": [...]}')
    items = features.get("features") or []
    if len(items) > MAX_FEATURES:
        raise InvalidInput(f"{len(items):,} features: at most {MAX_FEATURES:,} per request",
                           hint="split them, or link a file of any size with `strata link`")
    for item in items:
        geometry = item.get("geometry") if isinstance(item, dict) else None
        if isinstance(geometry, dict):
            check_positions(geometry)
    try:
        frame = gpd.GeoDataFrame.from_features(items, crs=4326)
    except (TypeError, ValueError, KeyError, AttributeError, ShapelyError) as exc:
        raise InvalidInput(f"features are not valid GeoJSON: {exc}",
                           hint="each feature needs a geometry and properties") from None
    if frame.empty:
        raise InvalidInput("the FeatureCollection has no features",
                           hint="send at least one feature with a geometry")
    if frame.geometry.isna().any() or frame.geometry.is_empty.any():
        raise InvalidInput("some features have no geometry",
                           hint="every record needs a point, line or polygon")
    coords = shapely.get_coordinates(frame.geometry.to_numpy())
    if not np.isfinite(coords).all():
        raise InvalidInput("some coordinates are not finite numbers",
                           hint="give longitude / latitude in degrees (CRS84)")
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        metres = bool(((np.abs(coords) > 1000) & (np.abs(coords) < 1e7)).all())
        raise InvalidInput(
            "some coordinates are not longitude -180..180 and latitude -90..90 (CRS84)",
            hint="these look like metres (Lambert 72?): convert them to CRS84 longitude / "
                 "latitude, or link the file with `strata link`, which reads its CRS"
            if metres else "give longitude first, then latitude, in degrees")
    return frame


def _iso(value: Any) -> str:
    """Dates and instants in ISO 8601, in JSON."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class LinkProcessor(BaseProcessor):  # type: ignore[misc]
    """``link``: the records, linked as of each one's date."""

    def __init__(self, processor_def: dict[str, Any]) -> None:
        self.store, self.service = app_of(processor_def)
        metadata = copy.deepcopy(PROCESS_METADATA)
        # the one nearest-street radius, from config/responsibility.yml
        metadata["inputs"]["within"]["schema"]["default"] = self.store.rules.street_search_m
        super().__init__(processor_def, metadata)

    def execute(self, data: dict[str, Any], outputs: Any = None) -> tuple[str, Any]:
        store = self.store
        schema = store.settings.schema_name
        # the linker reads like the reader, and keeps the link's tables in temporary ones
        url = self.service.linker_database_url or role_url(store.url, LINKER)

        def connect_reader() -> Any:
            return connect(url, schema, application="strata-link")

        frame = _records(data, store, connect_reader)
        to = data.get("to", DEFAULT_TO)
        if isinstance(to, str):
            to = [t.strip() for t in to.split(",") if t.strip()]
        if not isinstance(to, list) or not all(isinstance(t, str) for t in to):
            raise InvalidInput("to must be a list of layer ids",
                               hint='for example "to": ["municipalities", "streets"]')
        try:
            within = float(data.get("within", store.rules.street_search_m))
        except (TypeError, ValueError):
            raise InvalidInput(f"within must be a number of metres, not {data['within']!r}",
                               hint='for example "within": 50') from None
        try:
            targets(store.catalogue, to, within)
        except NotFound as err:  # a wrong input value, not a missing resource
            raise InvalidInput(err.message, err.hint) from None
        default = parse_instant(data["date"]) if data.get("date") else None
        at = record_dates(frame, data.get("date_field"), default)
        linked, _ = link_records(connect_reader, store.catalogue, frame, to, at, within,
                                 dask=LinkSettings().dask)
        linked = linked.to_crs(4326)
        for col in linked.columns[linked.dtypes.astype(str) == "Int64"]:  # ints, not floats
            linked[col] = linked[col].astype(object).where(linked[col].notna(), None)
        text = linked.to_json(drop_id=True, na="null", default=_iso)
        return "application/geo+json", json.loads(text)


class StrataManager(DummyManager):  # type: ignore[misc]
    """pygeoapi's synchronous manager, except that a Strata error is not turned into
    pygeoapi's own: it reaches the app's handler, which answers it in the one error shape
    (status from its class, description and hint)."""

    def execute_process(self, process_id: str, data_dict: dict[str, Any],
                        execution_mode: Any = None, requested_outputs: Any = None,
                        subscriber: Any = None,
                        requested_response: Any = RequestedResponse.raw.value) -> Any:
        processor = self.get_processor(process_id)
        mime, outputs = processor.execute(data_dict, outputs=requested_outputs)
        headers = {"Preference-Applied": "wait"} if execution_mode is not None else None
        if requested_response == RequestedResponse.document.value:
            # OGC API Processes: the results of a document response, keyed by output id
            outputs = {next(iter(processor.metadata["outputs"])): outputs}
        return str(uuid.uuid1()), mime, outputs, JobStatus.successful, headers
