# SPDX-License-Identifier: EUPL-1.2
"""``strata serve``: the OGC API service (pygeoapi + Strata's routes) with uvicorn."""

from __future__ import annotations

import os

import click

from services.cli.common import store
from services.settings import ServiceSettings


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 5000).")
@click.option("--workers", type=int, default=None, help="Worker processes (default 1).")
@click.pass_context
def command(ctx: click.Context, host: str | None, port: int | None,
            workers: int | None) -> None:
    """Serve every layer through OGC API Features at http://localhost:5000."""
    import uvicorn

    s = store(ctx)
    for name, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            os.environ[f"STRATA_{name}"] = str(value)
    service = ServiceSettings()
    # the workers find the database through the environment
    os.environ["STRATA_DATABASE_URL"] = s.url
    click.echo(f"serving at {service.public_url()} (Ctrl-C stops)", err=True)
    uvicorn.run("services.app:app_from_env", factory=True, host=service.host,
                port=service.port, workers=service.workers, log_level="warning")
