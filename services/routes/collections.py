# SPDX-License-Identifier: EUPL-1.2
"""A page asked by a browser under ``/collections/{id}`` of a collection this service has not
(a mistyped layer name): a page in the browser's language that names the collections and
leads to the map (pygeoapi answered its own page, in English, "Collection not found"). Other
clients keep the one error shape of the path's own route."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from geo.errors import NotFound
from services.routes.viewer import error_page
from services.web import prefers_html

PREFIX = "/collections/"


class KnownCollections:
    """ASGI middleware: a browser's page of an unknown collection, said as a page."""

    def __init__(self, app: ASGIApp, names: set[str]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            path, root = scope.get("path", ""), scope.get("root_path", "")
            path = path[len(root):] if root and path.startswith(root) else path
            cid = path[len(PREFIX):].partition("/")[0] if path.startswith(PREFIX) else ""
            if cid and cid not in self.names:
                request = Request(scope, receive)
                f = request.query_params.get("f")
                if f == "html" or (f is None and prefers_html(request.headers.get("accept", ""))):
                    error = NotFound(f"no collection {cid!r} in this service",
                                     hint="its collections: " + ", ".join(sorted(self.names)))
                    await error_page(request, error)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
