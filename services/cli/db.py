# SPDX-License-Identifier: EUPL-1.2
"""``strata db up | down | status | url | init``: the project-local PostGIS."""

from __future__ import annotations

import click

from services.cli.common import store


@click.group("db")
def command() -> None:
    """Manage the database: a project-local PostGIS unless STRATA_DATABASE_URL is set."""


@command.command("up")
@click.pass_context
def up(ctx: click.Context) -> None:
    """Create (first time) and start the local PostGIS; prepare the store. Idempotent."""
    s = store(ctx)
    if s.settings.database_url:
        click.echo("STRATA_DATABASE_URL is set: using that database, no local cluster needed.")
    else:
        url = s.local.up().replace(f":{s.local.password()}@", ":***@")
        click.echo(f"local PostGIS running at {url} (data in {s.local.root}; the "
                   "password is in its file `password`, `strata db url` prints the URL)")
    with s.connect():
        pass
    click.echo(f"store ready (schema {s.settings.schema_name!r})")


@command.command("down")
@click.pass_context
def down(ctx: click.Context) -> None:
    """Stop the local PostGIS (its data stays)."""
    s = store(ctx)
    s.local.down()
    click.echo(f"local PostGIS {s.local.status()}")


@command.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Say whether the local PostGIS exists and runs."""
    s = store(ctx)
    if s.settings.database_url:
        click.echo("using STRATA_DATABASE_URL (no local cluster)")
        return
    state = s.local.status()
    port = s.local.port()
    click.echo(f"local PostGIS: {state}" + (f" on 127.0.0.1:{port}" if port else "")
               + f" (data in {s.local.root})")
    if state != "running":
        ctx.exit(1)


@command.command("url")
@click.pass_context
def url(ctx: click.Context) -> None:
    """Print the database URL (starting the local PostGIS if needed)."""
    click.echo(store(ctx).url)


@command.command("init")
@click.pass_context
def init(ctx: click.Context) -> None:
    """Prepare the database (core tables, one table per layer). Safe to run again."""
    from versioning.database import connect
    from versioning.schema import prepare

    s = store(ctx)
    with connect(s.url, s.settings.schema_name) as conn:
        prepare(conn, s.settings.schema_name, s.catalogue)
    click.echo(f"store ready (schema {s.settings.schema_name!r}, "
               f"{len(s.catalogue.layers)} layers)")
