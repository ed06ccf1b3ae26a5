# SPDX-License-Identifier: EUPL-1.2
"""The one error shape at the HTTP edge: an OGC API exception body
(``{"code", "description"}``, plus our ``hint``), with the status from one table."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from geo.errors import Conflict, InvalidInput, NotFound, StrataError, Unavailable, by_class

LOGGER = logging.getLogger("strata")
STATUS: dict[type[StrataError], int] = {
    InvalidInput: 400,
    NotFound: 404,
    Conflict: 409,
    Unavailable: 503,
}


class Gone(NotFound):
    """The feature existed, but not at the asked instant (OGC Versioned Features: 410)."""

    code = "Gone"


STATUS[Gone] = 410


def status_of(error: StrataError) -> int:
    """The HTTP status of an error, by its class."""
    return by_class(STATUS, error, 500)


def error_response(error: StrataError) -> JSONResponse:
    """The OGC exception body for ``error``."""
    return JSONResponse(error.as_dict(), status_code=status_of(error),
                        headers={"Content-Language": "en"})


async def handle(request: Request, exc: Exception) -> JSONResponse:
    """Starlette exception handler: our errors by their class, anything else as a 500 in
    the same shape (and in the log)."""
    if isinstance(exc, StrataError):
        return error_response(exc)
    LOGGER.exception("unexpected error on %s", request.url.path)
    return JSONResponse({"code": "ServerError",
                         "description": "the server failed to answer this request",
                         "hint": "try again; if it persists, report it with the URL"},
                        status_code=500)
