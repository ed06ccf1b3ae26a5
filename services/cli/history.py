# SPDX-License-Identifier: EUPL-1.2
"""``strata history LAYER KEY``: every version of one feature, with its lifespan."""

from __future__ import annotations

import json

import click
import shapely

from geo.errors import NotFound
from services.cli.common import say, spoken, store
from versioning.reading import history


@click.command("history")
@click.argument("layer_id", metavar="LAYER")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (geometry as GeoJSON).")
@click.pass_context
def command(ctx: click.Context, layer_id: str, key: str, as_json: bool) -> None:
    """List every version of the feature KEY of LAYER, oldest first."""
    s = store(ctx)
    spec = s.catalogue.layer(layer_id)
    with s.connect() as conn:
        versions = history(conn, spec, key)
    if not versions:
        raise NotFound(f"{layer_id} has no feature {spec.key.name} = {key!r}",
                       hint=f"check the key; `strata snapshot {layer_id} ...` lists them")
    if as_json:
        out = []
        for v in versions:
            geom = v.pop("geom")
            v["geometry"] = json.loads(shapely.to_geojson(shapely.from_wkb(geom))) if geom else None
            out.append(v)
        click.echo(json.dumps(out, indent=2, ensure_ascii=False, default=str))
        return
    for n, v in enumerate(versions, 1):
        end = v["endLifespanVersion"] or spoken("now")
        geom = shapely.from_wkb(v["geom"]) if v["geom"] else None
        begin, edition = f"{v['beginLifespanVersion']:%Y-%m-%d}", v["edition_date"]
        until = end if isinstance(end, str) else f"{end:%Y-%m-%d}"
        if geom is not None and geom.area:
            say(f"version {n}: {begin} -> {until}  (edition {edition}) area {geom.area:.0f} m²")
        elif geom is not None and geom.length:
            say(f"version {n}: {begin} -> {until}  (edition {edition}) length "
                f"{geom.length:.0f} m")
        else:
            say(f"version {n}: {begin} -> {until}  (edition {edition})")
        for name in spec.attributes:
            if spec.attributes[name] != "json":
                click.echo(f"    {name}: {v[name]}")
