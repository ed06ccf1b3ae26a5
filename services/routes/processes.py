# SPDX-License-Identifier: EUPL-1.2
"""``POST /processes/{id}/execution``: the body is checked here (a JSON object whose
``inputs`` is an object) before pygeoapi runs the process, so that a body of ``null``, a list
or ``{"inputs": [1]}`` is a 400 that says so, never pygeoapi's 500."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from geo.errors import InvalidInput

EXAMPLE = ('{"inputs": {"features": {"type": "FeatureCollection", "features": [...]}, '
           '"date": "2020-01-01"}}')


async def execute(request: Request) -> Response:
    """Check the execute request's shape, then hand it to pygeoapi."""
    raw = await request.body()
    if not raw.strip():
        raise InvalidInput("the execute request has no body", hint=f"send {EXAMPLE}")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the execute request is not valid JSON",
                           hint=f"send {EXAMPLE}") from None
    if not isinstance(body, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean"}.get(
            type(body), "null" if body is None else "a number")
        raise InvalidInput(f"the execute request must be a JSON object, not {kind}",
                           hint=f"send {EXAMPLE}")
    for member, expected in (("inputs", dict), ("outputs", dict), ("response", str)):
        if member in body and not isinstance(body[member], expected):
            raise InvalidInput(
                f"{member} must be a JSON {'object' if expected is dict else 'string'}",
                hint=f"send {EXAMPLE}")
    from pygeoapi import starlette_app

    return await starlette_app.execute_process_jobs(request)
