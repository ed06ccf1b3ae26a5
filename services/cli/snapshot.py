# SPDX-License-Identifier: EUPL-1.2
"""``strata snapshot LAYER --date D -o FILE``: the layer exactly as it was on a date."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import click

from geo.crs import parse_crs
from geo.errors import InvalidInput
from layers.catalogue import LayerSpec
from services.cli.common import (
    check_output,
    day,
    echo_err,
    parse_with,
    progress_bar,
    say,
    store,
    warn_before_first_edition,
    written,
)
from versioning.export import FORMATS, export_snapshot, format_for
from versioning.instants import parse_instant
from versioning.reading import layer_counts


@click.command("snapshot")
@click.argument("layer_id", metavar="[LAYER]", required=False)
@click.option("--date", "at", required=True, callback=parse_with(parse_instant),
              help="The date (YYYY-MM-DD, start of that day in Brussels) or ISO date-time.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write; its suffix picks the format unless --format is given.")
@click.option("--format", "fmt_name", type=click.Choice(sorted(FORMATS)),
              help="gpkg, geojson, fgb, shp (zipped) or csv (geometry as WKT).")
@click.option("--crs", "crs", default="EPSG:31370", show_default=True,
              callback=parse_with(parse_crs), help="Output CRS (EPSG:31370, 3812, 4258, ...).")
@click.option("--all", "all_layers", is_flag=True, help="Every layer, into one GeoPackage.")
@click.pass_context
def command(ctx: click.Context, layer_id: str | None, at, output: Path, fmt_name: str | None,
            crs, all_layers: bool) -> None:
    """Write LAYER (or --all layers) as it was on --date to a file."""
    s = store(ctx)
    if all_layers == bool(layer_id):
        raise InvalidInput("name one LAYER or give --all", hint="strata snapshot streets "
                           "--date 2021-01-01 -o streets.gpkg, or --all -o map.gpkg")
    fmt = format_for(output, "gpkg" if all_layers else fmt_name)
    if all_layers and output.suffix.lower() != ".gpkg":
        raise InvalidInput("--all writes one GeoPackage", hint="give -o a .gpkg file")
    specs = (list(s.catalogue.layers.values()) if all_layers or layer_id is None
             else [s.catalogue.layer(layer_id)])
    check_output(output)
    with s.connect() as conn, ExitStack() as bars, written(output) as work:
        for spec in specs:
            warn_before_first_edition(
                conn, [spec], at, f"the map of {day(at)} is empty" if not spec.derived_from
                else f"its part of {spec.id} on {day(at)} is empty")

        def progress(spec: LayerSpec) -> Callable[[int], None]:
            total = layer_counts(conn, spec)[0]
            return bars.enter_context(progress_bar(total, f"{spec.id} {at:%Y-%m-%d}"))

        counts = export_snapshot(conn, specs, at, work, fmt, crs.epsg, progress)
    for layer_id_, count in counts.items():
        echo_err(f"{layer_id_}: {count} features as of {at.isoformat()}")
    say(f"wrote {output}")
