# SPDX-License-Identifier: EUPL-1.2
"""What every command shares: the store in the click context, exit codes, progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import Any

import click
from tqdm import tqdm

from geo.errors import Conflict, InvalidInput, NotFound, StrataError, Unavailable, by_class
from services.store import Store


class ExitCode(IntEnum):
    """Named exit codes of the CLI."""

    OK = 0
    FAILURE = 1
    INVALID_INPUT = 2
    NOT_FOUND = 3
    CONFLICT = 4
    UNAVAILABLE = 5


EXIT_CODES: dict[type[StrataError], ExitCode] = {
    InvalidInput: ExitCode.INVALID_INPUT,
    NotFound: ExitCode.NOT_FOUND,
    Conflict: ExitCode.CONFLICT,
    Unavailable: ExitCode.UNAVAILABLE,
}


def exit_code(error: StrataError) -> ExitCode:
    """The exit code of an error, by its class."""
    return by_class(EXIT_CODES, error, ExitCode.FAILURE)


def store(ctx: click.Context) -> Store:
    """The store held by the root command."""
    return ctx.find_root().obj  # type: ignore[no-any-return]


@contextmanager
def progress_bar(total: int | None, what: str, unit: str = "features"
                 ) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    bar = tqdm(total=total, desc=what, unit=f" {unit}", unit_scale=True, file=sys.stderr,
               disable=None, leave=False, dynamic_ncols=True)
    try:
        yield bar.update
    finally:
        bar.close()


def echo_err(message: str) -> None:
    """A message for humans on stderr."""
    click.echo(message, err=True)


def parse_with(
    parser: Callable[[str], Any],
) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that turns our InvalidInput into a usage error naming the option."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        try:
            return parser(value)
        except InvalidInput as exc:
            raise click.BadParameter(str(exc)) from None

    return callback
