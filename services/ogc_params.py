# SPDX-License-Identifier: EUPL-1.2
"""Query parameters of the OGC API, parsed and checked: every bad value is an
:class:`InvalidInput` that names the parameter and says what a good one looks like."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import QueryParams

from geo.crs import CRS84, CrsInfo, parse_crs
from geo.errors import InvalidInput
from layers.catalogue import LayerSpec
from services.language import LANGUAGES
from versioning.filters import LIFESPAN, Fields
from versioning.instants import parse_instant

WHOLE = re.compile(r"[+-]?[0-9]{1,30}")  # a whole number as a URL writes it
# OGC Versioned Features: how several versions of a feature are answered (an interval)
PROFILE_URI = "http://www.opengis.net/def/profile/OGC/0/"
PROFILES = ("versions-as-features-unique-ids", "versions-as-features")


def check_known(params: QueryParams, allowed: Iterable[str],
                repeatable: Iterable[str] = ()) -> None:
    """Refuse parameters the endpoint does not know (a typo silently ignored is worse), and
    one given twice unless it is ``repeatable`` (which of the two was meant?). ``lang`` is
    known everywhere: it picks the language of the answer's texts, errors included."""
    allowed = set(allowed) | {"lang"}
    if "lang" in params and params["lang"] not in LANGUAGES:
        raise InvalidInput(f"lang={params['lang']} is not a language of Strata",
                           hint="use lang=fr, lang=nl or lang=en")
    unknown = sorted(set(params.keys()) - allowed)
    if unknown:
        raise InvalidInput(f"unknown query parameter(s): {', '.join(unknown)}",
                           hint=f"this endpoint takes: {', '.join(sorted(allowed))}")
    twice = sorted({k for k in params if len(params.getlist(k)) > 1} - set(repeatable))
    if twice:
        raise InvalidInput(f"query parameter(s) given more than once: {', '.join(twice)}",
                           hint="give each of them once (properties= takes a comma-separated "
                                "list)")


def crs_param(params: QueryParams, name: str, default: CrsInfo) -> CrsInfo:
    """``crs`` / ``bbox-crs``: a CRS URI among the supported ones."""
    value = params.get(name)
    if value is None:
        return default
    try:
        return parse_crs(value)
    except InvalidInput as exc:
        raise InvalidInput(f"{name}: {exc.message}", hint=exc.hint) from None


def bbox_param(params: QueryParams) -> tuple[float, float, float, float] | None:
    """``bbox=minx,miny,maxx,maxy`` (4 numbers; 6 with heights are cut to 2D), finite, in
    the range of ``bbox-crs`` (CRS84 unless given): longitude -180..180, latitude -90..90."""
    value = params.get("bbox")
    if value is None:
        return None
    hint = "write bbox=minx,miny,maxx,maxy, for example bbox=4.34,50.84,4.36,50.85"
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise InvalidInput(f"bbox {value!r} is not a list of numbers", hint=hint) from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidInput(f"bbox {value!r} holds a number that is not finite", hint=hint)
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise InvalidInput(f"bbox {value!r} has {len(numbers)} numbers, not 4", hint=hint)
    x1, y1, x2, y2 = numbers
    if x1 > x2 or y1 > y2:
        raise InvalidInput(f"bbox {value!r}: the lower corner comes first", hint=hint)
    check_extent(numbers, crs_param(params, "bbox-crs", CRS84), "bbox")
    return x1, y1, x2, y2


def check_extent(numbers: list[float], crs: CrsInfo, name: str) -> None:
    """Coordinates (x, y, x, y ... in ``crs``'s axis order) that can be places: in degrees
    within the globe, in metres within 10,000 km; Lambert metres given as degrees are named."""
    if crs.epsg in (4326, 4258):
        lons, lats = (numbers[1::2], numbers[0::2]) if crs.flipped else (numbers[0::2],
                                                                          numbers[1::2])
        if all(-180 <= v <= 180 for v in lons) and all(-90 <= v <= 90 for v in lats):
            return
        metres = all(1000 < abs(v) < 1e7 for v in numbers)
        raise InvalidInput(
            f"{name}: {', '.join(f'{v:g}' for v in numbers)} is not within longitude "
            f"-180..180 and latitude -90..90 ({crs.uri})",
            hint=(f"these look like metres: say their CRS, e.g. {name}-crs=EPSG:31370"
                  if metres else "give longitude first, then latitude, in degrees"))
    if not all(abs(v) <= 1e7 for v in numbers):
        raise InvalidInput(f"{name}: {', '.join(f'{v:g}' for v in numbers)} is out of range "
                           f"for {crs.uri}", hint="give coordinates in the CRS's metres")


def int_param(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high]."""
    value = params.get(name)
    if value is None:
        return default
    try:  # ASCII digits: int() alone takes "1_0", "１" or " 1"
        if not WHOLE.fullmatch(value):
            raise ValueError(value)
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a whole number",
                           hint=f"give {name} between {low} and {high}") from None
    if not low <= number <= high:
        raise InvalidInput(f"{name} {number} is out of range",
                           hint=f"give {name} between {low} and {high}")
    return number


def date_param(value: str | None, name: str = "date") -> dt.datetime:
    """One instant (a date is the start of that day in Brussels); now when absent."""
    return optional_date_param(value, name) or dt.datetime.now(dt.UTC)


def optional_date_param(value: str | None, name: str) -> dt.datetime | None:
    """One instant, or None when absent."""
    if value is None:
        return None
    try:
        return parse_instant(value)
    except InvalidInput:
        raise InvalidInput(f"{name} {value!r} is not a date or an instant",
                           hint="give a date (2016-05-01) or an instant "
                                "(2016-05-01T14:30:00Z)") from None


def datetime_param(value: str | None
                   ) -> tuple[dt.datetime | None, tuple[dt.datetime | None, dt.datetime | None]
                              | None]:
    """``datetime``: an instant -> (instant, None); an interval -> (None, (start, end)).

    Open ends are ``..`` or empty. Raises InvalidInput naming the bad part.
    """
    if value is None:
        return None, None
    hint = ("give an instant (2021-01-01 or 2021-01-01T12:00:00Z) or an interval "
            "(2020-01-01/2021-01-01, ../2021-01-01, 2020-01-01/..)")
    try:
        if "/" not in value:
            return parse_instant(value), None
        start_text, end_text = value.split("/", 1)
        start = None if start_text in ("", "..") else parse_instant(start_text)
        end = None if end_text in ("", "..") else parse_instant(end_text)
    except InvalidInput:
        raise InvalidInput(f"datetime {value!r} is not an instant or an interval",
                           hint=hint) from None
    if start and end and start > end:
        raise InvalidInput(f"datetime {value!r}: the interval ends before it starts", hint=hint)
    return None, (start, end)


def properties_param(params: QueryParams, spec: LayerSpec) -> list[str] | None:
    """``properties=a,b``: a subset of the layer's attributes, each once, in the order
    first given (``a,b,a`` is ``a,b``)."""
    value = params.get("properties")
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in spec.attributes]
    if unknown:
        raise InvalidInput(f"properties: {', '.join(unknown)} not in {spec.id}",
                           hint=f"choose among: {', '.join(spec.attributes)}")
    return list(dict.fromkeys(names))


def sortby_param(params: QueryParams, spec: LayerSpec) -> list[tuple[str, bool]]:
    """``sortby=+a,-b``: attributes (or the key) with a direction."""
    value = params.get("sortby")
    if value is None:
        return []
    out = []
    sortable = {spec.key.name: "fid", **{a: a for a in spec.attributes}}
    for part in value.split(","):
        part = part.strip()
        desc = part.startswith("-")
        name = part.lstrip("+-")
        if name not in sortable:
            raise InvalidInput(f"sortby: {name!r} is not a property of {spec.id}",
                               hint=f"sort by: {', '.join(sortable)} (prefix - to reverse)")
        out.append((sortable[name], desc))
    return out


def filter_param(params: QueryParams, spec: LayerSpec | Fields, max_length: int = 10_000,
                 max_depth: int = 40) -> tuple[Any, dict[str, Any]] | None:
    """``filter`` (+ ``filter-lang``, ``filter-crs``): CQL2 text or JSON, as bound SQL; at
    most ``max_length`` characters, nested at most ``max_depth`` levels."""
    text = params.get("filter")
    if text is None:
        if "filter-lang" in params or "filter-crs" in params:
            raise InvalidInput("filter-lang / filter-crs without a filter",
                               hint="add filter=..., for example filter=name_fr='Ixelles'")
        return None
    from lark.exceptions import LarkError
    from pygeofilter.parsers.cql2_json import parse as parse_json
    from pygeofilter.parsers.cql2_text import parse as parse_text

    from versioning.filters import quotes_escaped, temporal_infix, to_sql

    lang = params.get("filter-lang", "cql2-text")
    crs = crs_param(params, "filter-crs", CRS84)
    if len(text) > max_length:
        raise InvalidInput(f"filter has {len(text):,} characters, more than {max_length:,}",
                           hint="simplify the filter, e.g. use IN (...) or a BBOX")
    try:
        if lang == "cql2-text":
            tree = parse_text(temporal_infix(quotes_escaped(text)))
        elif lang == "cql2-json":
            tree = parse_json(_cql2_json(json.loads(text)))
        else:
            raise InvalidInput(f"filter-lang {lang!r} is not supported",
                               hint="use filter-lang=cql2-text or cql2-json")
        return to_sql(tree, spec, crs, max_depth)
    except RecursionError:
        raise InvalidInput(f"filter: nested deeper than {max_depth} levels",
                           hint="simplify the filter, e.g. use IN (...) for many values"
                           ) from None
    except (LarkError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise InvalidInput(_unreadable(exc, lang),
                           hint="for example: name_fr = 'Ixelles' AND "
                                "S_INTERSECTS(geometry, POINT(4.35 50.84))") from None


def _unreadable(exc: Exception, lang: str) -> str:
    """What a filter that could not be read has wrong, in words (not the parser's tokens
    nor Python's)."""
    from lark.exceptions import (
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedToken,
        VisitError,
    )

    if isinstance(exc, json.JSONDecodeError):
        return f"filter is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken)
                                          and exc.token.type == "$END"):
        return f"filter is not valid {lang}: it ends too soon"
    if isinstance(exc, UnexpectedToken):
        return f"filter is not valid {lang}: unexpected {str(exc.token)!r} at column {exc.column}"
    if isinstance(exc, UnexpectedCharacters):
        return f"filter is not valid {lang}: unexpected {exc.char!r} at column {exc.column}"
    if isinstance(exc, VisitError) and isinstance(exc.orig_exc, ValueError):
        said = str(exc.orig_exc).strip().splitlines()
        return f"filter is not valid {lang}: {said[0] if said else 'a value cannot be read'}"
    return f"filter is not valid {lang}: an expression is not written as {lang} writes it"


# CQL2 JSON operators and how many arguments each takes (at least, for and / or)
CQL2_ARITY = {"and": 2, "or": 2, "not": 1, "isNull": 1, "=": 2, "<>": 2, "<": 2, "<=": 2,
              ">": 2, ">=": 2, "like": 2, "between": 3, "in": 2, "casei": 1, "accenti": 1,
              **{f"s_{n}": 2 for n in ("intersects", "equals", "disjoint", "touches",
                                       "within", "overlaps", "crosses", "contains")},
              **{f"t_{n}": 2 for n in ("before", "after", "equals", "during", "intersects",
                                       "disjoint", "meets", "metby", "overlaps",
                                       "overlappedby", "starts", "startedby", "finishes",
                                       "finishedby", "contains")}}
CQL2_NAMES = {name.lower(): name for name in CQL2_ARITY}  # as written in any case
TEMPORAL_SUPPORTED = ("t_before", "t_after", "t_equals")  # versioning/filters.py _TEMPORAL
CQL2_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CQL2_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
                            r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")
JSON_HINT = ('for example {"op": "=", "args": [{"property": "name_fr"}, "Ixelles"]}; '
             'dates as {"date": "2020-01-01"}, instants as '
             '{"timestamp": "2020-01-01T00:00:00Z"}')


def _cql2_json(node: Any) -> Any:
    """A CQL2 JSON filter checked before pygeofilter reads it, as pygeofilter reads it:
    every operator known and given its number of arguments, dates and instants written as
    RFC 3339 (pygeofilter would read "tomorrow" as a date), ``between`` as CQL2 writes it
    (three arguments; pygeofilter wants the two bounds in a list), ``{"bbox": [...]}`` as a
    polygon (pygeofilter 0.4 swaps its axes). InvalidInput for anything else."""
    if isinstance(node, list):
        return [_cql2_json(v) for v in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"}:
        b = node["bbox"]
        if not isinstance(b, list) or len(b) not in (4, 6):
            raise InvalidInput("filter: a bbox is a list of 4 or 6 numbers", hint=JSON_HINT)
        x1, y1, x2, y2 = b if len(b) == 4 else (b[0], b[1], b[3], b[4])
        return {"type": "Polygon",
                "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}
    if "date" in node or "timestamp" in node:
        kind = "date" if "date" in node else "timestamp"
        _json_instant(node[kind], kind)
        return node
    if "interval" in node:
        ends = node["interval"]
        if not isinstance(ends, list) or len(ends) != 2:
            raise InvalidInput("filter: an interval is a list of two ends", hint=JSON_HINT)
        for end in ends:
            if end != "..":
                _json_instant(end, "timestamp" if "T" in str(end).upper() else "date")
        return node
    if "op" in node:
        written, args = node["op"], node.get("args")
        op = CQL2_NAMES.get(written.lower()) if isinstance(written, str) else None
        if op is None:
            raise InvalidInput(f"filter: {json.dumps(written)[:40]} is not a CQL2 operator "
                               "this service knows", hint=f"operators: {', '.join(CQL2_ARITY)}")
        if op.startswith("t_") and op not in TEMPORAL_SUPPORTED:
            raise InvalidInput(f"filter: {op} is not supported here",
                               hint="compare instants with t_before, t_after or t_equals")
        if op in ("not", "isNull") and isinstance(args, dict):
            args = [args]
        if op == "between" and isinstance(args, list) and len(args) == 2 \
                and isinstance(args[1], list) and len(args[1]) == 2:
            args = [args[0], *args[1]]  # the bounds in a list, as pygeofilter writes them
        arity = CQL2_ARITY[op]
        if not isinstance(args, list) or (len(args) < arity if op in ("and", "or")
                                          else len(args) != arity):
            count = len(args) if isinstance(args, list) else 0
            if arity == 1:
                raise InvalidInput(f"filter: {op} takes one argument, not {count}",
                                   hint=JSON_HINT)
            if op in ("and", "or"):
                raise InvalidInput(f"filter: {op} takes at least {arity} arguments, not "
                                   f"{count}", hint=JSON_HINT)
            raise InvalidInput(f"filter: {op} takes {arity} arguments, not {count}",
                               hint=JSON_HINT)
        if op == "in" and not isinstance(args[1], list):
            raise InvalidInput("filter: in takes a property and a list of values",
                               hint='for example {"op": "in", "args": [{"property": '
                                    '"name_fr"}, ["Ixelles", "Uccle"]]}')
        if op == "like" and not isinstance(args[1], str | dict):
            raise InvalidInput("filter: like takes a property and a text pattern",
                               hint='for example {"op": "like", "args": [{"property": '
                                    '"name_fr"}, "Rue%"]}')
        checked = [_cql2_json(a) for a in args]
        if op == "between":
            checked = [checked[0], [checked[1], checked[2]]]
        return {**node, "op": op, "args": checked}
    return {k: _cql2_json(v) for k, v in node.items()}


def _json_instant(value: Any, kind: str) -> None:
    """A CQL2 JSON date (YYYY-MM-DD) or instant (RFC 3339), or InvalidInput."""
    pattern = CQL2_DATE if kind == "date" else CQL2_TIMESTAMP
    ok = isinstance(value, str) and pattern.fullmatch(value) is not None
    if ok:
        try:
            if kind == "date":
                dt.date.fromisoformat(value)
            else:
                dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            ok = False
    if not ok:
        example = "2020-01-01" if kind == "date" else "2020-01-01T00:00:00Z"
        raise InvalidInput(f"filter: {json.dumps(value)} is not a {kind} of RFC 3339",
                           hint=f'write {{"{kind}": "{example}"}}')


EQUALITY_KINDS = ("text", "integer", "double", "boolean", "date", "timestamp")




def equality_names(spec: LayerSpec) -> set[str]:
    """The properties ``name=value`` may compare: the key, the attributes of a type with an
    equality (not the JSON ones) and the lifespan's ends (OGC API Features Part 3: every
    queryable a query parameter); another attribute is refused with a hint."""
    return {spec.key.name, *LIFESPAN,
            *(n for n, kind in spec.attributes.items() if kind in EQUALITY_KINDS)}


def equals_param(params: QueryParams, spec: LayerSpec) -> dict[str, Any]:
    """``name_fr=Ixelles``: equality on properties (OGC API Features 1, /req/core/fc-filters),
    each value checked against the property's type."""
    out: dict[str, Any] = {}
    for name in params:
        if name == spec.key.name:
            value = key_value(spec, params[name])
            if value is None:
                raise InvalidInput(f"{name}={params[name]!r} is not a key of {spec.id}",
                                   hint=f"{name} is a {spec.key.type}")
            out["fid"] = value
        elif name in spec.attributes:
            out[name] = typed_value(params[name], spec.attributes[name], name)
        elif name in LIFESPAN:  # queryables of every layer (versioning/filters.py)
            out[name] = typed_value(params[name], "timestamp", name)
    return out


def typed_value(text: str, kind: str, name: str) -> Any:
    """A query parameter's text as a value of an attribute of type ``kind``."""
    if kind == "text":
        return text
    if kind == "integer":
        return int_param(QueryParams({name: text}), name, 0, -(2**63), 2**63 - 1)
    if kind == "double":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise InvalidInput(f"{name}={text!r} is not a number", hint=f"{name}=12.5")
        return number
    if kind == "boolean":
        return bool_param(QueryParams({name: text}), name)
    if kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"{name}={text!r} is not a date",
                               hint=f"{name}=2021-04-12 (YYYY-MM-DD)") from None
    if kind == "timestamp":
        return optional_date_param(text, name)
    raise InvalidInput(f"{name} cannot be compared for equality",
                       hint="use a filter on another property")


def bool_param(params: QueryParams, name: str) -> bool:
    """A true/false parameter."""
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise InvalidInput(f"{name}={value!r} is not true or false", hint=f"{name}=true")
    return value == "true"


def key_value(spec: LayerSpec, text: str) -> Any:
    """A feature key from the URL, typed as the layer's key (None when it cannot be one, an
    integer beyond 64 bits included)."""
    if spec.key.type == "integer":
        try:
            number = int(text)
        except ValueError:
            return None
        return number if -(2**63) <= number < 2**63 else None
    return text
