# SPDX-License-Identifier: EUPL-1.2
"""``strata serve``: the OGC API service (pygeoapi + Strata's routes) with uvicorn."""

from __future__ import annotations

import errno
import os
import socket

import click

from geo.errors import InvalidInput, Unavailable
from services.cli.common import echo_err, store
from services.settings import ServiceSettings


def check_free(host: str, port: int) -> None:
    """Bind ``host:port`` once, as uvicorn will, and let go: refuse a port taken or not ours
    before anything is said to be served."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, OverflowError) as exc:
        raise InvalidInput(f"cannot serve at {host}:{port}: {getattr(exc, 'strerror', exc)}",
                           hint="give --host an address of this machine (127.0.0.1, 0.0.0.0) "
                                "and --port a number within 1..65535") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Unavailable(f"port {port} on {host} is already in use",
                                  hint="stop the program that uses it, or choose another "
                                       "port, e.g. strata serve --port 8080") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise InvalidInput(f"{host} is not an address of this machine",
                                   hint="give --host 127.0.0.1, 0.0.0.0 or an address of this "
                                        "machine") from None
            raise Unavailable(f"cannot serve at {host}:{port}: {exc.strerror}",
                              hint="ports below 1024 need privileges: choose another port "
                                   "(strata serve --port 5000)" if exc.errno == errno.EACCES
                              else "choose another --host or --port") from None


@click.command("serve")
@click.option("--host", default=None,
              help="Address to bind (default 127.0.0.1, or STRATA_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port (default 5000, or STRATA_PORT).")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Worker processes (default 1).")
@click.pass_context
def command(ctx: click.Context, host: str | None, port: int | None,
            workers: int | None) -> None:
    """Serve every layer through OGC API Features at http://localhost:5000."""
    import uvicorn

    s = store(ctx)
    given = {name: value for name, value in (("host", host), ("port", port),
                                             ("workers", workers)) if value is not None}
    service = ServiceSettings(**given)  # type: ignore[arg-type]
    check_free(service.host, service.port)
    if service.workers == 1:  # the app, built here from the settings
        from services.app import create_app

        store_settings = s.settings.model_copy(update={"database_url": s.url})
        app = create_app(store_settings, service)
        echo_err(f"serving at {service.public_url()} (Ctrl-C stops)")
        uvicorn.run(app, host=service.host, port=service.port, log_level="warning")
        return
    # several worker processes: each builds the app from the settings it is given in its
    # own environment (this process's is only read)
    child = {**os.environ, **{f"STRATA_{k.upper()}": str(v) for k, v in given.items()},
             "STRATA_DATABASE_URL": s.url, "STRATA_SCHEMA_NAME": s.settings.schema_name,
             "STRATA_CATALOGUE": str(s.settings.catalogue)}
    echo_err(f"serving at {service.public_url()} with {service.workers} workers (Ctrl-C stops)")
    # this process becomes uvicorn's supervisor (exec): a signal to it (Ctrl-C, SIGTERM from
    # a process manager) reaches the supervisor, which stops its workers; a child left
    # behind would keep the port after its parent was stopped
    import sys

    os.execve(sys.executable, [sys.executable, "-m", "uvicorn", "services.app:app_from_env",
                               "--factory", "--host", service.host, "--port", str(service.port),
                               "--workers", str(service.workers), "--log-level", "warning"],
              child)
