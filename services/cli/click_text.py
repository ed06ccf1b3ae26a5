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

import functools
import gettext
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from services.gettext_catalogues import LANGUAGES, Entries, read_entries, written
from services.gettext_catalogues import mo_bytes as catalogue_bytes

MESSAGES = Path(__file__).with_name("click_messages.json")
HELP = Path(__file__).with_name("help_messages.json")  # Strata's own commands and options
DOMAIN = "strata-click"


def entries() -> Entries:
    """The texts: each ``{"en": ..., "fr": ..., "nl": ...}``, a text or [singular, plural]."""
    return read_entries(MESSAGES)


def mo_bytes(lang: str) -> bytes:
    """Click's gettext catalogue of ``lang`` (services/gettext_catalogues.py)."""
    return catalogue_bytes(entries(), lang)


@functools.cache
def catalogues() -> Path | None:
    """The folder holding click's catalogues (``<lang>/LC_MESSAGES/strata-click.mo``),
    written the first time (services/gettext_catalogues.py ``written``); None when no folder
    of this user can be written (click then speaks English)."""
    return written("strata-click", DOMAIN, {lang: mo_bytes(lang) for lang in LANGUAGES})


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
