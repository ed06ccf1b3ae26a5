# SPDX-License-Identifier: EUPL-1.2
"""Incidents reported through Open311: stored geolocated and routed, read back with public
fields only; and the API keys of the clients allowed to report (kept as SHA-256)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import psycopg

from geo.crs import CRS84, STORAGE_EPSG, parse_crs, storage_domain
from geo.errors import Conflict, InvalidInput
from layers.catalogue import Catalogue
from layers.responsibility import Responsibility
from linking.addresses import locate_address
from linking.geolocate import geolocate
from linking.sqlfiles import load_sql

L72 = parse_crs(str(STORAGE_EPSG))
PRIVATE = ("email", "first_name", "last_name", "phone", "device_id", "account_id")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(conn: psycopg.Connection, name: str) -> str:
    """A new API key for client ``name`` (shown once; only its digest is kept)."""
    key = secrets.token_urlsafe(24)
    try:
        conn.execute("INSERT INTO api_key (name, key_sha256) VALUES (%s, %s)",
                     (name, _digest(key)))
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"an API key named {name!r} exists already",
                       hint="choose another name") from None
    return key


def key_name(conn: psycopg.Connection, key: str | None) -> str | None:
    """The client name of a key, None when the key is unknown."""
    if not key:
        return None
    row = conn.execute("SELECT name FROM api_key WHERE key_sha256 = %s",
                       (_digest(key),)).fetchone()
    return None if row is None else str(row[0])


def key_wait(conn: psycopg.Connection, address: str, limit: int, window_s: float = 60.0
             ) -> int:
    """Seconds ``address`` must wait before it may try a key again (0: now), after ``limit``
    wrong keys within ``window_s`` seconds. Counted in the database: every instance of the
    service sees the same failures."""
    row = conn.execute(load_sql("key_failure_wait"), {
        "address": address, "limit": limit, "window_s": window_s}).fetchone()
    return 0 if row is None else int(row[0])


def key_failed(conn: psycopg.Connection, address: str, window_s: float = 60.0) -> None:
    """Count one wrong key from ``address``."""
    conn.execute(load_sql("key_failure_add"), {"address": address, "window_s": window_s})


def revoke_key(conn: psycopg.Connection, name: str) -> bool:
    """Remove the key of client ``name``, which can then no longer report (the reports it
    filed keep its name); False when there is no such key."""
    row = conn.execute("DELETE FROM api_key WHERE name = %s RETURNING name", (name,)).fetchone()
    return row is not None


@dataclass
class Report:
    """A report as a client sends it."""

    service_code: int
    lon: float | None = None
    lat: float | None = None
    address_string: str | None = None
    description: str | None = None
    media_url: str | None = None
    private: dict[str, str | None] | None = None


def address_point(conn: psycopg.Connection, catalogue: Catalogue, rules: Responsibility,
                  address: str, at: dt.datetime | None = None) -> tuple[float, float]:
    """The Lambert 72 point of an address string on the map of ``at`` (now by default): the
    middle of the street it names as a whole, where its postcode or municipality says
    (:func:`linking.addresses.locate_address`; InvalidInput when unknown or ambiguous)."""
    at = at or dt.datetime.now(dt.UTC)
    return locate_address(conn, catalogue, rules, address, at).point


def report(conn: psycopg.Connection, catalogue: Catalogue, rules: Responsibility, r: Report,
           client: str, at: dt.datetime | None = None) -> tuple[int, dict[str, Any]]:
    """Geolocate, route and store a report in one transaction; its id and the geolocation."""
    at = at or dt.datetime.now(dt.UTC)
    with conn.transaction():
        if r.lon is not None and r.lat is not None:
            answer = geolocate(conn, catalogue, rules, r.lon, r.lat, CRS84, at,
                               r.service_code)
        elif r.address_string:
            x, y = address_point(conn, catalogue, rules, r.address_string, at)
            answer = geolocate(conn, catalogue, rules, x, y, L72, at, r.service_code)
        else:
            raise InvalidInput("a report needs a place", hint="give lat and long, or "
                               "address_string")
        if not answer["inside_region"]:
            raise InvalidInput("the place is outside the Brussels-Capital Region "
                               f"({answer['distance_to_region_m']} m away)",
                               hint="report it to the authority of that place")
        mun, street = answer["municipality"] or {}, answer["street"] or {}
        org = answer["responsible"]["organisation"] or {}
        new_id = conn.execute(load_sql("incident_insert"), {
            "service_code": r.service_code, "description": r.description,
            "address_string": r.address_string, "media_url": r.media_url, "at": at,
            "x": answer["point"]["x_31370"], "y": answer["point"]["y_31370"],
            "municipality_id": mun.get("id"),
            "municipality_fr": (mun.get("name") or {}).get("fr"),
            "municipality_nl": (mun.get("name") or {}).get("nl"),
            "district_id": (answer["district"] or {}).get("id"),
            "street_id": street.get("id"), "street_fr": (street.get("name") or {}).get("fr"),
            "street_nl": (street.get("name") or {}).get("nl"),
            "postcode": (answer["postcode"] or {}).get("code"),
            "organisation_id": org.get("id"), "rule": answer["responsible"]["rule"],
            **{k: (r.private or {}).get(k) for k in PRIVATE}, "api_key_name": client,
        }).fetchone()[0]  # type: ignore[index]
    return int(new_id), answer


def incidents(conn: psycopg.Connection, *, ids: list[int] | None = None,
              service_codes: list[int] | None = None, status: str | None = None,
              start: dt.datetime | None = None, end: dt.datetime | None = None,
              bbox: tuple[float, float, float, float] | None = None, limit: int = 1000,
              offset: int = 0) -> list[dict[str, Any]]:
    """Public incidents, newest first; ``bbox`` in longitude / latitude, cut to where the
    storage CRS projects (a box reaching a pole would meet nothing)."""
    if bbox:
        x1, y1, x2, y2 = storage_domain(4326)
        bbox = (max(bbox[0], x1), max(bbox[1], y1), min(bbox[2], x2), min(bbox[3], y2))
        if bbox[0] > bbox[2] or bbox[1] > bbox[3]:
            return []
    cur = conn.execute(load_sql("incident_select"), {
        "id": ids, "service_code": service_codes, "status": status, "start": start,
        "end": end, "bbox": list(bbox) if bbox else None, "limit": limit, "offset": offset})
    names = [c.name for c in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def public_incidents(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every incident's public fields and geometry (WKB, EPSG:31370), to link."""
    cur = conn.execute(load_sql("incident_records"))
    names = [c.name for c in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
