# SPDX-License-Identifier: EUPL-1.2
"""Errors in the user's language: French and Dutch for every English error text Strata
writes.

``services/error_messages.json`` maps each English template of an error, as its raise site
writes it (a Python format string with positional fields: ``f"unknown layer {layer_id}"`` is
``"unknown layer {0}"``), to its French and Dutch. :func:`translate` finds the template an
English text was made from and fills the translation with the same values (names, numbers,
dates: they are not translated). A text made from no template stays English, and says so
(:func:`localise` gives the language of what it returns). tests/test_error_text.py checks
that every raise site's template is in the file, and that each translation keeps its fields.

The HTTP edge (services/http_errors.py) answers in the language of ``lang=`` or
Accept-Language; the command line in that of ``STRATA_LANG``, else of the locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``).
"""

from __future__ import annotations

import functools
import json
import os
import re
import string
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).with_name("error_messages.json")
LANGUAGES = ("fr", "nl")  # besides English, the language the texts are written in
# the command line's two labels
# the command line's two labels, with their colon (French puts a space before it)
LABELS = {"en": ("error:", "hint:"), "fr": ("erreur :", "conseil :"), "nl": ("fout:", "tip:")}


def fields(template: str) -> list[str]:
    """The positional fields of a template, in order (``"{0} not in {1}"``: 0, 1)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def _pattern(template: str) -> re.Pattern[str]:
    """The texts a template makes: its literal parts, and anything for each field."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(f"(?P<f{name}>.+?)")
    return re.compile("".join(parts), re.DOTALL)


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """English template -> {"fr": ..., "nl": ...}, read once."""
    loaded: dict[str, dict[str, str]] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _english() -> list[str]:
    """The English templates, the most literal text first, so that ``"{0} not found"`` is
    tried after ``"file not found: {0}"``."""
    def literal(en: str) -> int:
        return sum(len(part[0]) for part in string.Formatter().parse(en))

    return sorted(catalogue(), key=lambda en: -literal(en))


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], dict[str, str], int]]:
    """(pattern, translations, number of fields) of each template, in :func:`_english`'s
    order."""
    return [(_pattern(en), catalogue()[en], len(fields(en))) for en in _english()]


Matched = tuple[str, "re.Match[str]", dict[str, str], int]  # template, match, its fr / nl, fields


def _match(text: str) -> Matched | None:
    """The first template (the most literal) that makes ``text``, with the match; None when
    none does, or when the text is too long to match (see :data:`LONGEST`)."""
    if len(text) > LONGEST:  # matching ~700 templates grows faster than the text
        return None
    for english, (pattern, translations, n) in zip(_english(), _templates(), strict=True):
        match = pattern.fullmatch(text)
        if match:
            return english, match, translations, n
    return None


def template_of(text: str) -> str | None:
    """The English template ``text`` was made from (the one :func:`translate` uses), or
    None."""
    found = _match(text)
    return found[0] if found else None


LONGEST = 400  # characters of a text translated (a longer one, rare, stays English)


def translate(text: str, lang: str, depth: int = 2) -> str | None:
    """``text`` in ``lang`` (fr, nl; English as it is), or None when no template made it.
    A value the template was filled with is itself translated when a worded template made
    it (or each of its parts, for values joined by "; "), ``depth`` levels down: "no street
    of Brussels is named like 'x', in the address 'x 1'" is two messages in one. The whole
    value is tried before its parts."""
    if lang not in LANGUAGES:
        return text
    found = _match(text)
    return _filled(found, lang, depth) if found else None


def _filled(found: Matched, lang: str, depth: int) -> str | None:
    """A matched template's translation, filled with its values (translated ``depth``
    levels down); None for a catch-all ("{0}: {1}") whose values say nothing it knows."""
    english, match, translations, n = found
    values = [match.group(f"f{i}") for i in range(n)]
    said = [_value(v, lang, depth - 1) for v in values] if depth else values
    if not _letters(english) and said == values:
        return None
    return translations[lang].format(*said)


WORDED = 12  # letters of its own that make a template say something (not "{0}: {1}")


def _letters(template: str) -> int:
    return sum(c.isalpha() for literal, *_ in string.Formatter().parse(template)
               for c in literal)


def _value(value: str, lang: str, depth: int) -> str:
    """A template's value in ``lang`` where worded templates made it (each part of a list
    joined by "; "), else as it is (a name, a number, a date)."""
    whole = _worded(value, lang, depth)
    if whole is not None:
        return whole
    return "; ".join(_worded(part, lang, depth) or part for part in value.split("; "))


def _worded(text: str, lang: str, depth: int) -> str | None:
    """``text`` in ``lang`` if a worded template (a dozen letters of its own at least, not
    a catch-all such as "{0}: {1}") made it, else None. A quoted value (what a user wrote,
    shown by its repr) is never translated."""
    if not any(c.isalpha() for c in text) or QUOTED.fullmatch(text):
        return None
    found = _match(text)
    if found is None or _letters(found[0]) < WORDED:
        return None
    return _filled(found, lang, depth)


QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")  # a value as a user wrote it, by its repr


def localise(body: dict[str, Any], lang: str) -> tuple[dict[str, Any], str]:
    """An error body (``description``, ``hint``) in ``lang`` where its texts have a
    translation, and the language it is then in: ``lang`` when its description was
    translated, else English (a hint is translated on its own when it can be)."""
    said = translate(str(body.get("description", "")), lang)
    out = dict(body)
    if said is not None:
        out["description"] = said
    if body.get("hint"):
        hint = translate(str(body["hint"]), lang)
        if hint is not None:
            out["hint"] = hint
    return out, (lang if said is not None and lang in LANGUAGES else "en")


def cli_error(message: str, hint: str | None) -> tuple[str, str, str]:
    """An error for the command line, in its language (``cli_language``): the word for
    "error" with its colon, the message, and the hint with its label ("" without a hint)."""
    body, said = localise({"description": message, "hint": hint}, cli_language())
    error, hint_label = LABELS[said]
    return error, body["description"], f"{hint_label} {body['hint']}" if hint else ""


def cli_language(environ: dict[str, str] | None = None) -> str:
    """The command line's language: ``STRATA_LANG``, else the locale's (``fr_BE.UTF-8`` is
    fr), English when neither is fr or nl."""
    env = os.environ if environ is None else environ
    for name in ("STRATA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            lang = value[:2].lower()
            return lang if lang in LANGUAGES else "en"
    return "en"
