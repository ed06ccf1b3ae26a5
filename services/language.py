# SPDX-License-Identifier: EUPL-1.2
"""Accept-Language negotiation among fr, nl and en, robust to ``q=0`` (which makes
pygeoapi 0.24 answer 500): entries with q=0 are refused languages, not preferences.

Examples
--------
>>> negotiate("nl-BE,fr;q=0.8")
'nl'
>>> negotiate("de,*;q=0.0")
'en'
>>> sanitize("fr;q=0, nl;q=0.5")
'nl;q=0.5'
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

LANGUAGES = ("en", "fr", "nl")
DEFAULT = "en"


def parse(header: str | None) -> list[tuple[str, float]]:
    """(tag, q) pairs, q=0 entries dropped, best first; malformed entries ignored."""
    out = []
    for i, part in enumerate((header or "").split(",")):
        bits = [b.strip() for b in part.split(";")]
        tag = bits[0].lower()
        if not tag:
            continue
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = -1
        if 0 < q <= 1:
            out.append((tag, q, -i))
    return [(t, q) for t, q, _ in sorted(out, key=lambda x: (x[1], x[2]), reverse=True)]


def negotiate(header: str | None) -> str:
    """The best of our languages for an Accept-Language header (English by default)."""
    for tag, _ in parse(header):
        base = tag.split("-")[0]
        if base in LANGUAGES:
            return base
    return DEFAULT


def sanitize(header: str) -> str:
    """The header without its q=0 (and malformed) entries."""
    return ", ".join(t if q == 1.0 else f"{t};q={q:g}" for t, q in parse(header))


class AcceptLanguageMiddleware:
    """Rewrites Accept-Language before pygeoapi sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = []
            for name, value in scope["headers"]:
                if name == b"accept-language":
                    clean = sanitize(value.decode("latin-1"))
                    if not clean:
                        continue
                    value = clean.encode("latin-1")
                headers.append((name, value))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
