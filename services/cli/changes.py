# SPDX-License-Identifier: EUPL-1.2
"""``strata changes LAYER --from D1 --to D2 -o FILE``: what changed in (D1, D2]."""

from __future__ import annotations

from pathlib import Path

import click

from geo.crs import parse_crs
from geo.errors import InvalidInput
from services.cli.common import (
    check_output,
    day,
    echo_err,
    first_editions,
    parse_with,
    say,
    store,
    warn_first_edition,
    written,
)
from versioning.export import DIFF_FORMATS, FORMATS, export_changes, format_for
from versioning.instants import parse_instant


@click.command("changes")
@click.argument("layer_id", metavar="LAYER")
@click.option("--from", "t1", required=True, callback=parse_with(parse_instant),
              help="Start of the window (excluded), YYYY-MM-DD or ISO date-time.")
@click.option("--to", "t2", required=True, callback=parse_with(parse_instant),
              help="End of the window (included).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file: .json / .jsonl (strata.diff/v1), .gpkg, .geojson, .csv, .fgb.")
@click.option("--format", "fmt_name", type=click.Choice(sorted({**FORMATS, **DIFF_FORMATS})))
@click.option("--crs", default="EPSG:31370", show_default=True, callback=parse_with(parse_crs))
@click.pass_context
def command(ctx: click.Context, layer_id: str, t1, t2, output: Path, fmt_name: str | None,
            crs) -> None:
    """Write one net action per feature (added / modified / deleted) with old and new values."""
    s = store(ctx)
    spec = s.catalogue.layer(layer_id)
    if t2 < t1:
        raise InvalidInput(f"--to ({t2:%Y-%m-%d}) is before --from ({t1:%Y-%m-%d})",
                           hint="give the earlier date as --from")
    fmt = format_for(output, fmt_name, diff=True)
    check_output(output)
    with s.connect() as conn, written(output) as work:
        for layer_id_, first in first_editions(conn, [spec]).items():
            if first is None or first["valid_from"] > t2:
                warn_first_edition(layer_id_, first, f"its map is empty on {day(t1)} and on "
                                                     f"{day(t2)}: there is no change")
            elif first["valid_from"] > t1:
                warn_first_edition(layer_id_, first, f"its map of {day(t1)} (--from) is empty, "
                                   f"so every feature it has on {day(t2)} counts as added")
        tally = export_changes(conn, spec, t1, t2, work, fmt, crs.epsg, crs.uri)
    echo_err(f"{spec.id} ({t1:%Y-%m-%d}, {t2:%Y-%m-%d}]: {tally['added']} added, "
             f"{tally['modified']} modified, {tally['deleted']} deleted")
    say(f"wrote {output}")
