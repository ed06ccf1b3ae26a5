# SPDX-License-Identifier: EUPL-1.2
"""OGC API Records: a catalogue describing every data set (titles and abstracts in fr, nl,
en; spatial and temporal extent from its editions; licence, INSPIRE theme, links).

The records are written once per app start (``write_records``) and served by
:class:`CatalogueRecordsProvider`, a pygeoapi record provider searchable with q, bbox and
datetime (a data set matches a date when one of its editions was in force then)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pygeoapi.provider.base import (
    BaseProvider,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)

from geo.city import REGION_BBOX
from geo.errors import InvalidInput
from layers.catalogue import Catalogue
from services.pygeoapi_config import INSPIRE_THEMES, LICENCE_URL

Extents = dict[str, tuple[list[float] | None, dt.date | None, dt.date | None]]


def build_records(catalogue: Catalogue, extents: Extents, base: str) -> list[dict[str, Any]]:
    """One record per data set."""
    out = []
    for spec in catalogue.layers.values():
        bbox, first, last = extents.get(spec.id, (None, None, None))
        w, s, e, n = bbox or list(REGION_BBOX)
        theme = INSPIRE_THEMES.get(spec.inspire_theme or "")
        out.append({
            "id": spec.id,
            "type": "Feature",
            "conformsTo": ["http://www.opengis.net/spec/ogcapi-records-1/1.0/req/record-core"],
            "geometry": {"type": "Polygon",
                         "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
            # from the first edition on, still valid (Records' time.yaml: ".." for an open
            # end); none without an edition
            "time": {"interval": [first.isoformat(), ".."]} if first else None,
            "properties": {
                "type": "dataset",
                "title": spec.title.model_dump(),
                "description": spec.description.model_dump(),
                "keywords": ["Brussels", "UrbIS", spec.id],
                "themes": [{"concepts": [{"id": spec.inspire_theme}],
                            "scheme": "http://inspire.ec.europa.eu/theme"}] if theme else [],
                "language": {"code": "fr"},
                "languages": [{"code": c} for c in ("fr", "nl", "en")],
                "license": LICENCE_URL,
                "attribution": (catalogue.attribution[spec.attribution].model_dump()
                                if spec.attribution else None),
                "created": first.isoformat() if first else None,
                "updated": last.isoformat() if last else None,
                "editions": [e.date.isoformat() for e in spec.editions],
            },
            "links": [
                {"rel": "collection", "type": "application/json", "title": spec.title.en,
                 "href": f"{base}/collections/{spec.id}"},
                {"rel": "items", "type": "application/geo+json",
                 "href": f"{base}/collections/{spec.id}/items"},
                {"rel": "enclosure", "type": "application/geopackage+sqlite3",
                 "href": f"{base}/collections/{spec.id}/download?f=gpkg"},
                {"rel": "describedby", "type": "application/xml",
                 "href": f"{base}/collections/{spec.id}/metadata?f=xml"},
                {"rel": "license", "type": "text/html", "href": LICENCE_URL},
            ],
        })
    return out


def write_records(records: list[dict[str, Any]], path: Path) -> Path:
    """Store the records for the provider."""
    path.write_text(json.dumps(records, ensure_ascii=False))
    return path


def localised(record: dict[str, Any], lang: str) -> dict[str, Any]:
    """A record with its title, description and attribution in ``lang``."""
    out = json.loads(json.dumps(record))
    for key in ("title", "description", "attribution"):
        if isinstance(record["properties"].get(key), dict):
            out["properties"][key] = record["properties"][key].get(lang) or \
                record["properties"][key]["en"]
    return out


def _overlaps(record: dict[str, Any], start: dt.date | None, end: dt.date | None) -> bool:
    if record["time"] is None:  # no edition yet: of no date
        return False
    first = record["time"]["interval"][0]
    return end is None or dt.date.fromisoformat(first) <= end


def search(records: list[dict[str, Any]], q: str | None = None,
           bbox: Sequence[float] | None = None, datetime_: str | None = None
           ) -> list[dict[str, Any]]:
    """The records matching every given criterion. ``q``: OGC API Records' comma-separated
    search terms (a space is part of a term), any of which a record's title, description,
    keywords or id holds, in any language, in any case."""
    from services.ogc_params import datetime_param

    found = records
    terms = [t.strip().lower() for t in (q or "").split(",") if t.strip()]
    if terms:
        found = [r for r in found if any(t in _text(r) for t in terms)]
    if bbox:
        x1, y1, x2, y2 = bbox[:4] if len(bbox) == 4 else [bbox[0], bbox[1], bbox[3], bbox[4]]

        def inside(r: dict[str, Any]) -> bool:
            ring = r["geometry"]["coordinates"][0]
            w, s, e, n = ring[0][0], ring[0][1], ring[2][0], ring[2][1]
            return not (e < x1 or w > x2 or n < y1 or s > y2)

        found = [r for r in found if inside(r)]
    if datetime_:
        at, interval = datetime_param(datetime_)
        start, end = (at, at) if at else interval or (None, None)
        found = [r for r in found if _overlaps(r, start and start.date(), end and end.date())]
    return found


def _text(record: dict[str, Any]) -> str:
    """What ``q`` searches in a record: its texts in every language, lower case, one a line
    (never the JSON around them: a quote or a colon is in every record's JSON)."""
    props = record["properties"]
    out: list[str] = [str(record["id"])]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif value is not None:
            out.append(str(value))

    for name in ("title", "description", "keywords"):
        walk(props.get(name))
    return "\n".join(out).lower()


class CatalogueRecordsProvider(BaseProvider):
    """The records of the data sets, for pygeoapi (its HTML pages)."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        self.records = json.loads(Path(self.data).read_text())
        self._fields = {"title": {"type": "string"}, "description": {"type": "string"},
                        "type": {"type": "string"}, "q": {"type": "string"}}

    def get_fields(self) -> dict[str, dict[str, str]]:
        """Queryable fields of the records."""
        return self._fields

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              bbox: list | None = None, datetime_: str | None = None, q: str | None = None,
              **kwargs: Any) -> dict[str, Any]:
        """Records matching every given criterion (titles in English: pygeoapi 0.24 does
        not negotiate provider languages; the JSON route does)."""
        try:
            found = search(self.records, q, bbox, datetime_)
        except InvalidInput as exc:
            raise ProviderInvalidQueryError(user_msg=exc.message) from None
        page = found[offset:offset + limit]
        return {"type": "FeatureCollection", "numberMatched": len(found),
                "numberReturned": len(page), "features": [localised(r, "en") for r in page]}

    def get(self, identifier: str, **kwargs: Any) -> dict[str, Any]:
        """One record."""
        for r in self.records:
            if r["id"] == identifier:
                return localised(r, "en")
        raise ProviderItemNotFoundError(user_msg=f"no record {identifier!r}")
