# SPDX-License-Identifier: EUPL-1.2
"""Click's own texts in the command line's language: the usage line, the errors click finds
in a command line (an unknown option, a missing one, a value of the wrong type), the help's
headings.

Click is translated the way its documentation says, through ``gettext``: it asks gettext for
each of its texts. Their French and Dutch are in ``click_messages.json`` (an English text, or
a singular and a plural, and the same in fr and nl); the first time they are needed they are
written as gettext catalogues (``.mo``) into a folder of the user's cache named by the
file's digest, so a new version of the file gets new catalogues. :func:`spoken` makes them
gettext's for the length of one command (its domain and its ``LANGUAGE``), and puts back
what was there after. The help of Strata's own commands and options is in
``help_messages.json`` (each English text to its fr and nl): :func:`helped` puts it in the
command line's language for one command. Strata's own errors are translated by
services/error_text.py.

Example (an unknown option, in French):

    $ STRATA_LANG=fr strata load --bogus
    Utilisation : strata load [OPTIONS] [LAYER]...
    Essayez 'strata load --help' pour l'aide.

    Erreur : L'option '--bogus' n'existe pas.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

MESSAGES = Path(__file__).with_name("click_messages.json")
HELP = Path(__file__).with_name("help_messages.json")  # Strata's own commands and options
DOMAIN = "strata-click"
LANGUAGES = ("fr", "nl")
PLURALS = {"fr": "nplurals=2; plural=(n > 1);", "nl": "nplurals=2; plural=(n != 1);"}


def entries() -> list[dict[str, str | list[str]]]:
    """The texts: each ``{"en": ..., "fr": ..., "nl": ...}``, a text or [singular, plural]."""
    loaded: list[dict[str, str | list[str]]] = json.loads(MESSAGES.read_text(encoding="utf-8"))
    return loaded


def mo_bytes(lang: str) -> bytes:
    """The gettext catalogue (GNU ``.mo``, little-endian) of ``lang``: its header (the
    charset, the plural rule), then each English text to its translation."""
    pairs = {"": f"Content-Type: text/plain; charset=UTF-8\nPlural-Forms: {PLURALS[lang]}\n"}
    for entry in entries():
        english, spoken_as = entry["en"], entry[lang]
        if isinstance(english, list):  # singular and plural: one key, NUL between
            pairs["\0".join(english)] = "\0".join(spoken_as)
        else:
            pairs[english] = str(spoken_as)
    keys = sorted(pairs)
    ids, strs, spans = b"", b"", []
    for key in keys:
        k, v = key.encode(), pairs[key].encode()
        spans.append((len(ids), len(k), len(strs), len(v)))
        ids += k + b"\0"
        strs += v + b"\0"
    first_id = 7 * 4 + 16 * len(keys)  # after the header and the two tables
    first_str = first_id + len(ids)
    table = b"".join(struct.pack("<2I", length, first_id + at) for at, length, _, _ in spans)
    table += b"".join(struct.pack("<2I", length, first_str + at) for _, _, at, length in spans)
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    return header + table + ids + strs


@functools.cache
def catalogues() -> Path | None:
    """The folder holding the catalogues (``<lang>/LC_MESSAGES/strata-click.mo``), written
    the first time, named by the digest of what is written; None when no folder of this
    user can be written (click then speaks English). In the user's cache, else in the
    temporary folder under a name of this user's, used only if this user owns it and no one
    else may write in it. A catalogue that gettext cannot read is written again."""
    made = {lang: mo_bytes(lang) for lang in LANGUAGES}
    digest = hashlib.sha256(b"".join(made.values())).hexdigest()[:16]
    for base in _bases():
        folder = base / f"strata-click-{os.getuid()}-{digest}"
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            mode = folder.stat()
            if mode.st_uid != os.getuid() or mode.st_mode & 0o022:
                continue  # someone else's, or others may write in it
            for lang, data in made.items():
                path = folder / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
                if not _readable(path):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    part = path.with_suffix(f".{os.getpid()}.part")
                    part.write_bytes(data)
                    part.replace(path)  # whole or not at all, if two commands start at once
            return folder
        except OSError:
            continue
    return None


def _bases() -> list[Path]:
    """Where catalogues may go: the user's cache, then the temporary folder."""
    bases = []
    with contextlib.suppress(RuntimeError):  # no home to be found
        bases.append(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "strata")
    return [*bases, Path(tempfile.gettempdir())]


def _readable(path: Path) -> bool:
    """Whether gettext reads ``path`` as a catalogue."""
    try:
        with path.open("rb") as file:
            gettext.GNUTranslations(file)
        return True
    except Exception:  # missing (OSError), cut short (struct.error), not a catalogue
        return False


@contextmanager
def spoken(lang: str) -> Iterator[None]:
    """Click's texts in ``lang`` while the block runs (English for a language not ours, or
    when no catalogue could be written); gettext's domain and ``LANGUAGE`` as before after."""
    folder = catalogues() if lang in LANGUAGES else None
    if folder is None:
        yield
        return
    domain, language = gettext.textdomain(), os.environ.get("LANGUAGE")
    gettext.bindtextdomain(DOMAIN, str(folder))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = lang
    try:
        yield
    finally:
        gettext.textdomain(domain)
        if language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = language


@functools.cache
def help_texts() -> dict[str, dict[str, str]]:
    """English help text -> {"fr": ..., "nl": ...}."""
    loaded: dict[str, dict[str, str]] = json.loads(HELP.read_text(encoding="utf-8"))
    return loaded


def documented(root: click.Command) -> Iterator[tuple[Any, str]]:
    """Every command under ``root`` (itself included) and every option of theirs that has a
    help text, with its English text (kept the first time: the object's own help may hold
    another language since)."""
    items: list[Any] = [root, *(p for p in root.params if isinstance(p, click.Option))]
    for item in items:
        english = getattr(item, "_strata_english", None)
        if english is None and item.help:
            english = item.help
            item._strata_english = english
        if english:
            yield item, english
    if isinstance(root, click.Group):
        for command in root.commands.values():
            yield from documented(command)


def helped(root: click.Command, lang: str) -> None:
    """The help of every command under ``root`` and of their options in ``lang`` (English
    where a text has no translation, or for a language not ours)."""
    texts = help_texts()
    for item, english in documented(root):
        item.help = texts.get(english, {}).get(lang, english) if lang in LANGUAGES else english
