# SPDX-License-Identifier: EUPL-1.2
"""``strata load``: load the real editions the catalogue names, the reference tables, and
build the yearly NO2 surfaces from them (``strata surfaces build no2``).

Idempotent: an edition already recorded with the same file checksum is skipped.
"""

from __future__ import annotations

import click

from geo.errors import Conflict
from layers.readers import read_layer_file
from layers.references import read_reference
from linking.reference import replace_reference
from linking.views import refresh_views
from services.cli.common import progress_bar, say, store
from services.cli.surfaces import build_surfaces
from versioning.importer import file_checksum
from versioning.reading import editions


@click.command("load")
@click.argument("layer_ids", metavar="[LAYER]...", nargs=-1)
@click.pass_context
def command(ctx: click.Context, layer_ids: tuple[str, ...]) -> None:
    """Load every dated edition of the catalogue (or of the LAYERs named), in date order."""
    s = store(ctx)
    cat = s.catalogue
    specs = [cat.layer(i) for i in layer_ids] if layer_ids else list(cat.layers.values())
    imported = False
    with s.connect() as conn:
        for spec in specs:
            done = {e["edition_date"]: e for e in editions(conn, spec.id)}
            for ed in spec.editions:
                path = ed.path()
                checksum = file_checksum(path)
                known = done.get(ed.date)
                if known:
                    if known["checksum"] != checksum:
                        raise Conflict(f"{spec.id} {ed.date} is already recorded from another "
                                       f"file ({known['source_file']})",
                                       hint="give the new file a later date")
                    say(f"{spec.id} {ed.date}: already loaded "
                        f"({known['n_added']} added, {known['n_modified']} modified, "
                        f"{known['n_deleted']} deleted, {known['n_unchanged']} unchanged)")
                    continue
                batch = read_layer_file(path, spec, ed.source)
                with progress_bar(len(batch.frame), f"{spec.id} {ed.date}") as tick:
                    result = s.import_edition(conn, batch, ed.date, path, tick, refresh=False)
                imported = True
                say(result.line())
                for note in result.notes[len(batch.summary()):]:
                    say(note)
        if not layer_ids:
            for table in cat.references:
                frame = read_reference(table, cat.reference_path(table))
                say(f"reference {table}: {replace_reference(conn, table, frame)} rows")
        if s.serves_city and (imported or not layer_ids):
            refresh_views(conn)  # once, the links and aggregates of what was loaded
    if not layer_ids:
        # the yearly NO2 surfaces (derived estimates) from the stations' means just loaded
        for line in build_surfaces(s):
            say(line)
