# SPDX-License-Identifier: EUPL-1.2
"""ISO 19139 metadata records (``gmd:MD_Metadata``) per data set, generated from the
catalogue: titles and abstracts in fr (with nl and en as free-text translations), INSPIRE
theme, extents (space and the editions' time span), CRSs, licence, download links."""

from __future__ import annotations

import datetime as dt
from functools import cache
from html import escape
from importlib import resources
from string import Template
from xml.sax.saxutils import escape as x

from layers.catalogue import LayerSpec
from services.pygeoapi_config import INSPIRE_THEMES, LICENCE_URL


@cache
def _template() -> Template:
    return Template(resources.files("services").joinpath("templates", "iso19139.xml")
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


def iso19139(spec: LayerSpec, base: str, bbox: list[float] | None,
             first: dt.date | None, last: dt.date | None) -> str:
    """The ISO 19139 record of one data set."""
    west, south, east, north = bbox or [4.24, 50.76, 4.48, 50.92]
    theme = INSPIRE_THEMES.get(spec.inspire_theme or "", ("", ""))[0]
    crs_refs = "".join(
        "<gmd:referenceSystemInfo><gmd:MD_ReferenceSystem><gmd:referenceSystemIdentifier>"
        f"<gmd:RS_Identifier><gmd:code>{_cs(f'http://www.opengis.net/def/crs/EPSG/0/{c}')}"
        "</gmd:code></gmd:RS_Identifier></gmd:referenceSystemIdentifier>"
        "</gmd:MD_ReferenceSystem></gmd:referenceSystemInfo>" for c in (31370, 4258, 3035, 3812))
    title = spec.title.model_dump()
    abstract = spec.description.model_dump()
    values = {
        "ns": NS, "file_id": _cs(f"strata-{spec.id}"), "org": _cs("Strata"),
        "email": _cs("strata@example.org"),
        "date_stamp": (last or dt.date.today()).isoformat(),
        "standard": _cs("ISO 19115:2003/19139"), "crs_refs": crs_refs,
        "title": _free_text(title), "created": (first or dt.date.today()).isoformat(),
        "identifier": _cs(f"{base}/collections/{spec.id}"), "abstract": _free_text(abstract),
        "theme_uri": x(theme), "theme": x(spec.inspire_theme or ""),
        "gemet": _cs("GEMET - INSPIRE themes, version 1.0"),
        "licence": _cs(f"Licence: {LICENCE_URL}"),
        "west": west, "east": east, "south": south, "north": north, "layer_id": spec.id,
        "begin": first.isoformat() if first else "", "base": x(base),
        "proto_api": _cs("OGC API - Features"),
        "proto_dl": _cs("WWW:DOWNLOAD-1.0-http--download"),
    }
    return _template().substitute(values)


def html_page(spec: LayerSpec, lang: str, base: str, bbox: list[float] | None,
              first: dt.date | None, last: dt.date | None) -> str:
    """The same metadata for people, in the asked language."""
    rows = [("INSPIRE", spec.inspire_theme or "-"),
            ("Editions" if lang == "en" else "Éditions" if lang == "fr" else "Edities",
             f"{first or '-'} … {last or '-'}"),
            ("BBox (CRS84)", ", ".join(map(str, bbox or []))),
            ("Licence", f'<a href="{LICENCE_URL}">{LICENCE_URL}</a>')]
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return (f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
            f"<title>{escape(spec.title.get(lang))}</title>"
            f"<h1>{escape(spec.title.get(lang))}</h1><p>{escape(spec.description.get(lang))}</p>"
            f"<table>{cells}</table>"
            f'<p><a href="{base}/collections/{spec.id}/metadata?f=xml">ISO 19139</a> · '
            f'<a href="{base}/collections/{spec.id}/download?f=gpkg">GeoPackage</a></p></html>')
