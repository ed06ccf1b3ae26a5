# SPDX-License-Identifier: EUPL-1.2
"""Limits checked before any route runs, answered in the one error shape.

- a URL (path and query) longer than ``max_url_length`` bytes: 414;
- a request body longer than ``max_body_bytes``: 413, whether announced by Content-Length or
  streamed in chunks (the body is read here, at most that many bytes, then replayed to the
  route: pygeoapi's routes are held to the same limit as Strata's own);
- a NUL character in the path or the query: 400 (PostgreSQL text cannot hold one);
- a JSON body nested deeper than ``MAX_JSON_DEPTH``: 400 (a parser would recurse too deep).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_METHODS = {"POST", "PUT", "PATCH"}
MAX_JSON_DEPTH = 100  # GeoJSON needs 6 (a MultiPolygon in a FeatureCollection)


async def send_error(send: Send, status: int, code: str, description: str, hint: str,
                     path: str = "") -> None:
    """Answer ``status`` with the one error body (under /open311, the spec's list of
    errors), and close the connection (what is left of a refused body is never read)."""
    error: dict[str, object] = {"code": code, "description": description, "hint": hint}
    if path.startswith("/open311/"):
        error["code"] = status
    body = json.dumps([error] if path.startswith("/open311/") else error).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"content-language", b"en"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class LimitsMiddleware:
    """URL length, body size and NUL characters, for every route."""

    def __init__(self, app: ASGIApp, max_url_length: int, max_body_bytes: int) -> None:
        self.app = app
        self.max_url = max_url_length
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        raw_path = scope.get("raw_path") or path.encode()
        query: bytes = scope.get("query_string", b"")
        if len(raw_path) + len(query) > self.max_url:
            await send_error(send, 414, "URITooLong",
                             f"the URL has {len(raw_path) + len(query):,} bytes, more than "
                             f"{self.max_url:,}",
                             "shorten it: for a long filter, use fewer values or a BBOX", path)
            return
        if b"%00" in query.lower() or b"\x00" in query or b"%00" in raw_path.lower() \
                or "\x00" in scope["path"]:
            await send_error(send, 400, "InvalidParameterValue",
                             "the URL holds a NUL character (%00)",
                             "remove the NUL character from the path and the parameters", path)
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_big = ("the request body is larger than "
                   f"{self.max_body:,} bytes", "send a smaller body; link large files with "
                   "`strata link`, or split the records into several requests")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await send_error(send, 413, "PayloadTooLarge", *too_big, path)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await send_error(send, 413, "PayloadTooLarge", *too_big, path)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        # (fewer brackets than the bound cannot nest beyond it: not counted)
        if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH \
                and json_depth(body) > MAX_JSON_DEPTH:
            await send_error(send, 400, "InvalidParameterValue",
                             f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels",
                             "send a flatter document", path)
            return
        await self.app(scope, _replay(body, receive), send)


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON body nest (strings skipped), counted
    without parsing it: a parser would recurse that deep (Python's stops near 1000, with an
    error no route expects). Any body is counted: a form has no brackets outside strings.

    >>> json_depth(b'{"a": [1, {"b": "[[["}]}'), json_depth(b"a=1&b=2")
    (3, 0)
    """
    deepest = depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: Any = await receive()  # after the body: wait for a disconnect
        return message  # type: ignore[no-any-return]

    return replay
