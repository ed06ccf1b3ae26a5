# SPDX-License-Identifier: EUPL-1.2
"""Gettext catalogues written from Strata's JSON files of texts: click's texts for the command
line (services/cli/click_text.py) and pygeoapi's page texts (``page_messages.json``,
services/page_text.py).

A file of texts lists entries ``{"en": ..., "fr": ..., "nl": ...}`` (a text, or a singular
and a plural). :func:`mo_bytes` makes the GNU ``.mo`` catalogue of one language;
:func:`written` writes the catalogues of every language into a folder of the user's cache
named by their digest (a new version of the texts gets new catalogues), as
``<lang>/LC_MESSAGES/<domain>.mo``, the layout gettext and Babel read.
"""

from __future__ import annotations

import contextlib
import gettext
import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path

LANGUAGES = ("fr", "nl")
PLURALS = {"fr": "nplurals=2; plural=(n > 1);", "nl": "nplurals=2; plural=(n != 1);"}
Entries = list[dict[str, str | list[str]]]


def read_entries(path: Path) -> Entries:
    """The texts of a file: each ``{"en": ..., "fr": ..., "nl": ...}``, a text or
    [singular, plural]."""
    loaded: Entries = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def mo_bytes(entries: Entries, lang: str) -> bytes:
    """The gettext catalogue (GNU ``.mo``, little-endian) of ``lang``: its header (the
    charset, the plural rule), then each English text to its translation."""
    pairs = {"": f"Content-Type: text/plain; charset=UTF-8\nPlural-Forms: {PLURALS[lang]}\n"}
    for entry in entries:
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


def written(name: str, domain: str, made: dict[str, bytes]) -> Path | None:
    """The folder holding the catalogues ``made`` (language -> ``.mo`` bytes) as
    ``<lang>/LC_MESSAGES/<domain>.mo``, written the first time, named ``name``, this user's
    id and the digest of what is written; None when no folder of this user can be written
    (the texts then stay English). In the user's cache, else in the temporary folder under
    a name of this user's, used only if this user owns it and no one else may write in it.
    A catalogue that gettext cannot read is written again."""
    digest = hashlib.sha256(b"".join(made.values())).hexdigest()[:16]
    for base in _bases():
        folder = base / f"{name}-{os.getuid()}-{digest}"
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            mode = folder.stat()
            if mode.st_uid != os.getuid() or mode.st_mode & 0o022:
                continue  # someone else's, or others may write in it
            for lang, data in made.items():
                path = folder / lang / "LC_MESSAGES" / f"{domain}.mo"
                if not _readable(path):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    part = path.with_suffix(f".{os.getpid()}.part")
                    part.write_bytes(data)
                    part.replace(path)  # whole or not at all, if two processes start at once
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
