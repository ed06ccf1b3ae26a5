# SPDX-License-Identifier: EUPL-1.2
"""``strata config validate``: check the layer catalogue and the files it names."""

from __future__ import annotations

import click

from geo.errors import InvalidInput
from services.cli.common import say, store


@click.group("config")
def command() -> None:
    """Inspect the configuration."""


@command.command("validate")
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Validate config/layers.yml (every edition's file exists; the pygeoapi configuration
    made from it is valid) and config/responsibility.yml against it."""
    s = store(ctx)
    cat = s.catalogue
    missing = [f"{spec.id} {e.date}: {e.path()}" for spec in cat.layers.values()
               for e in spec.editions if not e.path().exists()]
    if missing:
        raise InvalidInput("edition files not found: " + "; ".join(missing),
                           hint="fix the paths in config/layers.yml")
    n_editions = sum(len(spec.editions) for spec in cat.layers.values())
    say(f"{s.settings.catalogue}: {len(cat.layers)} layers, {n_editions} editions, valid")
    # the pygeoapi configuration generated from it must satisfy pygeoapi's own schema
    import tempfile
    from pathlib import Path

    from services import pygeoapi_config
    from services.settings import ServiceSettings

    with tempfile.TemporaryDirectory() as tmp:
        config = pygeoapi_config.build(cat, ServiceSettings(), {}, {},
                                       Path(tmp) / "records.json")
        try:
            pygeoapi_config.validate(config)
        except Exception as exc:  # jsonschema's ValidationError, with the path inside
            raise InvalidInput(f"the generated pygeoapi configuration is not valid: "
                               f"{str(exc).splitlines()[0]}",
                               hint="check titles, descriptions and links in layers.yml") from None
    say("pygeoapi configuration generated from it: valid")
    # the routing rules, against the catalogue (their roles name its layers)
    if s.serves_city:
        rules = s.responsibility
        say(f"{s.settings.responsibility}: {len(rules.rules)} routing rules, roles "
            f"{', '.join(sorted(rules.roles))}, valid")
    else:
        say(f"{s.settings.responsibility}: not used (the catalogue lacks the city's "
            "layers: no geolocation, routing or aggregate views)")
