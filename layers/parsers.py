# SPDX-License-Identifier: EUPL-1.2
"""Value parsers for the quirks of real files (vectorised over a pandas Series).

Examples
--------
>>> import pandas as pd
>>> parse_dmy(pd.Series(["09-09-2014", "01-01-3000", "", "13-12-2026 06:00:00"])).tolist()
[Timestamp('2014-09-09 00:00:00'), NaT, NaT, Timestamp('2026-12-13 06:00:00')]
>>> bilingual(pd.Series(["Avenue Jean Sobieski - Jan Sobieskilaan"]), 1).tolist()
['Jan Sobieskilaan']
"""

from __future__ import annotations

import json

import pandas as pd

# OSIRIS writes 01-01-3000 for "no end date"
OPEN_END_YEAR = 3000


def parse_dmy(values: pd.Series, sep: str = "-") -> pd.Series:
    """Parse DD-MM-YYYY (optionally followed by HH:MM:SS) into timestamps.

    Empty strings and the open-end placeholder (year 3000) become NaT. Values that are not
    dates raise ``ValueError`` naming the first few of them.
    """
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    fmt_date = f"%d{sep}%m{sep}%Y"
    out = pd.to_datetime(text, format=fmt_date, errors="coerce")
    with_time = out.isna() & text.notna()
    if with_time.any():
        out[with_time] = pd.to_datetime(text[with_time], format=f"{fmt_date} %H:%M:%S",
                                        errors="coerce")
    # the open-end year is out of pandas' range: it parses to NaT on purpose
    bad = out.isna() & text.notna() & ~text.str.contains(f"{sep}{OPEN_END_YEAR}", regex=False)
    if bad.any():
        sample = ", ".join(repr(v) for v in text[bad].unique()[:5])
        raise ValueError(f"not a date in DD{sep}MM{sep}YYYY form: {sample}")
    return out.mask(out.dt.year >= OPEN_END_YEAR)


def bilingual(values: pd.Series, index: int) -> pd.Series:
    """Pick one language of a bilingual Brussels name "Rue X - X-straat" (0 = fr, 1 = nl).

    A name without the " - " separator is the same in both languages.
    """
    text = values.astype("string")
    parts = text.str.split(" - ", n=1, regex=False)
    picked = parts.str.get(index)
    return picked.fillna(text).str.strip()


def dotted(values: pd.Series, path: list[str]) -> pd.Series:
    """Walk a dotted path into nested properties (dicts; in a list, its first element)."""

    def walk(value: object) -> object:
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)  # nested properties may arrive as JSON text
            except ValueError:
                return None
        for part in path:
            if isinstance(value, list):
                value = value[0] if value else None
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return values.map(walk)
