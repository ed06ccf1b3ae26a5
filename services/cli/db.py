# SPDX-License-Identifier: EUPL-1.2
"""``strata db up | down | status | url | init``: the project-local PostGIS."""

from __future__ import annotations

import click

from services.cli.common import say, spoken, store
from services.localstandby import LocalStandby


@click.group("db")
def command() -> None:
    """Manage the database: a project-local PostGIS unless STRATA_DATABASE_URL is set."""


@command.command("up")
@click.pass_context
def up(ctx: click.Context) -> None:
    """Create (first time) and start the local PostGIS; prepare the store. Idempotent."""
    s = store(ctx)
    if s.settings.database_url:
        say("STRATA_DATABASE_URL is set: using that database, no local cluster needed.")
    else:
        url = s.local.up().replace(f":{s.local.password()}@", ":***@")
        say(f"local PostGIS running at {url} (data in {s.local.root}; the "
            "password is in its file `password`, `strata db url` prints the URL)")
    with s.connect():
        pass
    say(f"store ready (schema {s.settings.schema_name!r})")


@command.command("down")
@click.pass_context
def down(ctx: click.Context) -> None:
    """Stop the local PostGIS (its data stays)."""
    s = store(ctx)
    s.local.down()
    say(f"local PostGIS {spoken(s.local.status())}")


@command.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Say whether the local PostGIS exists and runs."""
    s = store(ctx)
    if s.settings.database_url:
        say("using STRATA_DATABASE_URL (no local cluster)")
        return
    state = s.local.status()
    port = s.local.port()
    if port:
        say(f"local PostGIS: {spoken(state)} on 127.0.0.1:{port} (data in {s.local.root})")
    else:
        say(f"local PostGIS: {spoken(state)} (data in {s.local.root})")
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
    say(f"store ready (schema {s.settings.schema_name!r}, "
        f"{len(s.catalogue.layers)} layers)")


@command.group("replica")
def replica() -> None:
    """A local streaming standby of the local PostGIS (reads for STRATA_READ_URLS)."""


def _standby(ctx: click.Context) -> LocalStandby:
    from geo.errors import InvalidInput

    s = store(ctx)
    if s.settings.database_url:
        raise InvalidInput("STRATA_DATABASE_URL is set: there is no local cluster to copy",
                           hint="make a standby of that server with pg_basebackup -R, or unset "
                                "STRATA_DATABASE_URL to use the local cluster")
    return LocalStandby.of(s.local)


@replica.command("up")
@click.option("--apply-delay", default=None, metavar="DURATION",
              help="recovery_min_apply_delay of the standby (0, 500ms, 5s, 1min): a standby "
                   "that lags on purpose. Default: keep the last setting (0 at creation).")
@click.pass_context
def replica_up(ctx: click.Context, apply_delay: str | None) -> None:
    """Make (first time, pg_basebackup -R) and start the local standby. Idempotent."""
    from psycopg.conninfo import conninfo_to_dict

    from linking.roles import READER, role_url

    standby = _standby(ctx)
    reader = conninfo_to_dict(role_url(standby.up(apply_delay), READER))
    say(f"local standby running on 127.0.0.1:{standby.port()} (data in {standby.root})",
        err=True)
    say("its URL for STRATA_READ_URLS (as strata_reader):", err=True)
    click.echo(f"postgresql://{reader['user']}:{reader.get('password', '')}@"
               f"{reader['host']}:{reader['port']}/{reader['dbname']}")


@replica.command("down")
@click.option("--remove", is_flag=True, help="Also delete its data (made anew by `up`).")
@click.pass_context
def replica_down(ctx: click.Context, remove: bool) -> None:
    """Stop the local standby (its data stays, unless --remove)."""
    standby = _standby(ctx)
    standby.remove() if remove else standby.down()
    say(f"local standby {spoken(standby.status())}")


@replica.command("status")
@click.pass_context
def replica_status(ctx: click.Context) -> None:
    """Say whether the local standby runs, and how far behind the primary it is."""
    standby = _standby(ctx)
    state = standby.status()
    port = standby.port()
    if port:
        say(f"local standby: {spoken(state)} on 127.0.0.1:{port}")
    else:
        say(f"local standby: {spoken(state)}")
    if state != "running":
        ctx.exit(1)
    lag = standby.lag()
    age = lag["last_replay_age_s"]
    replayed = spoken("never" if age is None else f"{float(age):.1f} s ago")  # type: ignore[arg-type]
    say(f"  {lag['bytes_behind']} bytes of WAL not replayed yet; last transaction "
        f"replayed {replayed}; apply delay {lag['apply_delay']}")
