# SPDX-License-Identifier: EUPL-1.2
"""The planner's viewer at ``/map``, and Strata's own static files at ``/assets``.

The page is plain HTML with JavaScript modules (``services/static/viewer/``: no build step)
on MapLibre GL JS, vendored with its licence under ``services/static/vendor/`` by
``scripts/vendor-frontend.sh`` from ``frontend/package-lock.json``. It draws the map of a date
from Strata's time-aware vector tiles (``/tiles``, ``/collections/{id}/tiles``), compares two
dates with the changes tiles and ``/collections/{id}/changes``, shows a feature's versions,
and builds the download URLs. Nothing is loaded from another host (no web fonts, no glyphs:
MapLibre draws no text).

The state lives in the URL, so that a planner can send a link::

    /map?layers=streets,municipalities&date=2016-01-01&compare=2021-04-12&mode=swipe&lang=nl

The server checks those parameters (a mistyped link is a 400 saying what to fix) and hands
the page what it cannot ask the API for: which collections are versioned layers (with their
key and geometry type), the basemap's layers, the CRSs and formats of the downloads.
pygeoapi owns ``/static``: Strata's files are served at ``/assets``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from geo.city import CITY_TZ
from geo.crs import SUPPORTED
from geo.errors import InvalidInput, StrataError
from services import ogc_params as p
from services.error_text import localise
from services.http_errors import status_of
from services.language import DEFAULT, LANGUAGES, request_language
from services.routes import coverages, features
from services.web import (
    base_url,
    catalogue,
    language,
    layer,
    link_header,
    matches,
    prefers_html,
    wants_html,
)
from versioning.export import DIFF_FORMATS, FORMATS
from versioning.filters import LIFESPAN
from versioning.instants import parse_date

STATIC = Path(__file__).resolve().parent.parent / "static"
PAGE = STATIC / "viewer" / "index.html"
ASSETS = "/assets"
BASEMAP = ("region", "municipalities", "districts", "streets")  # the layers of /tiles
DEFAULT_LAYERS = "municipalities"  # drawn over the basemap when the URL names none
MODES = ("side", "swipe")
PARAMS = {"layers", "date", "compare", "mode", "lang", "changes", "surface", "feature"}
# the surfaces the map can draw (surface=): the stations' yearly ones, the campaign's
SURFACES = {"no2": coverages.NO2_COLLECTION, "no2-curieuzenair": coverages.CAMPAIGN_COLLECTION}
TITLE = {"en": "Strata: the map of Brussels on any date",
         "fr": "Strata : la carte de Bruxelles à toute date",
         "nl": "Strata: de kaart van Brussel op elke datum"}


def landing_links(base: str) -> list[dict[str, str]]:
    """The landing page's link to the viewer (services/routes/inspire.py)."""
    return [{"rel": "related", "type": "text/html", "title": "The map of any date (viewer)",
             "href": f"{base}/map"}]


class Assets(StaticFiles):
    """``services/static``, each answer with ``Cache-Control: no-cache``: a browser keeps the
    files but asks again each time (a 304 by their ETag when unchanged), so that after an
    upgrade no page runs an old script with a new one (without the header a browser guesses
    a freshness from the file's age)."""

    def file_response(self, full_path: Any, stat_result: Any, scope: Any,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


def assets() -> StaticFiles:
    """The app serving ``services/static`` (mounted at ``/assets``)."""
    return Assets(directory=STATIC)


def _check(request: Request) -> None:
    """The page's parameters, as the page reads them (so that a bad link says why)."""
    q = request.query_params
    p.check_known(q, PARAMS)
    layers = catalogue(request).layers
    unknown = [c for c in q.get("layers", "").split(",") if c and c not in layers]
    if unknown:
        raise InvalidInput(f"unknown layer(s) {', '.join(unknown)}",
                           hint=f"layers= takes a comma-separated list of: {', '.join(layers)}")
    if "changes" in q and q["changes"] not in layers:
        raise InvalidInput(f"changes={q['changes']} is not a layer",
                           hint=f"changes= takes one layer (its changes are coloured while "
                                f"comparing) among: {', '.join(layers)}")
    for name in ("date", "compare"):
        if name in q:
            parse_date(q[name])
    if "mode" in q and q["mode"] not in MODES:
        raise InvalidInput(f"mode={q['mode']} is not a compare mode",
                           hint="use mode=side (side by side) or mode=swipe")
    if "surface" in q and q["surface"] not in SURFACES:
        raise InvalidInput(f"surface={q['surface']} is not a surface of Strata",
                           hint="use surface=no2 (the yearly NO2 surfaces of the stations) or "
                                "surface=no2-curieuzenair (the CurieuzenAir campaign, 2021)")
    if "feature" in q:
        layer_id, _, rest = q["feature"].partition(":")
        key, _, day = rest.partition("@")
        if layer_id not in layers or not key:
            raise InvalidInput(f"feature={q['feature']} is not a layer's feature",
                               hint="feature= takes a layer and a feature's key: "
                                    "feature=municipalities:7400 (and @2016-01-01 for "
                                    "another date than the map's)")
        if day:
            parse_date(day)
    if "lang" in q and q["lang"] not in LANGUAGES:
        raise InvalidInput(f"lang={q['lang']} is not a language of Strata",
                           hint="use lang=fr, lang=nl or lang=en")


def page_config(request: Request) -> dict[str, Any]:
    """What the page needs from the server: the layers, the basemap, the download choices."""
    layers = catalogue(request).layers
    return {
        "assets": ASSETS,
        "layers": [{"id": s.id, "key": s.key.name, "geometry": s.geometry_type,
                    "derived_from": list(s.derived_from)} for s in layers.values()],
        "basemap": [b for b in BASEMAP if b in layers],
        "default_layers": [c for c in DEFAULT_LAYERS.split(",") if c in layers],
        "formats": list(FORMATS),
        "change_formats": ["geojson", "gpkg", "csv", *DIFF_FORMATS],
        "crs": [{"id": "CRS84" if k == "CRS84" else f"EPSG:{k}", "title": c.title}
                for k, c in SUPPORTED.items()],
        # the NO2 surfaces as an image layer: their colour scale (ug/m3) and its two marks
        "surface": {"id": coverages.NO2_COLLECTION, "collections": SURFACES,
                    "ramp": [[stop, "#" + "".join(f"{c:02x}" for c in rgb)]
                             for stop, rgb in coverages.RAMP],
                    "who": coverages.WHO_GUIDELINE, "eu": coverages.EU_LIMIT},
    }


def preloads(request: Request, lang: str) -> str:
    """``<link rel=preload>`` for the documents the page asks first (its layers' editions and
    TileJSON, the basemap's, the titles), so that the browser fetches them while it loads the
    scripts: the first map is drawn sooner. The URLs are exactly those main.js asks."""
    layers = catalogue(request).layers
    chosen = [c for c in request.query_params.get("layers", DEFAULT_LAYERS).split(",")
              if c in layers]
    paths = [f"/collections?f=json&lang={lang}", f"/tiles/WebMercatorQuad?f=tilejson&lang={lang}"]
    for layer_id in dict.fromkeys([*BASEMAP, *chosen]):
        if layer_id in layers:
            paths.append(f"/collections/{layer_id}/editions?f=json")
    paths += [f"/collections/{c}/tiles/WebMercatorQuad?f=tilejson&lang={lang}" for c in chosen]
    return "\n  ".join(f'<link rel="preload" as="fetch" crossorigin href="{html.escape(p)}">'
                       for p in paths)


BAD_LINK = {"en": ("This link to the map is not valid", "Open the map"),
            "fr": ("Ce lien vers la carte n'est pas valide", "Ouvrir la carte"),
            "nl": ("Deze link naar de kaart is niet geldig", "De kaart openen")}


def _bad_link(request: Request, error: InvalidInput) -> Response:
    """A mistyped link to the map, asked by a browser: a page saying what to fix (in the
    one error shape's words, in the page's language) and leading to the map, not JSON."""
    lang = language(request)
    body, _ = localise(error.as_dict(), lang)
    heading, open_map = BAD_LINK[lang]
    return HTMLResponse(_said(lang, heading, body, [(f"/map?lang={lang}", open_map)]),
                        status_code=400, headers={"Content-Language": lang,
                                                  "Cache-Control": "no-cache"})


def _said(lang: str, heading: str, body: dict[str, Any],
          actions: list[tuple[str, str]]) -> str:
    """A page saying an error (its description and hint, already in ``lang``) under a
    heading, with buttons (href, text) leading on."""
    buttons = "".join(f'<a class="button" href="{html.escape(href)}">{html.escape(text)}</a> '
                      for href, text in actions)
    return (f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(heading)}</title>"
            f'<link rel="stylesheet" href="{ASSETS}/viewer/viewer.css"></head>'
            f'<body><main id="bad-link" style="padding:1em 2em">'
            f"<h1>{html.escape(heading)}</h1>"
            f'<p id="status" class="error">{html.escape(body["description"])}</p>'
            f'<p class="note">{html.escape(body.get("hint") or "")}</p>'
            f"<p>{buttons}</p></main></body></html>")


FAVICON = Path(__file__).parent.parent / "static" / "favicon.svg"


def favicon(request: Request) -> Response:
    """``/favicon.ico``: Strata's icon (strata of a map), which browsers ask every page for."""
    p.check_known(request.query_params, set())
    return Response(FAVICON.read_bytes(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


def viewer(request: Request) -> Response:
    """``/map``: the viewer (its state in the query string); a mistyped link is a 400, a
    page for a browser (``_bad_link``), the one error shape for any other client."""
    try:
        _check(request)
    except InvalidInput as error:
        if not prefers_html(request.headers.get("accept", "")):
            raise
        return _bad_link(request, error)
    lang = language(request)
    config = json.dumps(page_config(request), ensure_ascii=False).replace("</", "<\\/")
    text = (PAGE.read_text(encoding="utf-8")
            .replace("__LANG__", lang)
            .replace("__TITLE__", html.escape(TITLE[lang]))
            .replace("__ASSETS__", ASSETS)
            .replace("__PRELOAD__", preloads(request, lang))
            .replace("__CONFIG__", config))
    return HTMLResponse(text, headers={"Content-Language": lang, "Cache-Control": "no-cache"})


# -- the HTML pages of a layer's items, at a date ------------------------------------------------
# pygeoapi renders items pages from its own provider call, which knows no date (the page of
# items/7400?datetime=2016-01-01 showed today's version) and checks datetime against the
# collection's extent (items?datetime=... answered 400). For a layer, Strata renders
# pygeoapi's (overridden) templates from its own answer instead: the map of the date, the
# version alive then, the date shown. Everything else goes where it went.

async def items_page(request: Request) -> Response:
    """``/collections/{id}/items``: a layer's page at ``datetime`` (HTML), else as before."""
    if _layer_page(request):
        try:
            return await _page(request, await features.items(_as_json(request)), items=True)
        except StrataError as error:
            return error_page(request, error)
    return await features.items(request)


async def item_page(request: Request) -> Response:
    """``/collections/{id}/items/{key}``: a feature's page at ``datetime`` (HTML), else as
    before."""
    if _layer_page(request):
        try:
            return await _page(request, await features.item(_as_json(request)), items=False)
        except StrataError as error:
            return error_page(request, error)
    return await features.item(request)


PAGE_ERRORS = {  # the heading of an error page, by status
    410: {"en": "Not on the map of that date", "fr": "Absent de la carte de cette date",
          "nl": "Niet op de kaart van die datum"},
    404: {"en": "Not found", "fr": "Introuvable", "nl": "Niet gevonden"},
    400: {"en": "This address is not valid", "fr": "Cette adresse n'est pas valide",
          "nl": "Dit adres is niet geldig"},
    503: {"en": "Not available right now", "fr": "Indisponible pour le moment",
          "nl": "Op dit moment niet beschikbaar"}}
LATEST = {"en": "See its latest version", "fr": "Voir sa dernière version",
          "nl": "De laatste versie bekijken"}


def error_page(request: Request, error: StrataError) -> Response:
    """An items or item page that cannot be made, asked by a browser: a page in its language
    saying why and what to do (the one error shape's words), leading on to the feature's
    latest version (a 410: it existed, but not then) and to the map, with the error's status
    (and its ``Link`` header); not JSON."""
    status = status_of(error)
    lang = request_language(request.scope) or DEFAULT
    body, _ = localise(error.as_dict(), lang)
    heading = PAGE_ERRORS.get(status, PAGE_ERRORS[503 if status >= 500 else 400])[lang]
    links: list[dict[str, str]] = getattr(error, "links", None) or []  # a 410's
    actions = [(f"{_html_link(lk['href'])}&lang={lang}", LATEST[lang])
               for lk in links if lk.get("rel") == "latest-version"]
    cid = request.path_params.get("collection_id", "")
    layers = f"&layers={cid}" if cid in catalogue(request).layers else ""
    actions.append((f"/map?lang={lang}{layers}", BAD_LINK[lang][1]))
    headers = {"Content-Language": lang, "Cache-Control": "no-cache"}
    if status in (429, 503):
        headers["Retry-After"] = str(getattr(error, "retry_after",
                                             request.app.state.service.retry_after_s))
    if links:
        headers["Link"] = link_header(links)
    return HTMLResponse(_said(lang, heading, body, actions), status_code=status,
                        headers=headers)


def _layer_page(request: Request) -> bool:
    return wants_html(request) and request.path_params["collection_id"] in catalogue(
        request).layers


def _as_json(request: Request) -> Request:
    """The same request, asking for JSON (the answer the page is made of), unconditional
    (a tag the client holds is the page's, answered by ``_page``)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "f"]
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"if-none-match"]
    scope = {**request.scope, "query_string": urlencode([*params, ("f", "json")]).encode(),
             "headers": headers}
    return Request(scope, request.receive)


def _html_link(href: str) -> str:
    """The same link, asking for the HTML page."""
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "f"] + [("f", "html")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def page_values(properties: dict[str, Any], lang: str) -> dict[str, Any]:
    """Properties as a page shows them: a lifespan's instant as the day of its edition in
    Brussels, written in the page's language (2015-07-19T22:00:00Z is 20 juil. 2015), as
    the viewer writes it; nothing for an empty value (not "None")."""
    from babel.dates import format_date

    out: dict[str, Any] = {}
    for name, value in properties.items():
        if value is None:
            value = ""
        elif name in LIFESPAN and isinstance(value, str):
            try:
                day = dt.datetime.fromisoformat(value).astimezone(CITY_TZ).date()
                value = format_date(day, format="medium", locale=lang)
            except ValueError:
                pass  # not an instant: as it is
        out[name] = value
    return out


async def _page(request: Request, answer: Response, items: bool) -> Response:
    from pygeoapi import l10n
    from pygeoapi.starlette_app import api_
    from pygeoapi.util import render_j2_template

    spec = layer(request)
    lang = language(request)
    base = base_url(request)
    headers = {"Content-Language": lang}
    for name in ("cache-control", "vary"):
        if name in answer.headers:
            headers[name.title()] = answer.headers[name]
    if "etag" in answer.headers:  # the page's own tag: another representation
        page_tag = hashlib.sha1(f"{answer.headers['etag']}|html".encode()).hexdigest()
        headers["ETag"] = f'W/"{page_tag}"'
        if matches(request.headers.get("if-none-match"), headers["ETag"]):
            return Response(status_code=304, headers=headers)  # before the page is made
    data: dict[str, Any] = json.loads(bytes(answer.body))
    for link in data.get("links", []):
        if link.get("rel") == "collection":
            link["title"] = spec.title.get(lang)
        elif link.get("rel") in ("next", "prev", "latest-version", "predecessor-version",
                                 "successor-version"):
            link["href"] = _html_link(link["href"])
            link["type"] = "text/html"
    names = {"fr": "name_fr", "nl": "name_nl"}
    title_field = names.get(lang, "name_fr")
    cat = catalogue(request)
    data.update(
        collections_path=f"{base}/collections", dataset_path=f"{base}/collections/{spec.id}",
        items_path=f"{base}/collections/{spec.id}/items", itemtype="feature",
        id_field=spec.key.name, strata_date=request.query_params.get("datetime"),
        offset=int(request.query_params.get("offset", 0)),
        # each property's title in the page's language (the templates show the name without)
        strata_titles={name: cat.attribute_title(name, lang) for name in (
            spec.key.name, *spec.attributes, "beginLifespanVersion", "endLifespanVersion")})
    if title_field in spec.attributes:
        data["title_field"] = title_field
    for feature in data.get("features", []) if items else [data]:
        feature["properties"] = page_values(feature.get("properties") or {}, lang)
    if items:
        data["title"] = spec.title.get(lang)
        template = "collections/items/index.html"
    else:
        data.setdefault("properties", {})
        template = "collections/items/item.html"
    html_text = await run_in_threadpool(
        render_j2_template, api_.tpl_config, api_.tpl_config["server"]["templates"], template,
        data, l10n.str2locale(lang))
    return HTMLResponse(html_text, headers=headers)
