# SPDX-License-Identifier: EUPL-1.2
"""INSPIRE: one API per data set (good practice "OGC API - Features as an INSPIRE download
service", §7.1), beside the combined API of the whole map.

Each layer with an INSPIRE theme is a data set: it has its own metadata record, licence and
download. Its API lives under ``/inspire/{dataset}``:

- ``/inspire/{dataset}/``: its landing page (JSON or HTML), linking its API definition, its
  conformance, its collections, its metadata record, licence and download;
- ``/inspire/{dataset}/conformance``: the classes declared (those of the combined API);
- ``/inspire/{dataset}/collections``: the data set's collection only, with the INSPIRE
  links of the data set (``describedby``, ``license``, ``enclosure``);
- ``/inspire/{dataset}/collections/{dataset}/...``: the collection, its items, versions,
  tiles, downloads, exactly as in the combined API (the same routes answer).

``/inspire`` lists the data sets. The prefix is taken off by :class:`DatasetPrefix`, which
hands the request to the combined API with ``root_path`` set (as a mount would) and the data
set in the scope; the landing page and ``/collections`` read it (:func:`dataset_of`). Any
other path under a data set's prefix is a 404 with a hint, in the one error shape.
"""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from geo.errors import InvalidInput, NotFound
from layers.catalogue import Catalogue, LayerSpec
from services import ogc_params as p
from services.pygeoapi_config import collection_links
from services.web import base_url, catalogue, language, wants_html

PREFIX = "/inspire"
SCOPE_KEY = "strata.dataset"
JSON = "application/json"
TEXTS = {
    "index": {"fr": "Strata : une API par jeu de données INSPIRE",
              "nl": "Strata: één API per INSPIRE-dataset",
              "en": "Strata: one API per INSPIRE data set"},
    "api": {"fr": "API du jeu de données INSPIRE", "nl": "API van de INSPIRE-dataset",
            "en": "API of the INSPIRE data set"},
    "combined": {"fr": "L'API de toute la carte", "nl": "De API van de hele kaart",
                 "en": "The API of the whole map"},
    "collections": {"fr": "Ses collections", "nl": "Zijn collecties",
                    "en": "Its collections"},
    "conformance": {"fr": "Conformité", "nl": "Conformiteit", "en": "Conformance"},
}


def datasets(cat: Catalogue) -> dict[str, LayerSpec]:
    """The INSPIRE data sets: every layer with an INSPIRE theme."""
    return {i: s for i, s in cat.layers.items() if s.inspire_theme}


def dataset_of(request: Request) -> str | None:
    """The data set whose API the request came through (None: the combined API)."""
    return request.scope.get(SCOPE_KEY)


def allowed(dataset: str, rest: str) -> bool:
    """Whether ``rest`` (a path after ``/inspire/{dataset}``) belongs to the data set's API."""
    own = f"/collections/{dataset}"
    return rest in ("/", "/conformance", "/collections", own) or rest.startswith(own + "/")


class DatasetPrefix:
    """ASGI middleware: ``/inspire/{dataset}/rest`` is answered by the combined API's route
    for ``/rest``, with ``root_path`` ``/inspire/{dataset}`` and the data set in the scope;
    a path that is not the data set's keeps its path and meets :func:`not_in_dataset`."""

    def __init__(self, app: ASGIApp, names: set[str]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(PREFIX + "/"):
            dataset, _, rest = path[len(PREFIX) + 1:].partition("/")
            rest = "/" + rest
            if dataset in self.names and allowed(dataset, rest):
                root = scope.get("root_path", "") + f"{PREFIX}/{dataset}"
                scope = {**scope, "root_path": root, SCOPE_KEY: dataset}
                if path == f"{PREFIX}/{dataset}":  # the landing page without its slash
                    scope["path"] = root + "/"
        await self.app(scope, receive, send)


def not_in_dataset(request: Request) -> Response:
    """A path under ``/inspire`` that is no data set's: 404, naming the data sets."""
    names = sorted(datasets(catalogue(request)))
    dataset = request.path_params["rest"].partition("/")[0]
    if dataset not in names:
        raise NotFound(f"{dataset!r} is not an INSPIRE data set of this service",
                       hint=f"the data sets: {', '.join(names)} (see {PREFIX})")
    raise NotFound(f"{request.url.path} is not part of the API of the data set {dataset}",
                   hint=f"its API serves /conformance, /collections and /collections/"
                        f"{dataset}/...; the whole map is at /")


def _format(request: Request) -> str:
    p.check_known(request.query_params, {"f", "lang"})
    f = request.query_params.get("f")
    if f not in (None, "json", "html"):
        raise InvalidInput(f"f={f} is not offered here", hint="use f=json or f=html")
    return "html" if wants_html(request) else "json"


def _page(title: str, description: str, links: list[dict[str, Any]], lang: str) -> Response:
    """A plain HTML page of a document and its links (no script, no outside resource)."""
    items = "\n".join(
        f'<li><a href="{html.escape(link["href"])}" rel="{html.escape(link["rel"])}">'
        f'{html.escape(link.get("title") or link["rel"])}</a> '
        f'<small>({html.escape(link.get("type", ""))})</small></li>' for link in links)
    return HTMLResponse(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>'
        f'<p>{html.escape(description)}</p><ul>{items}</ul></body></html>',
        headers={"Content-Language": lang})


def index(request: Request) -> Response:
    """``/inspire``: the INSPIRE data sets, each with the link to its API."""
    kind, lang, base = _format(request), language(request), base_url(request)
    links = [{"rel": "self", "type": JSON, "href": f"{base}{PREFIX}", "title": "this document"},
             {"rel": "alternate", "type": "text/html", "href": f"{base}{PREFIX}?f=html",
              "title": "this document as HTML"},
             {"rel": "service", "type": JSON, "href": f"{base}/",
              "title": TEXTS["combined"][lang]}]
    entries: list[dict[str, Any]] = [
        {"id": i, "title": s.title.get(lang), "inspireTheme": s.inspire_theme,
         "links": [{"rel": "service", "type": JSON, "href": f"{base}{PREFIX}/{i}/",
                    "title": f"{TEXTS['api'][lang]}: {s.title.get(lang)}"}]}
        for i, s in sorted(datasets(catalogue(request)).items())]
    if kind == "html":
        return _page(TEXTS["index"][lang], "", links + [e["links"][0] for e in entries], lang)
    return JSONResponse({"title": TEXTS["index"][lang], "datasets": entries, "links": links},
                        headers={"Content-Language": lang})


def landing(request: Request, dataset: str) -> Response:
    """``/inspire/{dataset}/``: the landing page of a data set's API."""
    kind, lang = _format(request), language(request)
    spec = datasets(catalogue(request))[dataset]
    base = base_url(request)
    own = f"{base}{PREFIX}/{dataset}"
    links = [
        {"rel": "self", "type": JSON, "href": f"{own}/", "title": "this document"},
        {"rel": "alternate", "type": "text/html", "href": f"{own}/?f=html",
         "title": "this document as HTML"},
        {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
         "href": f"{base}/openapi?f=json", "title": "the API definition (of the whole map)"},
        {"rel": "service-doc", "type": "text/html", "href": f"{base}/openapi?f=html",
         "title": "the API documentation"},
        {"rel": "conformance", "type": JSON, "href": f"{own}/conformance",
         "title": TEXTS["conformance"][lang]},
        {"rel": "data", "type": JSON, "href": f"{own}/collections",
         "title": TEXTS["collections"][lang]},
        *collection_links(spec, base),
        {"rel": "up", "type": JSON, "href": f"{base}{PREFIX}", "title": TEXTS["index"][lang]},
    ]
    title = f"{TEXTS['api'][lang]}: {spec.title.get(lang)}"
    if kind == "html":
        return _page(title, spec.description.get(lang), links, lang)
    return JSONResponse({"title": title, "description": spec.description.get(lang),
                         "inspireTheme": spec.inspire_theme, "links": links},
                        headers={"Content-Language": lang})


def narrow(body: dict[str, Any], request: Request, dataset: str) -> None:
    """The ``/collections`` document of a data set's API: its collection only, and the
    INSPIRE links of the data set instead of the whole map's."""
    spec = datasets(catalogue(request))[dataset]
    base = base_url(request)
    own = f"{base}{PREFIX}/{dataset}/collections"
    body["collections"] = [c for c in body.get("collections", []) if c.get("id") == dataset]
    body["links"] = [{"rel": "self", "type": JSON, "href": own, "title": "this document"},
                     {"rel": "up", "type": JSON, "href": f"{base}{PREFIX}/{dataset}/",
                      "title": TEXTS["api"][language(request)]},
                     *collection_links(spec, base)]


def collections_page(request: Request, dataset: str) -> Response:
    """``/inspire/{dataset}/collections?f=html``: the data set's collection and its links."""
    lang = language(request)
    spec = datasets(catalogue(request))[dataset]
    base = base_url(request)
    links = [{"rel": "item", "type": "text/html", "title": spec.title.get(lang),
              "href": f"{base}/collections/{dataset}?f=html"},
             {"rel": "items", "type": "text/html", "title": spec.title.get(lang),
              "href": f"{base}/collections/{dataset}/items?f=html"},
             *collection_links(spec, base)]
    return _page(f"{TEXTS['collections'][lang]}: {spec.title.get(lang)}",
                 spec.description.get(lang), links, lang)


def landing_links(base: str) -> list[dict[str, str]]:
    """The combined landing page's link to the data sets' own APIs."""
    return [{"rel": "related", "type": JSON, "href": f"{base}{PREFIX}",
             "title": "One API per INSPIRE data set"}]
