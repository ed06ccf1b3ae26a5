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


def template_of(text: str) -> str | None:
    """The English template ``text`` was made from (the one :func:`translate` uses), or
    None."""
    for english, (pattern, _, _) in zip(_english(), _templates(), strict=True):
        if pattern.fullmatch(text):
            return english
    return None


def translate(text: str, lang: str, depth: int = 2) -> str | None:
    """``text`` in ``lang`` (fr, nl; English as it is), or None when no template made it.
    A value the template was filled with is itself translated when a worded template made
    it (or each of its parts, for values joined by "; "), ``depth`` levels down: "no street
    of Brussels is named like 'x' (address 'x 1')" is two messages in one."""
    if lang not in LANGUAGES:
        return text
    for pattern, translations, n in _templates():
        match = pattern.fullmatch(text)
        if match:
            values = [match.group(f"f{i}") for i in range(n)]
            if depth:
                values = [_value(v, lang, depth - 1) for v in values]
            return translations[lang].format(*values)
    return None


def _value(value: str, lang: str, depth: int) -> str:
    """A template's value in ``lang`` where worded templates made it (each part of a list
    joined by "; "), else as it is (a name, a number, a date)."""
    parts = value.split("; ")
    said = []
    for part in parts:
        english = template_of(part) if any(c.isalpha() for c in part) else None
        worded = english is not None and sum(
            c.isalpha() for literal, *_ in string.Formatter().parse(english)
            for c in literal) >= 12
        said.append((translate(part, lang, depth) or part) if worded else part)
    return "; ".join(said)


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
