# SPDX-License-Identifier: EUPL-1.2
"""``strata link INPUT -o OUT --date-field F --to municipalities,districts,streets``: tie
each record to the map features it concerns, on the map of the record's own date."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from geo.errors import InvalidInput
from layers.records import WRITERS, read_records, write_records
from linking.bulk import targets
from linking.dask_link import scheduler_workers
from services.cli.common import (
    check_output,
    echo_err,
    first_editions,
    parse_with,
    progress_bar,
    say,
    store,
    warn_first_edition,
    written,
)
from services.link_job import (
    INCIDENTS,
    LinkSettings,
    link_records,
    record_dates,
    stored_records,
)
from versioning.instants import parse_instant


def _columns(text: str) -> tuple[str, str]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise InvalidInput(f"--xy {text!r} does not name two columns",
                           hint="for example --xy lon,lat or --xy x,y")
    return parts[0], parts[1]


@click.command("link")
@click.argument("source", metavar="INPUT")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The linked records: .gpkg, .geojson, .fgb, .csv or .parquet.")
@click.option("--to", "to", required=True,
              help="Layers to link to, comma-separated: municipalities,districts,streets.")
@click.option("--date-field", help="The records' date field (each record is linked to the "
                                   "map of its own date).")
@click.option("--date", "default_date", callback=parse_with(parse_instant),
              help="The date of records without a date field (YYYY-MM-DD).")
@click.option("--within", type=float, default=None,
              help="Distance in metres within which the nearest street (or point) is sought "
                   "(default: street_search_m of config/responsibility.yml, 50).")
@click.option("--layer", "file_layer", help="The layer inside INPUT, when it has several.")
@click.option("--xy", callback=parse_with(_columns), metavar="COLUMN_X,COLUMN_Y",
              help="A CSV's coordinate columns (default: lon / lat, longitude / latitude, "
                   "or x / y, found by name).")
@click.option("--crs", "crs",
              help="The CRS of INPUT's coordinates when it does not declare one: CRS84 for "
                   "lon / lat columns; x / y need one (EPSG:31370, 3812, 4326, ...).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Database connections working in parallel.")
@click.option("--dask", "dask", metavar="SCHEDULER_ADDRESS",
              help="Run the join on the Dask cluster whose scheduler is at this address "
                   "(tcp://HOST:8786) instead of in PostGIS: the same answers; the database "
                   "only reads the layers once. For millions of records, or to keep "
                   "PostgreSQL free. Default: STRATA_DASK_SCHEDULER if set.")
@click.pass_context
def command(ctx: click.Context, source: str, output: Path, to: str, date_field: str | None,
            default_date, within: float | None, file_layer: str | None,
            xy: tuple[str, str] | None, crs: str | None, workers: int,
            dask: str | None) -> None:
    """Link the records of INPUT (a vector file, layer:ID for a stored layer, or
    "incidents") to the features of the --to layers as they were at each record's date."""
    s = store(ctx)
    layers = [t.strip() for t in to.split(",") if t.strip()]
    within = s.rules.street_search_m if within is None else within
    tgts = targets(s.catalogue, layers, within)  # a wrong --to is said before any work
    check_output(output, WRITERS)
    dask = LinkSettings().dask if dask is None else dask
    if dask is not None:  # an unreachable cluster too
        n = scheduler_workers(dask)
        echo_err(f"on the Dask cluster at {dask} ({n} workers)" if n > 1
                 else f"on the Dask cluster at {dask} (1 worker)")
    if source.startswith("layer:") or source == INCIDENTS:
        frame = stored_records(s.connect, s.catalogue, source)
    else:
        frame = read_records(Path(source), file_layer, xy, crs)
    at = record_dates(frame, date_field, default_date)
    with s.connect() as conn:
        firsts = first_editions(conn, [t.spec for t in tgts])
    for layer_id, first in firsts.items():
        early = len(at) if first is None else int((at < pd.Timestamp(first["valid_from"])).sum())
        if early:
            warn_first_edition(layer_id, first, "no record can be linked to it" if first is None
                               else f"{early} of {len(at)} records are dated earlier and are "
                                    "linked to that first edition")
    echo_err(f"linking {len(frame)} records to {', '.join(layers)} ...")
    with progress_bar(len(frame), "linking", "records") as tick:
        out, found = link_records(s.connect, s.catalogue, frame, layers, at, within, workers,
                                  tick, dask)
    with written(output) as work:
        write_records(out, work)
    for layer_id, n in found.items():
        echo_err(f"  {layer_id}: {n} of {len(frame)} records linked")
    say(f"wrote {output}")
