# SPDX-License-Identifier: EUPL-1.2
"""The station series' EDR queries (``/collections/no2_station_series/position``, ``radius``,
``area``), answered by pygeoapi (services/edr_provider.py) once Strata has checked their
parameters: an error then says what was wrong and what is valid, in the one shape."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from services.edr_provider import QUERY_TYPES, check_query
from services.pygeoapi_config import SERIES_COLLECTION


class CheckedQuery:
    """An ASGI endpoint: the query's parameters checked, then pygeoapi answers."""

    def __init__(self, pygeoapi_app: Any, query_type: str) -> None:
        self.app, self.query_type = pygeoapi_app, query_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") in ("GET", "HEAD"):
            check_query(self.query_type, Request(scope).query_params)
        await self.app(scope, receive, send)


def routes(pygeoapi_app: Any) -> list[Route]:
    """One route a query type, before pygeoapi's own."""
    return [Route(f"/collections/{SERIES_COLLECTION}/{kind}", CheckedQuery(pygeoapi_app, kind))
            for kind in QUERY_TYPES]
