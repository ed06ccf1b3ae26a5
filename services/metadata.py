# SPDX-License-Identifier: EUPL-1.2
"""ISO 19139 metadata records (``gmd:MD_Metadata``) per data set, generated from the
catalogue: titles and abstracts in fr (with nl and en as free-text translations), INSPIRE
theme, extents (space and the editions' time span), CRSs, licence, download links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from string import Template
from xml.sax.saxutils import escape as x

from geo.city import REGION_BBOX
from layers.catalogue import LayerSpec
from services.pygeoapi_config import ABSTRACT, INSPIRE_THEMES, LICENCE_URL, TITLE


@cache
def _template(name: str = "iso19139") -> Template:
    """A template of services/templates (the record, or one of its optional parts)."""
    return Template(resources.files("services").joinpath("templates", f"{name}.xml")
                    .read_text("utf-8"))


NS = ('xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" '
      'xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:xlink="http://www.w3.org/1999/xlink" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
LANG3 = {"fr": "fre", "nl": "dut", "en": "eng"}


def _cs(value: str) -> str:
    return f"<gco:CharacterString>{x(value)}</gco:CharacterString>"


def _free_text(texts: dict[str, str]) -> str:
    """fr as the main text, nl and en as PT_FreeText translations."""
    groups = "".join(
        f'<gmd:textGroup><gmd:LocalisedCharacterString locale="#{LANG3[lang].upper()}">'
        f"{x(texts[lang])}</gmd:LocalisedCharacterString></gmd:textGroup>"
        for lang in ("nl", "en"))
    return (f'xsi:type="gmd:PT_FreeText_PropertyType">{_cs(texts["fr"])}'
            f"<gmd:PT_FreeText>{groups}</gmd:PT_FreeText>")


@dataclass(frozen=True)
class Described:
    """What a metadata record describes: a data set (a layer) or the series (the map)."""

    record_id: str
    scope: str  # dataset | series
    title: dict[str, str]
    abstract: dict[str, str]
    theme: str | None
    api_url: str
    download_url: str
    bbox: list[float] | None
    first: dt.date | None
    last: dt.date | None


def of_layer(spec: LayerSpec, base: str, bbox: list[float] | None, first: dt.date | None,
             last: dt.date | None) -> Described:
    """A layer as a data set."""
    return Described(spec.id, "dataset", spec.title.model_dump(), spec.description.model_dump(),
                     spec.inspire_theme, f"{base}/collections/{spec.id}",
                     f"{base}/collections/{spec.id}/download?f=gpkg", bbox, first, last)


def of_map(base: str, extents: dict[str, tuple[list[float] | None, dt.date | None,
                                              dt.date | None]]) -> Described:
    """The whole map as a data set series (what ``/collections`` describes)."""
    boxes = [b for b, _, _ in extents.values() if b]
    bbox = ([min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
             max(b[3] for b in boxes)] if boxes else None)
    firsts = [f for _, f, _ in extents.values() if f]
    lasts = [lt for _, _, lt in extents.values() if lt]
    return Described("brussels", "series", TITLE, ABSTRACT, None, f"{base}/collections",
                     f"{base}/download?f=gpkg", bbox, min(firsts, default=None),
                     max(lasts, default=None))


# per INSPIRE theme: its label in GEMET's INSPIRE themes (in French, the record's language)
# and the ISO 19115 topic category INSPIRE's metadata guidelines map it to
THEME_LABELS = {"au": "Unités administratives", "su": "Unités statistiques",
                "tn": "Réseaux de transport", "ef": "Installations de suivi environnemental",
                "us": "Services d'utilité publique et services publics"}
TOPICS = {"au": "boundaries", "su": "boundaries", "tn": "transportation",
          "ef": "environment", "us": "utilitiesCommunication"}
TOPIC_WITHOUT_THEME = "planningCadastre"  # permits: not an INSPIRE theme of Strata's
LINEAGE = ("Chaque édition de la source publiée (UrbIS, OpenStreetMap, IRCEL-CELINE, OSIRIS, "
           "NOVA) chargée par Strata en EPSG:31370, géométries rendues valides, chaque version "
           "gardée avec sa période de validité.")


def iso19139(d: Described) -> str:
    """The ISO 19139 record (``gmd:MD_Metadata``): its INSPIRE theme as a keyword of GEMET
    (none without a theme), its topic category, its editions' period (none without an
    edition), a point of contact, access and use constraints, and its lineage."""
    west, south, east, north = d.bbox or list(REGION_BBOX)
    theme = INSPIRE_THEMES.get(d.theme or "", ("", ""))[0]
    keywords = _template("iso19139_keyword").substitute(
        theme_uri=x(theme), theme=x(THEME_LABELS.get(d.theme or "", "")),
        gemet=_cs("GEMET - INSPIRE themes, version 1.0")).strip() if theme else ""
    temporal = _template("iso19139_period").substitute(
        record_id=d.record_id, begin=d.first.isoformat()).strip() if d.first else ""
    crs_refs = "".join(
        "<gmd:referenceSystemInfo><gmd:MD_ReferenceSystem><gmd:referenceSystemIdentifier>"
        f"<gmd:RS_Identifier><gmd:code>{_cs(f'http://www.opengis.net/def/crs/EPSG/0/{c}')}"
        "</gmd:code></gmd:RS_Identifier></gmd:referenceSystemIdentifier>"
        "</gmd:MD_ReferenceSystem></gmd:referenceSystemInfo>" for c in (31370, 4258, 3035, 3812))
    values = {
        "ns": NS, "file_id": _cs(f"strata-{d.record_id}"), "org": _cs("Strata"),
        "email": _cs("strata@example.org"), "scope": d.scope,
        "date_stamp": (d.last or dt.date.today()).isoformat(),
        "standard": _cs("ISO 19115:2003/19139"), "crs_refs": crs_refs,
        "title": _free_text(d.title), "created": (d.first or dt.date.today()).isoformat(),
        "identifier": _cs(d.api_url), "abstract": _free_text(d.abstract),
        "theme_keywords": keywords, "temporal": temporal,
        "topic": TOPICS.get(d.theme or "", TOPIC_WITHOUT_THEME), "lineage": _cs(LINEAGE),
        "licence": _cs(f"Licence: {LICENCE_URL}"),
        "west": west, "east": east, "south": south, "north": north, "record_id": d.record_id,
        "api_url": x(d.api_url),
        "download_url": x(d.download_url),
        "proto_api": _cs("OGC API - Features"),
        "proto_dl": _cs("WWW:DOWNLOAD-1.0-http--download"),
    }
    return _template().substitute(values)


def html_page(d: Described, lang: str) -> str:
    """The same metadata for people, in the asked language."""
    title, abstract = d.title.get(lang, d.title["en"]), d.abstract.get(lang, d.abstract["en"])
    rows = [("INSPIRE", d.theme or "-"),
            ("Editions" if lang == "en" else "Éditions" if lang == "fr" else "Edities",
             f"{d.first or '-'} … {d.last or '-'}"),
            ("BBox (CRS84)", ", ".join(map(str, d.bbox or []))),
            ("Licence", f'<a href="{LICENCE_URL}">{LICENCE_URL}</a>')]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return (f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
            f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(abstract)}</p>"
            f"<table>{cells}</table>"
            f'<p><a href="{escape(d.api_url)}">OGC API</a> · '
            f'<a href="{escape(d.download_url)}">GeoPackage</a></p></html>')
