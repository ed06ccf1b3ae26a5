# SPDX-License-Identifier: EUPL-1.2
"""The one error shape at the HTTP edge: an OGC API exception body
(``{"code", "description"}``, plus our ``hint``), with the status from one table."""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from geo.errors import Conflict, InvalidInput, NotFound, StrataError, Unavailable, by_class
from services.error_text import localise
from services.language import DEFAULT, request_language

LOGGER = logging.getLogger("strata")
STATUS: dict[type[StrataError], int] = {
    InvalidInput: 400,
    NotFound: 404,
    Conflict: 409,
    Unavailable: 503,
}


class Gone(NotFound):
    """The feature existed, but not at the asked instant (OGC Versioned Features: 410), with
    the links a client goes on from: its history, its versions before and after."""

    code = "Gone"

    def __init__(self, message: str, hint: str = "",
                 links: list[dict[str, str]] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.links = links or []

    def as_dict(self) -> dict[str, Any]:
        """The one shape, plus the links (also sent as a ``Link`` header)."""
        return {**super().as_dict(), **({"links": self.links} if self.links else {})}


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


class UnsupportedMediaType(StrataError):
    """A body of a type the path does not read (415)."""

    code = "UnsupportedMediaType"


STATUS.update({Unauthorized: 401, Forbidden: 403, UnsupportedMediaType: 415,
               TooManyRequests: 429})
HTTP_CODES = {404: ("NotFound", "see the API's paths at /openapi"),
              405: ("MethodNotAllowed", "see the methods of each path at /openapi")}
# what an error answered with no body (Starlette's file responses) says
UNSAID = {416: ("RangeNotSatisfiable", "the range asked starts beyond the end of the file",
                "ask for bytes before the size the Content-Range header gives, or for the "
                "whole file (no Range)")}


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
    if isinstance(error, Gone) and error.links:
        from services.web import link_header

        headers["Link"] = link_header(error.links)
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
        response = error_response(error, retry_after)
        if request.url.path.startswith("/open311/"):  # the spec's list of errors
            body = [{**error.as_dict(), "code": response.status_code}]
            headers = {k: v for k, v in response.headers.items()
                       if k not in ("content-length", "content-type")}
            response = JSONResponse(body, status_code=response.status_code, headers=headers)
        return response
    LOGGER.exception("unexpected error on %s", request.url.path)
    return JSONResponse({"code": "ServerError",
                         "description": "the server failed to answer this request",
                         "hint": "try again; if it persists, report it with the URL"},
                        status_code=500, headers={"Connection": "close"})


class ErrorShape:
    """The last adapter of the HTTP edge: an error that another layer answered in its own
    shape (pygeoapi's ``{"code", "type", "description"}``, Starlette's plain "Not Found")
    leaves in the one shape, with a hint by status. Bodies already in the one shape, Open311's
    lists, HTML pages and successes pass untouched."""

    HINTS = {400: "check the parameters of this path at /openapi",
             404: "list what exists at /collections (and a collection's items)",
             405: "see the methods of each path at /openapi",
             500: "try again; if it persists, report it with the URL"}

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        lang = request_language(scope) or DEFAULT

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers") or []).get(b"content-type", b"")
                if message["status"] >= 400 and (b"json" in ctype or b"text/plain" in ctype):
                    start.update(message)
                    return
                await send(message)
            elif start:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await send_reshaped(send, start, b"".join(chunks), self.HINTS,
                                        open311=scope["path"].startswith("/open311/"),
                                        lang=lang)
            else:
                await send(message)

        await self.app(scope, receive, capture)


def _as_json(start: dict[str, Any]) -> dict[str, Any]:
    """The start of a response, saying its body is JSON."""
    return {**start, "headers": [(k, v) for k, v in start.get("headers") or []
                                 if k != b"content-type"]
            + [(b"content-type", b"application/json")]}


async def send_reshaped(send: Send, start: dict[str, Any], body: bytes,
                        hints: dict[int, str], open311: bool = False, lang: str = DEFAULT
                        ) -> None:
    """Send a captured error response with its body in the one shape (under /open311, the
    spec's list of errors carrying it), in ``lang`` where its texts have a translation
    (services/error_text.py), with the Content-Language of what it says."""
    status = start["status"]
    try:
        raw = json.loads(body)
    except ValueError:
        raw = None
    if raw is None and body.strip():  # plain text: Starlette's "Not Found" and the like
        raw = {"code": HTTP_CODES.get(status, ("HTTPError", ""))[0],
               "description": body.decode("utf-8", "replace").strip()}
    elif raw is None and status in UNSAID:  # no body at all: said, as JSON
        code, description, hint = UNSAID[status]
        raw = {"code": code, "description": description, "hint": hint}
        start = _as_json(start)
    if isinstance(raw, dict) and "description" in raw and set(raw) - {"links"} != {
            "code", "description", "hint"}:
        shaped = {"code": str(raw.get("code") or raw.get("type") or "Error"),
                  "description": str(raw["description"]),
                  "hint": str(raw.get("hint") or hints.get(status, "see /openapi"))}
        raw = [{**shaped, "code": status}] if open311 else shaped
        body = json.dumps(raw).encode()
        start = _as_json(start)
    said = None
    if isinstance(raw, dict) and "description" in raw:
        raw, said = localise(raw, lang)
    elif isinstance(raw, list) and raw and all(isinstance(e, dict) and "description" in e
                                               for e in raw):
        pairs = [localise(e, lang) for e in raw]
        raw, said = [e for e, _ in pairs], pairs[0][1]
    if said is not None:
        body = json.dumps(raw, ensure_ascii=False).encode()
    headers = [(k, v) for k, v in start.get("headers") or []
               if k != b"content-length" and (said is None or k != b"content-language")]
    if said is not None:
        headers.append((b"content-language", said.encode()))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
