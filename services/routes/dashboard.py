# SPDX-License-Identifier: EUPL-1.2
"""The Smart City dashboard at ``/dashboard`` (issue 13, part 4).

A plain HTML page with JavaScript modules (``services/static/dashboard/``, no build step) and
Chart.js, vendored with its licence under ``services/static/vendor/`` by
``scripts/vendor-frontend.sh`` from ``frontend/package-lock.json``. Every figure it shows is
read from Strata's own collections as JSON (``incidents_district_month``, ``incidents`` with
the category families of ``/open311/v2/services.json``, ``worksite_links``,
``no2_district_year``, ``no2_station_series``), and every panel's figures
download as CSV built in the page from the same JSON. The map of reports per district draws
the viewer's tiles of ``districts`` (MapLibre, vendored) as of the middle of the year.
Nothing is loaded from another host.

The state lives in the URL::

    /dashboard?reports=2026&works=2024&no2=2019&source=irceline&lang=nl

The server checks those parameters (a mistyped link is a 400 saying what to fix) and hands
the page its configuration: the collections it reads, the limits NO2 is compared with.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from geo.errors import InvalidInput
from services import ogc_params as p
from services.language import LANGUAGES
from services.routes.viewer import ASSETS, STATIC
from services.web import language

PAGE = STATIC / "dashboard" / "index.html"
YEARS = ("reports", "works", "no2")  # each panel's year in the URL
SOURCES = ("irceline", "curieuzenair")  # the sources of no2_district_year
PARAMS = {*YEARS, "source", "lang"}
EU_LIMIT_UG_M3 = 40  # Directive 2008/50/EC, annual mean NO2
WHO_GUIDELINE_UG_M3 = 10  # WHO global air quality guidelines (2021), annual mean NO2
TITLE = {"en": "Strata: Brussels in figures",
         "fr": "Strata : Bruxelles en chiffres",
         "nl": "Strata: Brussel in cijfers"}
COLLECTIONS = {"reports": "incidents_district_month", "incidents": "incidents",
               "works": "worksite_links",
               "no2": "no2_district_year", "stations": "no2_station_series"}
# what each panel reads of its collection (main.js asks exactly these, page after page)
READS = {"reports": {}, "incidents": {"properties": "service_code,requested_at"},
         "works": {"properties": "start_date,end_date,municipality_id,municipality_fr,"
                                 "municipality_nl"},
         "no2": {}, "stations": {"properties": "id,station,year,no2_ug_m3"}}
FIRST_PAGE = {"f": "json", "limit": "10000", "skipGeometry": "true"}


def landing_links(base: str) -> list[dict[str, str]]:
    """The landing page's link to the dashboard (services/routes/inspire.py)."""
    return [{"rel": "related", "type": "text/html",
             "title": "Brussels in figures (dashboard)", "href": f"{base}/dashboard"}]


def _check(request: Request) -> None:
    """The page's parameters, as the page reads them (so that a bad link says why)."""
    q = request.query_params
    p.check_known(q, PARAMS)
    for name in YEARS:
        if name in q and not re.fullmatch(r"(19|20)\d\d", q[name]):
            raise InvalidInput(f"{name}={q[name]} is not a year",
                               hint=f"{name}= takes a year of four digits, e.g. {name}=2021")
    if "source" in q and q["source"] not in SOURCES:
        raise InvalidInput(f"source={q['source']} is not a source of NO2 means",
                           hint="use source=irceline (stations) or source=curieuzenair")
    if "lang" in q and q["lang"] not in LANGUAGES:
        raise InvalidInput(f"lang={q['lang']} is not a language of Strata",
                           hint="use lang=fr, lang=nl or lang=en")


def page_config() -> dict[str, Any]:
    """What the page needs from the server: the collections it reads, the NO2 limits."""
    return {"assets": ASSETS, "collections": COLLECTIONS, "reads": READS,
            "first_page": FIRST_PAGE, "sources": list(SOURCES),
            "eu_limit": EU_LIMIT_UG_M3, "who_guideline": WHO_GUIDELINE_UG_M3}


def first_pages(lang: str) -> list[str]:
    """The URLs main.js asks first (each panel's first page, the categories), in the form it
    writes them (URLSearchParams: the first page's parameters, then the panel's): preloaded
    by the page, they load while the scripts do."""
    return [*(f"/collections/{COLLECTIONS[panel]}/items?{urlencode({**FIRST_PAGE, **reads})}"
              for panel, reads in READS.items()),
            f"/open311/v2/services.json?{urlencode({'lang': lang})}"]


def dashboard(request: Request) -> Response:
    """``/dashboard``: the dashboard (its state in the query string)."""
    _check(request)
    lang = language(request)
    config = json.dumps(page_config(), ensure_ascii=False).replace("</", "<\\/")
    text = (PAGE.read_text(encoding="utf-8")
            .replace("__LANG__", lang)
            .replace("__TITLE__", html.escape(TITLE[lang]))
            .replace("__ASSETS__", ASSETS)
            .replace("__PRELOAD__", "\n  ".join(
                f'<link rel="preload" as="fetch" crossorigin href="{html.escape(url)}">'
                for url in first_pages(lang)))
            .replace("__CONFIG__", config))
    return HTMLResponse(text, headers={"Content-Language": lang, "Cache-Control": "no-cache"})
