# SPDX-License-Identifier: EUPL-1.2
"""``strata link INPUT -o OUT --date-field F --to municipalities,districts,streets``: tie
each record to the map features it concerns, on the map of the record's own date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import geopandas as gpd
import pandas as pd
import shapely

from geo.crs import STORAGE_EPSG
from geo.errors import InvalidInput
from layers.records import in_storage_crs, read_records, record_instants, write_records
from services.cli.common import echo_err, parse_with, progress_bar, store
from versioning.instants import parse_instant
from versioning.linking import DEFAULT_WITHIN_M, Records, link, targets
from versioning.reading import snapshot


def stored_records(ctx: click.Context, layer_id: str) -> gpd.GeoDataFrame:
    """The current features of a stored layer, as records."""
    s = store(ctx)
    spec = s.catalogue.layer(layer_id)
    with s.connect() as conn:
        batches = list(snapshot(conn, spec, dt.datetime.now(dt.UTC)))
    frame = pd.concat([b.to_pandas() for b in batches], ignore_index=True) if batches \
        else pd.DataFrame(columns=[spec.key.name, "geom"])
    geometry = gpd.GeoSeries(shapely.from_wkb(frame.pop("geom").to_numpy()), crs=STORAGE_EPSG)
    return gpd.GeoDataFrame(frame, geometry=geometry)


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
@click.option("--within", type=float, default=DEFAULT_WITHIN_M, show_default=True,
              help="Distance in metres within which the nearest street (or point) is sought.")
@click.option("--layer", "file_layer", help="The layer inside INPUT, when it has several.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Database connections working in parallel.")
@click.pass_context
def command(ctx: click.Context, source: str, output: Path, to: str, date_field: str | None,
            default_date, within: float, file_layer: str | None, workers: int) -> None:
    """Link the records of INPUT (a vector file, or layer:ID for a stored layer) to the
    features of the --to layers as they were at each record's date."""
    s = store(ctx)
    tgts = targets(s.catalogue, [t.strip() for t in to.split(",") if t.strip()], within)
    if source.startswith("layer:"):
        frame = stored_records(ctx, source.removeprefix("layer:"))
    else:
        frame = read_records(Path(source), file_layer)
    if date_field:
        if date_field not in frame.columns:
            raise InvalidInput(f"INPUT has no field {date_field!r}",
                               hint=f"its fields: {', '.join(map(str, frame.columns[:-1]))}")
        values = frame[date_field]
        if default_date is not None:
            values = values.astype("string").fillna(default_date.isoformat())
        at = record_instants(values, date_field)
    elif default_date is not None:
        at = pd.DatetimeIndex([default_date] * len(frame)).tz_convert("UTC")
    else:
        raise InvalidInput("the records need a date", hint="give --date-field FIELD, or --date "
                           "YYYY-MM-DD for all of them")
    records = Records(pd.RangeIndex(len(frame)).to_numpy(), at,
                      in_storage_crs(frame).to_numpy())
    echo_err(f"linking {len(frame)} records to {', '.join(t.spec.id for t in tgts)} ...")
    with progress_bar(len(frame), "linking", "records") as tick:
        linked = link(s.connect, tgts, records, workers, tick)
    out = frame.join(linked.reset_index(drop=True).set_axis(frame.index))
    write_records(gpd.GeoDataFrame(out, geometry=frame.geometry.name, crs=frame.crs), output)
    for t in tgts:
        found = int(linked[t.columns[0]].notna().sum())
        echo_err(f"  {t.spec.id}: {found} of {len(frame)} records linked")
    click.echo(f"wrote {output}")
