# SPDX-License-Identifier: EUPL-1.2
"""Accept-Language negotiation among fr, nl and en, robust to ``q=0`` (which makes
pygeoapi 0.24 answer 500): entries with q=0 are refused languages, not preferences.

A language refused (``q=0``, or not named beside ``*;q=0``) is never served; when every
language Strata has is refused, the answer is 406 listing them (INSPIRE, no matching
language). With no preference among ours, English (or the first one not refused).

Examples
--------
>>> negotiate("nl-BE,fr;q=0.8")
'nl'
>>> negotiate("de,*;q=0.0") is None, negotiate("en;q=0"), negotiate("de")
(True, 'fr', 'en')
>>> sanitize("fr;q=0, nl;q=0.5")
'nl;q=0.5'
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from services.limits import send_error

LANGUAGES = ("en", "fr", "nl")
DEFAULT = "en"


def entries(header: str | None) -> list[tuple[str, float]]:
    """Every (tag, q) of the header, in its order; a malformed q is -1."""
    out = []
    for part in (header or "").split(","):
        bits = [b.strip() for b in part.split(";")]
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = -1
        if bits[0]:
            out.append((bits[0].lower(), q))
    return out


def parse(header: str | None) -> list[tuple[str, float]]:
    """(tag, q) pairs, q=0 entries dropped, best first; malformed entries ignored."""
    kept = [(t, q, -i) for i, (t, q) in enumerate(entries(header)) if 0 < q <= 1]
    return [(t, q) for t, q, _ in sorted(kept, key=lambda x: (x[1], x[2]), reverse=True)]


def refused(header: str | None) -> set[str]:
    """Our languages the header refuses: named with q=0, or left out beside ``*;q=0``."""
    named: dict[str, float] = {}
    star = None
    for tag, q in entries(header):
        if tag == "*":
            star = q
        else:
            base = tag.split("-")[0]
            named[base] = max(named.get(base, -1.0), q)
    return {lang for lang in LANGUAGES
            if named.get(lang) == 0 or (lang not in named and star == 0)}


def negotiate(header: str | None) -> str | None:
    """The best of our languages for an Accept-Language header (English when it prefers
    none of ours, or the first not refused); None when it refuses all of ours."""
    no = refused(header)
    for tag, _ in parse(header):
        base = tag.split("-")[0]
        if base in LANGUAGES and base not in no:
            return base
    return next((lang for lang in (DEFAULT, *LANGUAGES) if lang not in no), None)


def request_language(scope: Scope) -> str | None:
    """A request's language: ``lang=`` when it names one of ours (it wins over the header),
    else the one Accept-Language prefers (``negotiate``); None when the header refuses them
    all and ``lang=`` names none."""
    asked = [v for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
             if k == "lang" and v in LANGUAGES]
    if asked:
        return asked[0]
    header = dict(scope.get("headers") or []).get(b"accept-language")
    return negotiate(header.decode("latin-1") if header is not None else None)


def sanitize(header: str) -> str:
    """The header without its q=0 (and malformed) entries."""
    return ", ".join(t if q == 1.0 else f"{t};q={q:g}" for t, q in parse(header))


class AcceptLanguageMiddleware:
    """Answers 406 when every language is refused (and ``lang=`` names none of ours);
    otherwise rewrites Accept-Language to the language negotiated, before pygeoapi sees
    it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            asked = dict(scope["headers"]).get(b"accept-language")
            chosen = request_language(scope)
            if chosen is None:
                await send_error(send, 406, "NotAcceptable",
                                 f"none of the languages of this service ({', '.join(LANGUAGES)}) "
                                 "is acceptable to this request",
                                 "accept one of them, e.g. Accept-Language: fr, or leave the "
                                 "header out", scope["path"])
                return
            # what pygeoapi (and every route) sees: the one language negotiated
            headers = [(name, value) for name, value in scope["headers"]
                       if name != b"accept-language"]
            if asked is not None:
                headers.append((b"accept-language", chosen.encode()))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
