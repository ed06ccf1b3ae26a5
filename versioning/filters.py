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
import math
import re
from dataclasses import dataclass
from typing import Any

from psycopg import sql
from pygeofilter import ast, values

from geo.crs import STORAGE_EPSG, CrsInfo, storage_domain
from geo.errors import InvalidInput
from geo.geojson import check_positions
from geo.text import unstorable
from layers.catalogue import LayerSpec

_COMPARE = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
            ast.GreaterThan: ">", ast.GreaterEqual: ">="}
_SPATIAL = {ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
            ast.GeometryWithin: "ST_Within", ast.GeometryContains: "ST_Contains",
            ast.GeometryTouches: "ST_Touches", ast.GeometryCrosses: "ST_Crosses",
            ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals"}
_TEMPORAL = {ast.TimeBefore: "<", ast.TimeAfter: ">", ast.TimeEquals: "="}
LIFESPAN = {"beginLifespanVersion": sql.SQL("v.sys_from"),
            "endLifespanVersion": sql.SQL("lifespan_end(v.sys_to)")}


def queryables(spec: LayerSpec) -> list[str]:
    """The properties a filter may name."""
    return [spec.key.name, *spec.attributes, "geometry", *LIFESPAN]


@dataclass(frozen=True)
class Fields:
    """What a filter may name on a collection: each property's SQL on the row ``v`` and its
    kind (an attribute type, ``timestamp``, ``json`` or ``geometry``)."""

    collection: str
    columns: dict[str, tuple[sql.Composable, str]]

    @classmethod
    def of_layer(cls, spec: LayerSpec) -> Fields:
        """A layer's: its key, attributes, geometry and lifespan."""
        columns: dict[str, tuple[sql.Composable, str]] = {
            spec.key.name: (sql.SQL("v.fid"), spec.key.type),
            **{n: (sql.SQL("v.{}").format(sql.Identifier(n)), k)
               for n, k in spec.attributes.items()},
            **{n: (c, "timestamp") for n, c in LIFESPAN.items()}}
        return cls(spec.id, columns)

    @classmethod
    def of_columns(cls, collection: str, kinds: dict[str, str]) -> Fields:
        """A view's: its columns by name (``geom`` is the geometry)."""
        return cls(collection, {n: (sql.SQL("v.{}").format(sql.Identifier(n)), k)
                                for n, k in kinds.items() if n != "geom"})

    def names(self) -> list[str]:
        """The queryables, the geometry included."""
        return [*self.columns, "geometry"]


NUMERIC = ("integer", "double")
TEMPORAL = ("date", "timestamp")
LIMITS = {4326: 180.0, 4258: 180.0}  # |coordinate| in degrees; projected CRSs: PROJECTED
PROJECTED = 1e8  # metres: far beyond any CRS Strata serves


class _Translator:
    def __init__(self, fields: Fields, crs: CrsInfo, max_depth: int) -> None:
        self.fields = fields
        self.crs = crs
        self.max_depth = max_depth
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> sql.Placeholder:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                _check_text(text)
        name = f"filter_{len(self.params)}"
        self.params[name] = _unquote(value)
        return sql.Placeholder(name)

    def column(self, node: Any) -> tuple[sql.Composable, str]:
        """A property's SQL and its kind (an attribute type, ``timestamp`` or ``geometry``)."""
        if not isinstance(node, ast.Attribute):
            if isinstance(node, ast.Function):
                raise InvalidInput(f"filter: the function {shown(node)} is not supported",
                                   hint="compare a property with a value (name_fr = "
                                        "'Ixelles'), or match text with LIKE 'Rue%'")
            raise InvalidInput(f"filter: expected a property name, found {shown(node)}",
                               hint="write the property first: name_fr = 'Ixelles'")
        name = node.name
        if name in self.fields.columns:
            return self.fields.columns[name]
        if name in ("geometry", "geom"):
            return sql.SQL("v.geom"), "geometry"
        raise InvalidInput(f"filter: {name!r} is not a queryable of {self.fields.collection}",
                           hint=f"queryables: {', '.join(self.fields.names())}")

    def value(self, node: Any, kind: str, prop: str) -> sql.Composable:
        """``node`` (a literal or a property) as an operand compared with a ``kind`` property:
        a literal of another type is refused here, never left for the database to fail on."""
        if isinstance(node, ast.Attribute):
            other, other_kind = self.column(node)
            if other_kind != kind and not {kind, other_kind} <= set(NUMERIC):
                raise InvalidInput(f"filter: {prop} ({kind}) and {node.name} ({other_kind}) "
                                   "cannot be compared", hint="compare properties of one type")
            return other
        return self.bind(self.literal(node, kind, prop))

    def literal(self, node: Any, kind: str, prop: str) -> Any:
        hint = {"text": f"quote text: {prop} = '...'",
                "integer": f"write a number without quotes: {prop} = 21004",
                "double": f"write a number without quotes: {prop} = 12.5",
                "boolean": f"write {prop} = true or false",
                "date": f"write a date: {prop} = DATE('2020-01-01')",
                "timestamp": f"write an instant: {prop} = TIMESTAMP('2020-01-01T00:00:00Z')",
                }.get(kind, f"{prop} cannot be compared with a value")
        ok = {"text": isinstance(node, str),
              "integer": isinstance(node, int | float) and not isinstance(node, bool),
              "double": isinstance(node, int | float) and not isinstance(node, bool),
              "boolean": isinstance(node, bool),
              "date": isinstance(node, dt.date),
              "timestamp": isinstance(node, dt.date)}.get(kind, False)
        if ok and isinstance(node, float) and not math.isfinite(node):
            ok = False
        if ok and kind == "integer" and isinstance(node, int) and not -2**63 <= node < 2**63:
            ok = False
        if not ok:
            raise InvalidInput(f"filter: {shown(node)} is not a value of {prop} ({kind})",
                               hint=hint)
        return node

    def geometry(self, node: Any) -> sql.Composable:
        crs = self.bind(self.crs.epsg)
        if isinstance(node, values.Geometry):
            shape = _valid_shape(node.geometry)  # its type, positions and rings first
            self._check_coordinates(_coordinates(shape))
            geom = sql.SQL("ST_SetSRID(ST_GeomFromGeoJSON({}), {})").format(
                self.bind(json.dumps(shape)), crs)
        elif isinstance(node, ast.Function) and node.name.lower() == "bbox":
            coords = list(node.arguments)
            if len(coords) not in (4, 6):
                raise InvalidInput(f"filter: BBOX has {len(coords)} numbers, not 4 or 6",
                                   hint="BBOX(minx, miny, maxx, maxy)")
            self._check_coordinates(coords)
            x1, y1, x2, y2 = coords if len(coords) == 4 else coords[:2] + coords[3:5]
            # the envelope of the diagonal: the line or the point of a flat box too
            geom = sql.SQL("ST_Envelope(ST_SetSRID(ST_MakeLine(ST_MakePoint({}, {}), "
                           "ST_MakePoint({}, {})), {}))").format(
                *(self.bind(float(c)) for c in (x1, y1, x2, y2)), crs)
        else:
            raise InvalidInput(f"filter: {shown(node)} is not a geometry",
                               hint="use POINT(4.35 50.84), POLYGON((...)) or BBOX(...)")
        if self.crs.flipped:
            geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
        if self.crs.epsg != STORAGE_EPSG:
            # cut to where the storage CRS can take it (a pole would not project)
            domain = sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, {})").format(
                *(self.bind(v) for v in storage_domain(self.crs.epsg)), crs)
            geom = sql.SQL("ST_Transform(CASE WHEN {0} @ {1} THEN {0} "
                           "ELSE ST_ClipByBox2D({0}, {1}) END, {2})").format(
                geom, domain, self.bind(STORAGE_EPSG))
        return geom

    def _check_coordinates(self, coords: Any) -> None:
        """Numbers that can be a place in the filter's CRS (1e308 cannot be transformed)."""
        limit = LIMITS.get(self.crs.epsg, PROJECTED)
        stack = [coords]
        while stack:
            item = stack.pop()
            if isinstance(item, list | tuple):
                stack.extend(item)
            elif isinstance(item, bool) or not isinstance(item, int | float) \
                    or not math.isfinite(item) or abs(item) > limit:
                raise InvalidInput(
                    f"filter: the coordinate {shown(item)} is not a place in {self.crs.uri}",
                    hint="coordinates are finite numbers of the filter-crs (CRS84: longitude "
                         "-180..180, latitude -90..90)")

    def node(self, n: Any, depth: int = 0) -> sql.Composable:
        if depth > self.max_depth:
            raise InvalidInput(f"filter: nested deeper than {self.max_depth} levels",
                               hint="simplify the filter, e.g. use IN (...) for many values")
        if isinstance(n, ast.And | ast.Or):
            op = "AND" if isinstance(n, ast.And) else "OR"
            return sql.SQL("({} {} {})").format(self.node(n.lhs, depth + 1), sql.SQL(op),
                                                self.node(n.rhs, depth + 1))
        if isinstance(n, ast.Not):
            return sql.SQL("(NOT {})").format(self.node(n.sub_node, depth + 1))
        if isinstance(n, bool | ast.Include):  # true, false, INCLUDE, EXCLUDE
            return sql.SQL("true" if (n if isinstance(n, bool) else not n.not_) else "false")
        if type(n) in _COMPARE:  # in the order written: 7400 < id is id > 7400
            attr, other = _property_first(n)
            col, kind = self._comparable(attr)
            left, right = _in_order(n, attr, col, self.value(other, kind, attr.name))
            return sql.SQL("{} {} {}").format(left, sql.SQL(_COMPARE[type(n)]), right)
        if isinstance(n, ast.Like):
            col, kind = self.column(n.lhs)
            if kind != "text" or not isinstance(n.pattern, str):
                raise InvalidInput(f"filter: LIKE compares text with a quoted pattern, not "
                                   f"{n.lhs.name} ({kind}) with {shown(n.pattern)}",
                                   hint="for example name_fr LIKE 'Rue%'")
            if _ends_in_escape(n.pattern):
                raise InvalidInput(f"filter: the LIKE pattern {shown(n.pattern)} ends with the "
                                   "escape character \\",
                                   hint="a backslash escapes the character after it: write "
                                        "\\\\ for a backslash itself, \\% for a percent sign")
            op = "ILIKE" if n.nocase else "LIKE"
            return sql.SQL("{} {}{} {}").format(col, sql.SQL("NOT " if n.not_ else ""),
                                                sql.SQL(op), self.bind(n.pattern))
        if isinstance(n, ast.In):
            col, kind = self._comparable(n.lhs)
            items = [self.literal(v, kind, n.lhs.name) for v in n.sub_nodes]
            expr = sql.SQL("{} = ANY({})").format(col, self.bind(items))
            return sql.SQL("(NOT {})").format(expr) if n.not_ else expr
        if isinstance(n, ast.IsNull):
            col, _ = self.column(n.lhs)
            return sql.SQL("{} IS {}NULL").format(col, sql.SQL("NOT " if n.not_ else ""))
        if isinstance(n, ast.Between):
            col, kind = self._comparable(n.lhs)
            return sql.SQL("{} {}BETWEEN {} AND {}").format(
                col, sql.SQL("NOT " if n.not_ else ""), self.value(n.low, kind, n.lhs.name),
                self.value(n.high, kind, n.lhs.name))
        if type(n) in _SPATIAL:  # in the order written: S_WITHIN(POINT(...), geometry)
            attr, other = _property_first(n)
            col, kind = self.column(attr)
            if kind != "geometry":
                raise InvalidInput(f"filter: {attr.name} is not a geometry",
                                   hint="spatial predicates take geometry: "
                                        "S_INTERSECTS(geometry, POINT(4.35 50.84))")
            left, right = _in_order(n, attr, col, self.geometry(other))
            return sql.SQL("{}({}, {})").format(sql.SQL(_SPATIAL[type(n)]), left, right)
        if type(n) in _TEMPORAL:
            attr, other = _property_first(n)
            col, kind = self.column(attr)
            if kind not in TEMPORAL:
                raise InvalidInput(f"filter: {attr.name} ({kind}) is not a date or an instant",
                                   hint="temporal predicates take dates and the lifespan: "
                                        f"{', '.join(LIFESPAN)}")
            left, right = _in_order(n, attr, col, self.value(other, kind, attr.name))
            return sql.SQL("{} {} {}").format(left, sql.SQL(_TEMPORAL[type(n)]), right)
        operator = getattr(n, "op", None)  # a predicate's CQL2 name (T_DURING), else the node's
        prefix = {"Temporal": "T_", "Spatial": "S_"}.get(type(operator).__name__[:-12], "")
        value = getattr(operator, "value", None)
        name = f"{prefix}{value}" if prefix and isinstance(value, str) else type(n).__name__
        raise InvalidInput(f"filter: {name} is not supported here",
                           hint="use comparisons, LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT, "
                                "S_INTERSECTS/S_WITHIN/..., T_BEFORE/T_AFTER/T_EQUALS")

    def _comparable(self, node: Any) -> tuple[sql.Composable, str]:
        col, kind = self.column(node)
        if kind in ("json", "geometry"):
            raise InvalidInput(f"filter: {node.name} ({kind}) cannot be compared with a value",
                               hint="compare it with a spatial predicate, or use another "
                                    "property")
        return col, kind


SHOWN = 60  # characters of a text a message shows


def shown(node: Any) -> str:
    """A node of a parsed filter as CQL2 text writes it, for a message: text quoted,
    dates and instants in ISO 8601, an interval as start/end, a function with its
    arguments (pygeofilter reads CASEI as LOWER)."""
    if isinstance(node, str):  # cut short, and nothing that JSON cannot carry
        text = _unquote(node)
        text = text if len(text) <= SHOWN else text[:SHOWN] + "…"
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        return "'" + text.replace("'", "''") + "'"
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, dt.datetime):
        return f"TIMESTAMP('{node.isoformat()}')"
    if isinstance(node, dt.date):
        return f"DATE('{node.isoformat()}')"
    if isinstance(node, values.Interval):
        def end(value: Any) -> str:
            return ".." if value is None else getattr(value, "isoformat", lambda: str(value))()

        return f"INTERVAL('{end(node.start)}', '{end(node.end)}')"
    if isinstance(node, ast.Function):
        name = "CASEI" if node.name == "lower" else node.name.upper()
        return f"{name}({', '.join(shown(a) for a in node.arguments)})"
    if isinstance(node, ast.Attribute):
        return str(node.name)
    if isinstance(node, values.Geometry):
        return str(node.geometry.get("type", "geometry")).upper() + "(...)"
    if isinstance(node, list | tuple):
        listed = ", ".join(shown(v) for v in node[:5])
        return f"({listed}{', …' if len(node) > 5 else ''})"
    if isinstance(node, int | float):
        return repr(node)
    return type(node).__name__


def _coordinates(geometry: dict[str, Any]) -> list[Any]:
    """Every coordinate list of a GeoJSON geometry (a collection's members' too)."""
    if geometry.get("type") == "GeometryCollection":
        return [_coordinates(m) for m in geometry.get("geometries", [])]
    return [geometry.get("coordinates")]


def _check_text(text: str) -> None:
    """Text PostgreSQL can hold: no NUL character, no half of a UTF-16 pair (JSON's
    ``\\u0000`` and ``\\ud800`` decode to them)."""
    if unstorable(text):
        raise InvalidInput("filter: a text holds a NUL character or half of a UTF-16 pair",
                           hint="remove \\u0000 and unpaired \\ud800-\\udfff escapes from the "
                                "filter's texts")


def _ends_in_escape(pattern: str) -> bool:
    """Whether a LIKE pattern ends with an escape character (a backslash) escaping nothing,
    which PostgreSQL refuses."""
    return (len(pattern) - len(pattern.rstrip("\\"))) % 2 == 1


def _valid_shape(geometry: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON geometry of a filter as PostGIS can take it: of a known type, with enough
    points, its rings closed, valid (OGC simple features) where a polygon could not be;
    refused with InvalidInput otherwise (never a database error)."""
    import shapely
    from shapely.geometry import mapping, shape

    check_positions(geometry)
    try:
        made = shape(geometry)
    except Exception as exc:  # shapely's errors: unknown type, too few points, bad nesting
        kind = geometry.get("type") if isinstance(geometry.get("type"), str) else "?"
        raise InvalidInput(f"filter: the {kind} geometry cannot be read: "
                           f"{str(exc).strip().splitlines()[0] if str(exc).strip() else kind}",
                           hint="a GeoJSON geometry (Point, LineString, Polygon, Multi..., "
                                "GeometryCollection) or WKT with closed rings of 4 points "
                                "or more") from None
    if not made.is_valid:
        raise InvalidInput(f"filter: the {made.geom_type} is not valid: "
                           f"{shapely.is_valid_reason(made)}",
                           hint="a polygon's rings do not cross themselves or each other; "
                                "draw it again, or use BBOX(...)")
    return dict(mapping(made))


QUOTE = "\ue000"  # a quote written '' inside a CQL2 text string, while it is parsed


def quotes_escaped(text: str) -> str:
    """CQL2 text with each quote written twice inside a string ('l''Abbaye', as CQL2 and SQL
    escape it) held as one private character, which pygeofilter's grammar parses (it ends a
    string at the first quote); ``bind`` gives the quote back.

    >>> quotes_escaped("name_fr = 'Rue de l''Abbaye' OR name_nl = ''")
    "name_fr = 'Rue de l\ue000Abbaye' OR name_nl = ''"
    """
    out, inside, i = [], False, 0
    while i < len(text):
        char = text[i]
        if char == "'" and inside and text[i + 1:i + 2] == "'":
            out.append(QUOTE)
            i += 2
            continue
        if char == "'":
            inside = not inside
        out.append(char)
        i += 1
    return "".join(out)


TEMPORAL_CALL = re.compile(r"\bT_[A-Z]+\s*\(", re.IGNORECASE)


def temporal_infix(text: str) -> str:
    """CQL2 text with each temporal predicate written as CQL2 writes it, a function
    (``T_BEFORE(beginLifespanVersion, TIMESTAMP('2021-01-01T00:00:00Z'))``), put in the
    infix form pygeofilter's grammar reads (``(a T_BEFORE b)``). Strings and quoted names
    are left as they are; a call without two arguments is left for the parser to refuse.
    Quotes inside strings must be escaped first (:func:`quotes_escaped`).

    >>> temporal_infix("T_AFTER(endLifespanVersion, DATE('2020-01-01')) AND id > 3")
    "(endLifespanVersion T_AFTER DATE('2020-01-01')) AND id > 3"
    >>> temporal_infix("name_fr = 'T_BEFORE(a, b)'")
    "name_fr = 'T_BEFORE(a, b)'"
    """
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char in "'\"":
            end = text.find(char, i + 1)
            end = len(text) if end < 0 else end + 1
            out.append(text[i:end])
            i = end
            continue
        call = TEMPORAL_CALL.match(text, i)
        if call and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            args, end = _arguments(text, call.end())
            if len(args) == 2:
                name = call.group(0).rstrip("( \t\r\n")
                out.append(f"({temporal_infix(args[0])} {name} {temporal_infix(args[1])})")
                i = end
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _arguments(text: str, start: int) -> tuple[list[str], int]:
    """The arguments of a call whose "(" ends just before ``start``, split at its own
    commas, and where the call ends; no argument when its ")" is missing."""
    args, depth, i, first = [], 0, start, start
    while i < len(text):
        char = text[i]
        if char in "'\"":
            end = text.find(char, i + 1)
            if end < 0:
                return [], len(text)
            i = end + 1
            continue
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif char == ")":
            args.append(text[first:i].strip())
            return args, i + 1
        elif char == "," and not depth:
            args.append(text[first:i].strip())
            first = i + 1
        i += 1
    return [], len(text)


def _unquote(value: Any) -> Any:
    """A bound value with its quotes given back (``quotes_escaped``), lists too."""
    if isinstance(value, str):
        return value.replace(QUOTE, "'")
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _property_first(n: Any) -> tuple[Any, Any]:
    """The two sides of a binary predicate, the property first: the right one when only it is
    a property; else the left one, which ``column`` refuses with what it is (a function
    such as CASEI(name_fr), a value)."""
    if isinstance(n.rhs, ast.Attribute) and not isinstance(n.lhs, ast.Attribute):
        return n.rhs, n.lhs
    return n.lhs, n.rhs


def _in_order(n: Any, attr: Any, col: sql.Composable, other: sql.Composable
              ) -> tuple[sql.Composable, sql.Composable]:
    """The two sides of a binary predicate in the order the filter wrote them (the property
    ``attr`` may be on either side)."""
    return (col, other) if attr is n.lhs else (other, col)


def to_sql(tree: Any, spec: LayerSpec | Fields, crs: CrsInfo, max_depth: int = 40
           ) -> tuple[sql.Composable, dict[str, Any]]:
    """The SQL condition of a parsed filter on a layer (or on the ``Fields`` of another
    collection), and its bound parameters; values that do not fit their property's type,
    coordinates that are no place, or a tree nested deeper than ``max_depth`` are refused
    with InvalidInput."""
    t = _Translator(spec if isinstance(spec, Fields) else Fields.of_layer(spec), crs,
                    max_depth)
    return t.node(tree), t.params
