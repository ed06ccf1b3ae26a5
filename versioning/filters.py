# SPDX-License-Identifier: EUPL-1.2
"""CQL2 filters (a parsed pygeofilter AST) translated into SQL with bound parameters:
no value of a filter is ever pasted into the SQL text.

Supported: comparisons, LIKE, IN, BETWEEN, IS NULL, AND / OR / NOT; spatial predicates
(S_INTERSECTS, S_DISJOINT, S_WITHIN, S_CONTAINS, S_TOUCHES, S_CROSSES, S_OVERLAPS,
S_EQUALS) against a geometry or a BBOX; T_BEFORE, T_AFTER, T_EQUALS on date and lifespan
properties. Anything else is refused with a message naming it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from psycopg import sql
from pygeofilter import ast, values

from geo.crs import STORAGE_EPSG, CrsInfo
from geo.errors import InvalidInput
from layers.catalogue import LayerSpec

_COMPARE = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
            ast.GreaterThan: ">", ast.GreaterEqual: ">="}
_SPATIAL = {ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
            ast.GeometryWithin: "ST_Within", ast.GeometryContains: "ST_Contains",
            ast.GeometryTouches: "ST_Touches", ast.GeometryCrosses: "ST_Crosses",
            ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals"}
_TEMPORAL = {ast.TimeBefore: "<", ast.TimeAfter: ">", ast.TimeEquals: "="}
LIFESPAN = {"beginLifespanVersion": sql.SQL("v.sys_from"),
            "endLifespanVersion": sql.SQL("nullif(v.sys_to, 'infinity')")}


def queryables(spec: LayerSpec) -> list[str]:
    """The properties a filter may name."""
    return [spec.key.name, *spec.attributes, "geometry", *LIFESPAN]


class _Translator:
    def __init__(self, spec: LayerSpec, crs: CrsInfo) -> None:
        self.spec = spec
        self.crs = crs
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> sql.Placeholder:
        name = f"filter_{len(self.params)}"
        self.params[name] = value
        return sql.Placeholder(name)

    def column(self, node: Any) -> sql.Composable:
        if not isinstance(node, ast.Attribute):
            raise InvalidInput(f"expected a property name, found {node!r}",
                               hint="write the property first: name_fr = 'Ixelles'")
        name = node.name
        if name == self.spec.key.name:
            return sql.SQL("v.fid")
        if name in self.spec.attributes:
            return sql.SQL("v.{}").format(sql.Identifier(name))
        if name in LIFESPAN:
            return LIFESPAN[name]
        if name in ("geometry", "geom"):
            return sql.SQL("v.geom")
        raise InvalidInput(f"filter: {name!r} is not a queryable of {self.spec.id}",
                           hint=f"queryables: {', '.join(queryables(self.spec))}")

    def value(self, node: Any) -> sql.Composable:
        if isinstance(node, ast.Attribute):
            return self.column(node)
        if isinstance(node, str | int | float | bool | dt.date | dt.datetime):
            return self.bind(node)
        raise InvalidInput(f"filter: {node!r} is not a value this service compares",
                           hint="compare properties with strings, numbers, dates or times")

    def geometry(self, node: Any) -> sql.Composable:
        crs = sql.Literal(self.crs.epsg)
        if isinstance(node, values.Geometry):
            geom = sql.SQL("ST_SetSRID(ST_GeomFromGeoJSON({}), {})").format(
                self.bind(json.dumps(node.geometry)), crs)
        elif isinstance(node, ast.Function) and node.name.lower() == "bbox":
            coords = [float(a) for a in node.arguments]
            x1, y1, x2, y2 = coords if len(coords) == 4 else coords[:2] + coords[3:5]
            geom = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
                *(self.bind(c) for c in (x1, y1, x2, y2)), crs)
        else:
            raise InvalidInput(f"filter: {node!r} is not a geometry",
                               hint="use POINT(4.35 50.84), POLYGON((...)) or BBOX(...)")
        if self.crs.flipped:
            geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
        if self.crs.epsg != STORAGE_EPSG:
            geom = sql.SQL("ST_Transform({}, {})").format(geom, sql.Literal(STORAGE_EPSG))
        return geom

    def node(self, n: Any) -> sql.Composable:
        if isinstance(n, ast.And | ast.Or):
            op = "AND" if isinstance(n, ast.And) else "OR"
            return sql.SQL("({} {} {})").format(self.node(n.lhs), sql.SQL(op), self.node(n.rhs))
        if isinstance(n, ast.Not):
            return sql.SQL("(NOT {})").format(self.node(n.sub_node))
        if type(n) in _COMPARE:
            lhs, rhs = (n.lhs, n.rhs) if isinstance(n.lhs, ast.Attribute) else (n.rhs, n.lhs)
            return sql.SQL("{} {} {}").format(self.value(lhs), sql.SQL(_COMPARE[type(n)]),
                                              self.value(rhs))
        if isinstance(n, ast.Like):
            op = "ILIKE" if n.nocase else "LIKE"
            return sql.SQL("{} {}{} {}").format(self.column(n.lhs),
                                                sql.SQL("NOT " if n.not_ else ""),
                                                sql.SQL(op), self.bind(n.pattern))
        if isinstance(n, ast.In):
            expr = sql.SQL("{} = ANY({})").format(self.column(n.lhs), self.bind(list(n.sub_nodes)))
            return sql.SQL("(NOT {})").format(expr) if n.not_ else expr
        if isinstance(n, ast.IsNull):
            return sql.SQL("{} IS {}NULL").format(self.column(n.lhs),
                                                  sql.SQL("NOT " if n.not_ else ""))
        if isinstance(n, ast.Between):
            return sql.SQL("{} {}BETWEEN {} AND {}").format(
                self.column(n.lhs), sql.SQL("NOT " if n.not_ else ""), self.value(n.low),
                self.value(n.high))
        if type(n) in _SPATIAL:
            lhs, rhs = (n.lhs, n.rhs) if isinstance(n.lhs, ast.Attribute) else (n.rhs, n.lhs)
            return sql.SQL("{}({}, {})").format(sql.SQL(_SPATIAL[type(n)]), self.column(lhs),
                                                self.geometry(rhs))
        if type(n) in _TEMPORAL:
            return sql.SQL("{} {} {}").format(self.column(n.lhs), sql.SQL(_TEMPORAL[type(n)]),
                                              self.value(n.rhs))
        raise InvalidInput(f"filter: {type(n).__name__} is not supported here",
                           hint="use comparisons, LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT, "
                                "S_INTERSECTS/S_WITHIN/..., T_BEFORE/T_AFTER/T_EQUALS")


def to_sql(tree: Any, spec: LayerSpec, crs: CrsInfo) -> tuple[sql.Composable, dict[str, Any]]:
    """The SQL condition of a parsed filter, and its bound parameters."""
    t = _Translator(spec, crs)
    return t.node(tree), t.params
