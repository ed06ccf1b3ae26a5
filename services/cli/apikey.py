# SPDX-License-Identifier: EUPL-1.2
"""``strata apikey create NAME``: a key for an Open311 client (shown once)."""

from __future__ import annotations

import click

from services.cli.common import echo_err, store
from versioning.incidents import create_key


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
