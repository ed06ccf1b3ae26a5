# SPDX-License-Identifier: EUPL-1.2
"""GeoJSON geometries from outside (a filter, the records of the link process) checked
before shapely or PostGIS reads them: each fault named, in words, as InvalidInput.

Examples
--------
>>> check_positions({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
>>> try:
...     check_positions({"type": "Point", "coordinates": [4.35]})
... except InvalidInput as err:
...     print(err.message)
a position of the Point is [4.35], not x y (or x y z)
"""

from __future__ import annotations

import json
from typing import Any

from geo.errors import InvalidInput

DEPTHS = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
          "MultiPolygon": 3}  # lists around a position in a GeoJSON geometry's coordinates
GEOMETRY_HINT = ("a GeoJSON geometry (Point, LineString, Polygon, Multi...) or WKT, each "
                 "position x y (or x y z), each ring closed: its last point its first")


def check_positions(geometry: dict[str, Any]) -> None:
    """Each position of a GeoJSON geometry two or three numbers, at the depth its type puts
    them, and each ring of a polygon closed and of 4 positions or more; InvalidInput
    naming what is wrong otherwise. Collections: each member."""
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            raise InvalidInput("a GeometryCollection lists its geometries",
                               hint=GEOMETRY_HINT)
        for member in members:
            check_positions(member)
        return
    if not isinstance(kind, str) or kind not in DEPTHS:
        raise InvalidInput(f"{json.dumps(kind, default=str)[:40]} is not a type of geometry",
                           hint=GEOMETRY_HINT)

    def walk(item: Any, depth: int) -> None:
        if depth == 0:
            if not isinstance(item, list | tuple) or len(item) not in (2, 3):
                raise InvalidInput(f"a position of the {kind} is "
                                   f"{json.dumps(item, default=str)[:80]}, not x y (or x y z)",
                                   hint=GEOMETRY_HINT)
            return
        if not isinstance(item, list | tuple):
            raise InvalidInput(f"the coordinates of the {kind} are not nested as "
                               "its type wants", hint=GEOMETRY_HINT)
        for sub in item:  # positions first: a ring's ends are then positions
            walk(sub, depth - 1)
        if depth == 1 and kind in ("Polygon", "MultiPolygon") and (  # a ring
                len(item) < 4 or list(item[0]) != list(item[-1])):
            raise InvalidInput(f"a ring of the {kind} is not closed, or has fewer "
                               "than 4 positions", hint=GEOMETRY_HINT)

    walk(geometry.get("coordinates"), DEPTHS[kind])
