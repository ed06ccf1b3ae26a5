# SPDX-License-Identifier: EUPL-1.2
"""``strata geolocate X Y``: where a point is on the map of a date, and who must act."""

from __future__ import annotations

import json
from typing import Any

import click

from geo.crs import parse_crs
from linking.geolocate import geolocate, localise, swapped
from services.cli.common import (
    day,
    echo_err,
    parse_with,
    spoken,
    store,
    warn_before_first_edition,
)
from services.error_text import cli_language
from versioning.instants import parse_instant

LABELS = {
    "fr": {"municipality": "Commune", "district": "Quartier", "street": "Rue",
           "postcode": "Code postal", "responsible": "Responsable", "outside": "Hors région",
           "near": "près d'une limite", "none": "aucune dans un rayon de"},
    "nl": {"municipality": "Gemeente", "district": "Wijk", "street": "Straat",
           "postcode": "Postcode", "responsible": "Verantwoordelijke", "outside": "Buiten gewest",
           "near": "dicht bij een grens", "none": "geen binnen"},
    "en": {"municipality": "Municipality", "district": "District", "street": "Street",
           "postcode": "Postcode", "responsible": "Responsible", "outside": "Outside region",
           "near": "near a boundary", "none": "none within"},
}


def lines(answer: dict[str, Any], lang: str, search_m: float) -> list[str]:
    """The answer as lines for a person, in ``lang`` (names in fr / nl)."""
    t = LABELS[lang]
    name_lang = "nl" if lang == "nl" else "fr"
    out = []
    if not answer["inside_region"]:
        out.append(f"{t['outside']}: {answer['message']} "
                   f"({answer['distance_to_region_m']} m)")
    mun = answer["municipality"]
    if mun:
        near = f" ({t['near']})" if answer["near_boundary"] else ""
        out.append(f"{t['municipality']}: {mun['name'][name_lang]} [{mun['edition']}]{near}")
    if answer["district"]:
        out.append(f"{t['district']}: {answer['district']['name'][name_lang]}")
    street = answer["street"]
    if street:
        out.append(f"{t['street']}: {street['name'][name_lang] or street['label']} "
                   f"({street['distance_m']} m) [{street['edition']}]")
    elif answer["inside_region"]:
        out.append(f"{t['street']}: {t['none']} {search_m:g} m")
    if answer["postcode"]:
        out.append(f"{t['postcode']}: {answer['postcode']['code']}")
    resp = answer["responsible"]
    if resp["organisation"]:
        out.append(f"{t['responsible']}: {resp['organisation']['name'][name_lang]} "
                   f"- {resp['reason']}")
    return out


@click.command("geolocate")
@click.argument("x", type=float)
@click.argument("y", type=float)
@click.option("--crs", default="CRS84", show_default=True, callback=parse_with(parse_crs),
              help="CRS of X Y (CRS84: longitude latitude; EPSG:31370: x y in metres).")
@click.option("--date", "at", default=None, callback=parse_with(parse_instant),
              help="The map of this date (YYYY-MM-DD); today when not given.")
@click.option("--category", type=int, help="A Fix My Street category id (routing rules).")
@click.option("--lang", type=click.Choice(["fr", "nl", "en"]), default=None,
              help="Language of the answer (default: the command line's; English with --json).")
@click.option("--json", "as_json", is_flag=True, help="Print the full answer as JSON.")
@click.pass_context
def command(ctx: click.Context, x: float, y: float, crs, at, category: int | None,
            lang: str | None, as_json: bool) -> None:
    """Where the point X Y is (street, municipality, district, postcode) and who must act."""
    import datetime as dt

    lang = lang or ("en" if as_json else cli_language())  # JSON for programs: English
    s = store(ctx)
    at = at or dt.datetime.now(dt.UTC)
    with s.connect() as conn:
        answer = geolocate(conn, s.catalogue, s.responsibility, x, y, crs, at, category)
        roles = [s.catalogue.layer(layer_id) for layer_id in s.responsibility.roles.values()]
        warn_before_first_edition(conn, roles, at, f"the answer on {day(at)} uses that first "
                                  "edition", "it has no part in the answer")
    if swapped(answer):
        first, option = ("latitude", f" --crs EPSG:{crs.epsg}") if crs.flipped else (
            "longitude", "")
        echo_err(f"warning: ({x}, {y}) is outside the region; with its coordinates "
                 "swapped it would be in Brussels")
        echo_err(f"  hint: these look swapped: {spoken(first)} first, e.g. "
                 f"`strata geolocate {y} {x}{option}`")
    answer = localise(answer, lang)
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        for line in lines(answer, lang, s.responsibility.street_search_m):
            click.echo(line)
