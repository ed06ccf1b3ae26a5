# SPDX-License-Identifier: EUPL-1.2
"""What every command shares: the store in the click context, exit codes, progress bars,
the checks of an output file and the warnings about dates before a layer's first edition."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any

import click
import psycopg
import pyogrio.errors
from tqdm import tqdm

from geo.city import CITY_TZ
from geo.errors import Conflict, InvalidInput, NotFound, StrataError, Unavailable, by_class
from layers.catalogue import LayerSpec
from services.error_text import cli_error, cli_language, translate
from services.store import Store
from versioning.reading import editions


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
    bar = tqdm(total=total, desc=spoken(what), unit=f" {spoken(unit)}", unit_scale=True,
               file=sys.stderr, disable=None, leave=False, dynamic_ncols=True)
    try:
        yield bar.update
    finally:
        bar.close()


def spoken(text: str) -> str:
    """A text for humans in the command line's language, where services/error_messages.json
    has the template it was made from; as written otherwise (and in English)."""
    return translate(text, cli_language()) or text


def say(text: str, err: bool = False) -> None:
    """A line for humans (:func:`spoken`), on stdout or stderr."""
    click.echo(spoken(text), err=err)


def echo_err(message: str) -> None:
    """A message for humans on stderr, in the command line's language."""
    say(message, err=True)


def parse_with(
    parser: Callable[[str], Any],
) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that turns our InvalidInput into a usage error naming the option."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        try:
            return parser(value)
        except InvalidInput as exc:  # in the user's language (services/error_text.py)
            _, message, hint = cli_error(exc.message, exc.hint)
            raise click.BadParameter(message + (f"\n  {hint}" if hint else "")) from None

    return callback


# -- said before any work -----------------------------------------------------------------------
def check_output(path: Path, suffixes: Collection[str] | None = None) -> None:
    """Refuse, before any work, an output file (``-o``) that could not be written: a suffix
    not among ``suffixes`` (when given), a folder that does not exist, is a file, or cannot be
    written to (tried with a real file), an existing file that cannot be replaced."""
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise InvalidInput(f"cannot tell the output format of {path.name!r}",
                           hint=f"give -o a file ending in {', '.join(suffixes)}")
    folder = path.absolute().parent
    try:
        existing = next(p for p in (folder, *folder.parents) if p.exists())
    except OSError as exc:  # a folder on the way that we may not look into
        raise InvalidInput(f"cannot write {path}: {exc.filename} cannot be reached "
                           f"({exc.strerror})",
                           hint="give -o a path in a folder you can write to") from None
    if not existing.is_dir():
        raise InvalidInput(f"cannot write {path}: {existing} is a file, not a folder",
                           hint="give -o a path in an existing folder")
    if existing != folder:
        raise InvalidInput(f"cannot write {path}: the folder {folder} does not exist",
                           hint=f"create it first (mkdir -p {folder}), or give -o a path in "
                                "an existing folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".strata-write-test-", dir=folder)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: the folder {folder} is not writable "
                           f"({exc.strerror})",
                           hint="give -o a path in a folder you can write to") from None
    os.close(fd)
    os.unlink(probe)
    if path.exists() and not os.access(path, os.W_OK):
        raise InvalidInput(f"cannot write {path}: the file exists and is read-only",
                           hint="remove it, make it writable, or give -o another file name")


FULL_BELOW = 1_000_000  # bytes free on a disk that a write failed on: it was full


@contextmanager
def written(path: Path) -> Iterator[Path]:
    """Where to write the output ``path``: a new file beside it, put in its place once
    whole (``os.replace``), removed when the writing fails or is interrupted (Ctrl-C): a file
    that was there stays as it was, and no half-written one is left. A symbolic link's
    target is written; what is not a regular file (a device, a pipe) is refused."""
    target = path.resolve() if path.is_symlink() else path
    if target.exists() and not target.is_file():
        raise InvalidInput(f"cannot write {path}: it is not a regular file",
                           hint="give -o the path of a file")
    # in a folder of its own beside it: the same name (GDAL names a layer after its file)
    folder = Path(tempfile.mkdtemp(prefix=".strata-writing-", dir=target.absolute().parent))
    work = folder / target.name
    try:
        yield work
        os.replace(work, target)
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            sqlite3.Error) as exc:  # the disk full, the folder gone: as the library says
        reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror
                  else str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        if shutil.disk_usage(target.absolute().parent).free < FULL_BELOW:
            reason = "no space is left on its disk"  # GDAL says it in its own way
        raise InvalidInput(f"cannot write {path}: {reason}",
                           hint="check the space left on its disk and that its folder can "
                                "be written to, or give -o another path") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def day(at: dt.datetime) -> str:
    """The day of an instant, in Brussels."""
    return f"{at.astimezone(CITY_TZ):%Y-%m-%d}"


def first_editions(conn: psycopg.Connection, specs: Iterable[LayerSpec]
                   ) -> dict[str, dict[str, Any] | None]:
    """The first edition (a row of ``editions.sql``) of each layer the ``specs`` are made of
    (a derived layer's are its sources'), None for a layer with no edition yet."""
    firsts: dict[str, dict[str, Any]] = {}
    for edition in editions(conn):  # by layer, then date
        firsts.setdefault(edition["layer_id"], edition)
    return {layer_id: firsts.get(layer_id) for spec in specs
            for layer_id in spec.edition_layers}


def warn_first_edition(layer_id: str, first: dict[str, Any] | None, then: str) -> None:
    """``warning: LAYER has no edition before FIRST; THEN`` on stderr."""
    since = (f"no edition before {first['edition_date']}" if first
             else "no edition yet (`strata load` or `strata import` adds one)")
    echo_err(f"warning: {layer_id} has {spoken(since)}; {spoken(then)}")


def warn_before_first_edition(conn: psycopg.Connection, specs: Iterable[LayerSpec],
                              at: dt.datetime, then: str, then_none: str | None = None
                              ) -> list[str]:
    """Warn, for each layer with no edition in force at ``at``, that ``at`` is before its
    first edition and ``then`` what it means (``then_none`` when it has no edition at all);
    the layers warned about."""
    warned = []
    for layer_id, first in first_editions(conn, specs).items():
        if first is None or first["valid_from"] > at:
            warn_first_edition(layer_id, first, then if first or then_none is None
                               else then_none)
            warned.append(layer_id)
    return warned
