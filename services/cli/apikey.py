# SPDX-License-Identifier: EUPL-1.2
"""``strata apikey create NAME`` / ``revoke NAME``: the keys of Open311 clients (a key is
shown once, at its creation; only its digest is stored)."""

from __future__ import annotations

import click

from geo.errors import NotFound
from linking.reports import create_key, revoke_key
from services.cli.common import echo_err, say, store


@click.group("apikey")
def command() -> None:
    """Manage the API keys of Open311 clients."""


@command.command("create")
@click.argument("name")
@click.pass_context
def create(ctx: click.Context, name: str) -> None:
    """Create a key for the client NAME and print it (only its digest is stored)."""
    with store(ctx).connect() as conn:
        key = create_key(conn, name)
    echo_err(f"API key for {name} (keep it: it cannot be shown again):")
    click.echo(key)


@command.command("revoke")
@click.argument("name")
@click.pass_context
def revoke(ctx: click.Context, name: str) -> None:
    """Revoke the key of the client NAME: it can no longer report (its reports stay)."""
    with store(ctx).connect() as conn:
        if not revoke_key(conn, name):
            raise NotFound(f"there is no API key named {name!r}",
                           hint="give the name the key was created with (`strata apikey "
                                "create NAME`); names are case-sensitive")
    say(f"revoked the API key of {name}: it can no longer report "
        "(the reports it filed are kept)")
