# SPDX-License-Identifier: EUPL-1.2
"""What the HTTP routes share: the catalogue, pooled read-only connections, links, caching."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import psycopg
from psycopg_pool import ConnectionPool
from starlette.requests import Request
from starlette.responses import Response

from layers.catalogue import Catalogue, LayerSpec
from services import replicas
from services.language import DEFAULT, request_language
from services.settings import ServiceSettings
from versioning.pages import latest_edition

GEOJSON = "application/geo+json"


def catalogue(request: Request) -> Catalogue:
    """The layer catalogue of the app."""
    return request.app.state.catalogue  # type: ignore[no-any-return]


def settings(request: Request) -> ServiceSettings:
    """The service settings of the app."""
    return request.app.state.service  # type: ignore[no-any-return]


def layer(request: Request) -> LayerSpec:
    """The layer named by the path's collection id (NotFound lists the known ones)."""
    return catalogue(request).layer(request.path_params["collection_id"])


@contextmanager
def db(request: Request) -> Iterator[psycopg.Connection]:
    """A pooled, read-only connection."""
    pool: ConnectionPool = request.app.state.pool
    with pool.connection() as conn:
        yield conn


def base_url(request: Request) -> str:
    """The public base URL."""
    return settings(request).public_url()


def url(request: Request, path: str, **params: Any) -> str:
    """An absolute URL on this service, with query parameters (None values dropped)."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base_url(request)}{path}" + (f"?{query}" if query else "")


def link_header(links: list[dict[str, str]]) -> str:
    """Links as an HTTP ``Link`` header: target, relation, media type when given, datetime
    for mementos (an HTTP-date)."""
    return ", ".join(f'<{lk["href"]}>; rel="{lk["rel"]}"'
                     + (f'; type="{lk["type"]}"' if "type" in lk else "")
                     + (f'; datetime="{lk["datetime"]}"' if "datetime" in lk else "")
                     for lk in links)


def language(request: Request) -> str:
    """The negotiated language (fr, nl, en): ``lang=`` first, then Accept-Language."""
    # a header refusing them all (and no lang=) was answered 406 already
    return request_language(request.scope) or DEFAULT


def wants_html(request: Request) -> bool:
    """f=html, or no f and a browser's Accept header."""
    f = request.query_params.get("f")
    if f is not None:
        return f.lower() == "html"
    return prefers_html(request.headers.get("accept", ""))


def prefers_html(accept: str) -> bool:
    """Whether an Accept header prefers HTML to JSON, by their q-values (a browser's
    ``text/html,...,*/*;q=0.8`` does; ``*/*`` alone, or ``text/html;q=0.1,
    application/geo+json``, does not).

    >>> prefers_html("text/html,application/xhtml+xml,*/*;q=0.8"), prefers_html("*/*")
    (True, False)
    >>> prefers_html("text/html;q=0.1, application/geo+json")
    False
    """
    html = json_q = 0.0
    for part in accept.split(","):
        kind, *rest = (bit.strip() for bit in part.split(";"))
        q = 1.0
        for bit in rest:
            if bit.startswith("q="):
                try:
                    q = float(bit[2:])
                except ValueError:
                    q = 0.0
        if kind.lower() == "text/html":
            html = max(html, q)
        elif "json" in kind.lower():
            json_q = max(json_q, q)
    return html > 0 and html > json_q


def http_date(moment: dt.datetime) -> str:
    """An HTTP date (Memento-Datetime, Last-Modified)."""
    return format_datetime(moment.astimezone(dt.UTC), usegmt=True)


NEGOTIATED = "Accept, Accept-Language"  # what an answer of one URL may differ by


def matches(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak or strong comparison) or is ``*``."""
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


def cache_headers(request: Request, response: Response, conn: psycopg.Connection,
                  spec: LayerSpec, at: dt.datetime | None, end: dt.datetime | None = None
                  ) -> Response:
    """Past maps never change: an answer about an instant at or before the layer's newest
    edition (editions are never backdated) is immutable, and a 304 to a client that holds
    it; others may change. The ETag is weak (the body's timeStamp says when it was made)
    and names the representation (HTML or JSON, its language): the answer varies by
    ``Accept`` and ``Accept-Language``."""
    latest = latest_edition(conn, spec)
    moment = end if end is not None else at
    lang = language(request)
    response.headers["Vary"] = _vary(response.headers.get("Vary"))
    # a standby behind the newest edition may still learn a lifespan's end (replicas.py)
    if latest and moment is not None and moment <= latest[1] and replicas.settled():
        kind = response.headers.get("content-type", "")
        tag = hashlib.sha1(f"{request.url}|{latest[0]}|{lang}|{kind}".encode()).hexdigest()
        response.headers["ETag"] = f'W/"{tag}"'
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        if matches(request.headers.get("if-none-match"), response.headers["ETag"]):
            kept = {k: v for k, v in response.headers.items()
                    if k.lower() in ("etag", "cache-control", "vary", "link",
                                     "content-location", "memento-datetime")}
            return Response(status_code=304, headers={**kept, "Content-Language": lang})
    else:
        response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Content-Language"] = lang
    return response


def _vary(current: str | None) -> str:
    """``Vary`` with what a negotiated answer varies by added."""
    names = [n.strip() for n in (current or "").split(",") if n.strip()]
    for name in NEGOTIATED.split(", "):
        if name.lower() not in (n.lower() for n in names):
            names.append(name)
    return ", ".join(names)
