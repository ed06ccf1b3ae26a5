# SPDX-License-Identifier: EUPL-1.2
"""The one error shape at the HTTP edge: an OGC API exception body
(``{"code", "description"}``, plus our ``hint``), with the status from one table."""

from __future__ import annotations

import logging

import psycopg
from starlette.exceptions import HTTPException
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


class MethodNotAllowed(StrataError):
    """A method the path does not take (405, with ``Allow``)."""

    code = "MethodNotAllowed"

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(f"{method} is not allowed here",
                         hint=f"this path takes {', '.join(allowed)}")
        self.allowed = allowed


STATUS[MethodNotAllowed] = 405


class Unauthorized(StrataError):
    """No credential given (an Open311 report without ``api_key``)."""

    code = "Unauthorized"


class Forbidden(StrataError):
    """A credential that is not valid."""

    code = "Forbidden"


class TooManyRequests(StrataError):
    """Too many failures from one address (wrong API keys): try again in ``retry_after``
    seconds."""

    code = "TooManyRequests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, hint=f"try again in {retry_after} seconds with a valid key")
        self.retry_after = retry_after


STATUS.update({Unauthorized: 401, Forbidden: 403, TooManyRequests: 429})
HTTP_CODES = {404: ("NotFound", "see the API's paths at /openapi"),
              405: ("MethodNotAllowed", "see the methods of each path at /openapi")}


def status_of(error: StrataError) -> int:
    """The HTTP status of an error, by its class."""
    return by_class(STATUS, error, 500)


def database_error(exc: BaseException, retry_after: int = 5) -> StrataError | None:
    """What a database failure means for the client: a statement stopped by
    ``statement_timeout``, or a database that does not answer (down, restarting, every pooled
    connection busy) is 503; None for anything else (a bug: 500)."""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return Unavailable("the request took longer than the service allows",
                           hint="ask for less: a smaller bbox or limit, a simpler filter")
    if isinstance(exc, psycopg.OperationalError):  # includes the pool's PoolTimeout
        return Unavailable("the database is not answering right now",
                           hint=f"try again in {retry_after} seconds")
    return None


def error_response(error: StrataError, retry_after: int = 5) -> JSONResponse:
    """The OGC exception body for ``error`` (a 503 says when to try again)."""
    status = status_of(error)
    headers = {"Content-Language": "en"}
    if status in (429, 503):
        headers["Retry-After"] = str(getattr(error, "retry_after", retry_after))
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    return JSONResponse(error.as_dict(), status_code=status, headers=headers)


async def handle(request: Request, exc: Exception) -> JSONResponse:
    """Starlette exception handler: our errors by their class, database failures as 503,
    Starlette's own (404, 405) in the same shape, anything else as a 500 in the same shape
    (and in the log), closing its connection."""
    service = getattr(request.app.state, "service", None)
    retry_after = service.retry_after_s if service else 5
    if isinstance(exc, HTTPException):
        code, hint = HTTP_CODES.get(exc.status_code, ("HTTPError", "see /openapi"))
        return JSONResponse({"code": code, "description": str(exc.detail), "hint": hint},
                            status_code=exc.status_code, headers=exc.headers)
    error = exc if isinstance(exc, StrataError) else database_error(exc, retry_after)
    if error is not None:
        return error_response(error, retry_after)
    LOGGER.exception("unexpected error on %s", request.url.path)
    return JSONResponse({"code": "ServerError",
                         "description": "the server failed to answer this request",
                         "hint": "try again; if it persists, report it with the URL"},
                        status_code=500, headers={"Connection": "close"})
