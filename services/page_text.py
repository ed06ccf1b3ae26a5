# SPDX-License-Identifier: EUPL-1.2
"""The texts of pygeoapi's HTML pages in French and Dutch.

pygeoapi's templates (its own, and those Strata overrides in services/templates/pygeoapi/)
mark their texts ``{% trans %}...{% endtrans %}``, and pygeoapi renders them through Babel
with the catalogues of its ``server.locale_dir`` (``<lang>/LC_MESSAGES/messages.mo``), in
the language of the request. Its package ships none, so every page was English whatever
the language asked. ``page_messages.json`` holds the French and Dutch of each text (each
``{"en": ..., "fr": ..., "nl": ...}``); :func:`locale_dir` writes their catalogues
(services/gettext_catalogues.py) and names the folder, for the pygeoapi configuration.
tests/test_pages_language.py checks that every text the templates mark has its translation.
"""

from __future__ import annotations

from pathlib import Path

from services.gettext_catalogues import LANGUAGES, Entries, mo_bytes, read_entries, written

MESSAGES = Path(__file__).with_name("page_messages.json")


def entries() -> Entries:
    """The texts of the pages, each with its fr and nl."""
    return read_entries(MESSAGES)


def locale_dir() -> Path | None:
    """The folder of the pages' catalogues (written if need be), None where none can be
    written (the pages then stay English)."""
    texts = entries()
    return written("strata-pages", "messages", {lang: mo_bytes(texts, lang)
                                                for lang in LANGUAGES})
