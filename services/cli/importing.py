# SPDX-License-Identifier: EUPL-1.2
"""``strata import LAYER FILE --date YYYY-MM-DD``: record a new edition of a layer."""

from __future__ import annotations

from pathlib import Path

import click

from layers.readers import read_layer_file
from services.cli.common import echo_err, parse_with, progress_bar, say, spoken, store
from versioning.instants import parse_date


@click.command("import")
@click.argument("layer_id", metavar="LAYER")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--date", "day", required=True, callback=parse_with(parse_date),
              help="The edition's date, YYYY-MM-DD.")
@click.option("--source", help="Which source mapping of the layer the file follows "
                               "(default: the newest edition's).")
@click.option("--layer", "file_layer", help="The layer inside the file, when it has several.")
@click.pass_context
def command(ctx: click.Context, layer_id: str, file: Path, day, source: str | None,
            file_layer: str | None) -> None:
    """Import FILE as the edition of LAYER dated --date; print what changed."""
    s = store(ctx)
    spec = s.catalogue.layer(layer_id)
    echo_err(f"reading {file} ...")
    batch = read_layer_file(file, spec, source, file_layer)
    for line in batch.summary():
        echo_err("  " + spoken(line))
    with s.connect() as conn, progress_bar(len(batch.frame), f"importing {layer_id}") as tick:
        result = s.import_edition(conn, batch, day, file, tick)
    say(result.line())
    for note in result.notes[len(batch.summary()):]:
        echo_err(note)
