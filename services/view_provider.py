# SPDX-License-Identifier: EUPL-1.2
"""A pygeoapi provider over a read-only view (public incidents, aggregates): bbox, property
equality, sortby, paging; GeoJSON built by PostgreSQL. The view decides what is public.

Its errors are Strata's (``InvalidInput``, ``NotFound``): the app answers them in the one
shape, with their hint."""

from __future__ import annotations

from typing import Any

from psycopg import sql
from pygeoapi.provider.base import BaseProvider

from geo.errors import InvalidInput, NotFound
from services.provider import _context

JSON_KINDS = {"integer": "integer", "double": "number", "boolean": "boolean"}


class ViewProvider(BaseProvider):
    """``data`` names the view; ``id_field`` its key; the geometry column is ``geom``."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        _, self.pool = _context(provider_def)
        self.view = str(self.data)
        self.get_fields()

    def get_fields(self) -> dict[str, dict[str, str]]:
        """The view's columns (but the geometry) as JSON Schema types."""
        from linking.view_pages import view_spec

        with self.pool.connection() as conn:
            kinds = view_spec(conn, self.view, self.view, self.id_field, None).kinds
        self._fields = {n: {"type": JSON_KINDS.get(k, "string")} for n, k in kinds.items()}
        return self._fields

    def _feature_sql(self) -> sql.Composed:
        return sql.SQL(
            "json_build_object('type', 'Feature', 'id', v.{id}, 'geometry', "
            "ST_AsGeoJSON(ST_Transform(v.geom, 4326), 7)::json, "
            "'properties', to_jsonb(v) - 'geom')").format(id=sql.Identifier(self.id_field))

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              bbox: list | None = None, datetime_: str | None = None,
              properties: list | None = None, sortby: list | None = None,
              select_properties: list | None = None, skip_geometry: bool = False,
              **kwargs: Any) -> dict[str, Any]:
        """A page of the view's rows as features."""
        where: list[sql.Composable] = [sql.SQL("true")]
        params: list[Any] = []
        if bbox:
            where.append(sql.SQL("v.geom && ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, "
                                 "4326), 31370)"))
            params += [float(b) for b in bbox[:4]]
        if datetime_ and self.time_field:
            start, _, end = datetime_.partition("/") if "/" in datetime_ \
                else (datetime_, "", datetime_)
            column = sql.Identifier(self.time_field)
            if start not in ("", ".."):
                where.append(sql.SQL("v.{} >= %s::timestamptz").format(column))
                params.append(start)
            if end not in ("", ".."):
                where.append(sql.SQL("v.{} <= %s::timestamptz").format(column))
                params.append(end)
        for name, value in properties or []:
            if name not in self._fields:
                raise InvalidInput(f"unknown property {name}",
                                   hint=f"the properties: {', '.join(self._fields)}")
            where.append(sql.SQL("v.{}::text = %s").format(sql.Identifier(name)))
            params.append(str(value))
        order = [sql.SQL("v.{} {}").format(sql.Identifier(s["property"]),
                                           sql.SQL("DESC" if s["order"] == "-" else "ASC"))
                 for s in sortby or [] if s["property"] in self._fields]
        order.append(sql.SQL("v.{}").format(sql.Identifier(self.id_field)))
        cond = sql.SQL(" AND ").join(where)
        with self.pool.connection() as conn:
            matched = conn.execute(sql.SQL("SELECT count(*) FROM {} AS v WHERE {}").format(
                sql.Identifier(self.view), cond), params).fetchone()[0]  # type: ignore[index]
            rows = [] if resulttype == "hits" else conn.execute(
                sql.SQL("SELECT {} FROM {} AS v WHERE {} ORDER BY {} LIMIT %s OFFSET %s").format(
                    self._feature_sql(), sql.Identifier(self.view), cond,
                    sql.SQL(", ").join(order)), [*params, limit, offset]).fetchall()
        features = [r[0] for r in rows]
        for f in features:
            if skip_geometry:
                f["geometry"] = None
            if select_properties:
                f["properties"] = {k: v for k, v in f["properties"].items()
                                   if k in select_properties}
        return {"type": "FeatureCollection", "features": features,
                "numberMatched": matched, "numberReturned": len(features)}

    def get(self, identifier: str, **kwargs: Any) -> dict[str, Any]:
        """One row by its key."""
        with self.pool.connection() as conn:
            row = conn.execute(sql.SQL("SELECT {} FROM {} AS v WHERE v.{}::text = %s").format(
                self._feature_sql(), sql.Identifier(self.view), sql.Identifier(self.id_field)),
                (str(identifier),)).fetchone()
        if row is None:
            raise NotFound(f"{self.view} has no {identifier}",
                           hint="list the features at .../items")
        return row[0]  # type: ignore[no-any-return]
