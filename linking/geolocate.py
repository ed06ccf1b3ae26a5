# SPDX-License-Identifier: EUPL-1.2
"""Geolocation: for one point, on the map of an instant, the nearest street, the
municipality, the district, the postcode, inside / outside the region, and who must act.

Every layer is read as it was at the instant; an instant before a layer's first edition
reads that first edition (the answer names the edition used, for each layer).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import psycopg

from geo.city import LANGS
from geo.crs import CrsInfo
from geo.errors import InvalidInput
from layers.catalogue import Catalogue
from layers.responsibility import Responsibility
from linking.regional_roads import VIEW
from linking.sqlfiles import load_sql, render
from versioning.instants import rfc3339


def check_point(x: float, y: float, crs: CrsInfo) -> tuple[float, float]:
    """The point as x / y of the CRS's storage order (lon, lat for WGS 84); refuses
    coordinates that cannot be a place on Earth."""
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidInput("coordinates must be finite numbers", hint="for example "
                           "lon=4.3525&lat=50.8467")
    if crs.flipped:
        x, y = y, x
    if crs.epsg in (4326, 4258) and not (-180 <= x <= 180 and -90 <= y <= 90):
        raise InvalidInput(f"({x}, {y}) is not a longitude / latitude",
                           hint="longitude is within -180..180 and latitude within -90..90; "
                                "Brussels is near lon=4.35, lat=50.85")
    return x, y


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def geolocate(conn: psycopg.Connection, catalogue: Catalogue, rules: Responsibility,
              x: float, y: float, crs: CrsInfo, at: dt.datetime,
              category: int | None = None) -> dict[str, Any]:
    """Everything known about a point on the map of ``at`` (JSON-ready; texts in fr/nl/en)."""
    x, y = check_point(x, y, crs)
    if category is not None and conn.execute(
            "SELECT 1 FROM fms_category WHERE category_id = %s", (category,)).fetchone() is None:
        raise InvalidInput(f"unknown category {category}",
                           hint="the categories are listed at /open311/v2/services.json")
    roles = {role: catalogue.layer(layer_id) for role, layer_id in rules.roles.items()}
    query = render("geolocate", municipalities=roles["municipality"].table,
                   districts=roles["district"].table, streets=roles["street"].table,
                   region=roles["region"].table, postcodes=roles["postcode"].table,
                   regional=VIEW)
    with conn.transaction():
        # one plan for every point: planning this query anew costs more than running it
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        row = conn.execute(query, {
            "x": x, "y": y, "epsg": crs.epsg, "at": at,
            "layers": [s.id for s in roles.values()],
            **{f"{role}_layer": spec.id for role, spec in roles.items()},
            "margin_m": rules.boundary_margin_m, "street_m": rules.street_search_m,
            "regional_m": rules.regional_within_m,
            "match_m": rules.regional_roads.match_within_m,
        }).fetchone()
    return describe(conn, rules, row, at, category)


def describe(conn: psycopg.Connection, rules: Responsibility, row: Any, at: dt.datetime,
             category: int | None) -> dict[str, Any]:
    """The JSON answer for one row of ``geolocate.sql``."""
    (x, y, first_editions, lon, lat, inside, region_m, region_boundary_m, mun_id, mun_fr,
     mun_nl, nat_code, mun_ed, mun_boundary_m, mun_gap_m, neighbours, dis_id, dis_fr, dis_nl,
     dis_ed, st_id, st_name, st_fr, st_nl, st_m, st_ed, rr_id, rr_fr, rr_m, postcode) = row
    decision = rules.decide(category=category, regional_road_m=rr_m,
                            municipality_id=mun_id, inside_region=bool(inside or mun_id))
    margin = rules.boundary_margin_m
    near_boundary = bool(neighbours) or (
        region_boundary_m is not None and region_boundary_m <= margin)
    answer: dict[str, Any] = {
        "date": rfc3339(at),
        "point": {"lon": round(lon, 7), "lat": round(lat, 7),
                  "x_31370": round(x, 2), "y_31370": round(y, 2)},
        "inside_region": bool(inside),
        "distance_to_region_m": _round(region_m),
        "near_boundary": near_boundary,
        "municipality": None if mun_id is None else {
            "id": mun_id, "name": {"fr": mun_fr, "nl": mun_nl}, "nat_code": nat_code,
            "edition": str(mun_ed), "distance_to_boundary_m": _round(mun_boundary_m),
            # 0 when the point is in it; else the point is in a sliver between the
            # municipalities' polygons (inside the region), and this one is the nearest
            "distance_m": _round(mun_gap_m),
            "within_margin": [{"id": n["id"], "name": {"fr": n["name_fr"], "nl": n["name_nl"]},
                               "distance_m": float(n["distance_m"])} for n in neighbours]},
        "district": None if dis_id is None else {
            "id": dis_id, "name": {"fr": dis_fr, "nl": dis_nl}, "edition": str(dis_ed)},
        "street": None if st_id is None else {
            "id": st_id, "name": {"fr": st_fr, "nl": st_nl}, "label": st_name,
            "distance_m": _round(st_m), "edition": str(st_ed)},
        "postcode": None if not inside or postcode is None else {
            "code": str(postcode), "derived": True},
        "regional_road": None if rr_id is None else {
            "id": rr_id, "name_fr": rr_fr, "distance_m": _round(rr_m), "derived": True},
        "responsible": responsible(conn, rules, decision.organisation_id, decision.rule),
    }
    if not answer["inside_region"]:
        answer["message"] = rules.outside_region.model_dump()
    notes = [first_edition_note(*item.rsplit(" ", 1)) for item in first_editions]
    if swapped(answer):
        notes.append(SWAPPED)
    if notes:
        answer["notes"] = notes
    return answer


SWAPPED = {
    "fr": "le point est hors de la Région ; ses coordonnées inversées le placeraient à "
          "Bruxelles : donnez la longitude d'abord (lon=4.3525&lat=50.8467)",
    "nl": "het punt ligt buiten het Gewest; met omgewisselde coördinaten zou het in Brussel "
          "liggen: geef eerst de lengtegraad (lon=4.3525&lat=50.8467)",
    "en": "the point is outside the region; with its coordinates swapped it would be in "
          "Brussels: give the longitude first (lon=4.3525&lat=50.8467)"}


def first_edition_note(layer_id: str, edition: str) -> dict[str, str]:
    """The note that a layer has no edition as old as the date asked: its first answers."""
    return {"fr": f"{layer_id} : aucune édition aussi ancienne que cette date ; la première "
                  f"({edition}) répond",
            "nl": f"{layer_id}: geen editie zo oud als deze datum; de eerste ({edition}) "
                  "antwoordt",
            "en": f"{layer_id}: no edition is as old as this date; the first one ({edition}) "
                  "answers"}


def swapped(answer: dict[str, Any]) -> bool:
    """Whether a point outside the region would fall in Brussels' rough bounds with its
    longitude and latitude swapped."""
    lon, lat = answer["point"]["lon"], answer["point"]["lat"]
    return not answer["inside_region"] and 4.2 <= lat <= 4.5 and 50.7 <= lon <= 50.95


def responsible(conn: psycopg.Connection, rules: Responsibility, organisation_id: int | None,
                rule_id: str) -> dict[str, Any]:
    """The organisation that must act and why, texts in fr / nl / en."""
    rule = rules.rule(rule_id)
    reason = rule.reason.model_dump() if rule else rules.outside_region.model_dump()
    org = None
    if organisation_id is not None:
        found = conn.execute(load_sql("organisation"), (organisation_id,)).fetchone()
        if found:
            org = {"id": found[0], "name": {"fr": found[1], "nl": found[2]}, "kind": found[3]}
    return {"organisation": org, "rule": rule_id, "reason": reason}


def localise(value: Any, lang: str) -> Any:
    """Texts given in fr / nl / en reduced to ``lang``: every {"fr","nl","en"} mapping."""
    if isinstance(value, dict):
        if set(value) == set(LANGS):
            return value[lang]
        return {k: localise(v, lang) for k, v in value.items()}
    if isinstance(value, list):
        return [localise(v, lang) for v in value]
    return value
