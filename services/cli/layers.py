# SPDX-License-Identifier: EUPL-1.2
"""``strata layers``: the layers, their editions and counts."""

from __future__ import annotations

import json
from typing import Any

import click

from services.cli.common import say, store
from services.error_text import cli_language
from versioning.reading import editions, layer_counts


@click.command("layers")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--lang", type=click.Choice(["fr", "nl", "en"]), default=None,
              help="Language of the titles (default: the command line's; English with --json).")
@click.pass_context
def command(ctx: click.Context, as_json: bool, lang: str | None) -> None:
    """List the layers with their editions: added / modified / deleted / unchanged."""
    lang = lang or ("en" if as_json else cli_language())  # JSON for programs: English
    s = store(ctx)
    out: list[dict[str, Any]] = []
    with s.connect() as conn:
        by_layer: dict[str, list] = {}
        for e in editions(conn):
            by_layer.setdefault(e["layer_id"], []).append(e)
        for spec in s.catalogue.layers.values():
            current, versions = layer_counts(conn, spec)
            out.append({
                "id": spec.id, "title": spec.title.get(lang), "features": current,
                "versions": versions,
                "editions": [{k: (str(v) if k in ("edition_date",) else v) for k, v in e.items()
                              if k in ("edition_date", "n_features", "n_added", "n_modified",
                                       "n_deleted", "n_unchanged", "n_repaired", "source_file")}
                             for e in by_layer.get(spec.id, [])]})
    if as_json:
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    for layer in out:
        say(f"{layer['id']} ({layer['title']}): {layer['features']} features, "
            f"{layer['versions']} versions")
        spec = s.catalogue.layer(layer["id"])
        if spec.derived_from:
            say(f"    derived from {', '.join(spec.derived_from)}")
        elif not layer["editions"]:
            say("    no edition yet")
        for e in layer["editions"]:
            say(f"    {e['edition_date']}  {e['n_features']:>6} features  "
                f"+{e['n_added']} added  ~{e['n_modified']} modified  "
                f"-{e['n_deleted']} deleted  ={e['n_unchanged']} unchanged"
                f"   ({e['source_file']})")
