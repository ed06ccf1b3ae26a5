# SPDX-License-Identifier: EUPL-1.2
"""Dates and instants as users write them.

A bare date means the start of that day in Brussels: an edition dated 2021-02-05 is valid
from 2021-02-05T00:00 Europe/Brussels, and the map "on 2021-02-05" includes it.

Examples
--------
>>> parse_instant("2021-02-05").isoformat()
'2021-02-05T00:00:00+01:00'
>>> parse_date("05-02-2021")
Traceback (most recent call last):
...
geo.errors.InvalidInput: '05-02-2021' is not a date
  hint: write dates as YYYY-MM-DD, for example 2021-02-05
"""

from __future__ import annotations

import datetime as dt

from geo.city import CITY_TZ
from geo.errors import InvalidInput

_HINT_DATE = "write dates as YYYY-MM-DD, for example 2021-02-05"
_HINT_INSTANT = "write dates as YYYY-MM-DD, for example 2021-02-05, or 2021-02-05T12:00:00Z"
FIRST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)  # a day in: any offset can still show it
LAST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)  # a day short: any offset can still show it


def parse_date(text: str | dt.date) -> dt.date:
    """A calendar date from ``YYYY-MM-DD``."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date", hint=_HINT_DATE) from None


def parse_instant(text: str | dt.date | dt.datetime) -> dt.datetime:
    """An aware instant from a date (start of day in Brussels) or an ISO 8601 date-time."""
    if isinstance(text, dt.datetime):
        return text if text.tzinfo else text.replace(tzinfo=CITY_TZ)
    if isinstance(text, dt.date):
        return day_start(text)
    value = str(text).strip()
    if len(value) == 10:
        return _in_range(day_start(parse_date(value)), text)
    if value[-1:] in ("Z", "z"):  # RFC 3339 allows "z" and "t" as well as "Z" and "T"
        value = value[:-1] + "+00:00"
    if value[10:11] == "t":
        value = value[:10] + "T" + value[11:]
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date or an ISO 8601 date-time",
                           hint=_HINT_INSTANT) from None
    return _in_range(moment if moment.tzinfo else moment.replace(tzinfo=CITY_TZ), text)


def _in_range(moment: dt.datetime, text: object) -> dt.datetime:
    """``moment``, or the first or last instant of the calendar when it lies beyond (the
    start of 0001-01-01 in Brussels, +00:17:30, is before year 1 in UTC): an instant so
    early or late meets no data either way, and every later step can convert it. An offset
    PostgreSQL cannot read (16 hours or more, or a fraction of a minute: ISO 8601 allows
    up to 23:59, Python to the microsecond) is put in UTC, the same instant.

    >>> parse_instant("2021-02-05T12:00:00+23:59").isoformat()
    '2021-02-04T12:01:00+00:00'
    >>> parse_instant("2021-02-05T12:00:00-15:59").isoformat()
    '2021-02-05T12:00:00-15:59'
    """
    try:
        in_utc = moment.astimezone(dt.UTC)
    except OverflowError:
        return FIRST if moment.year == 1 else LAST
    offset = moment.utcoffset() or dt.timedelta(0)
    if abs(offset) >= dt.timedelta(hours=16) or offset % dt.timedelta(minutes=1):
        return in_utc
    return moment


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in Brussels."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=CITY_TZ)


def rfc3339(moment: dt.datetime) -> str:
    """An instant as RFC 3339 text, in its own offset when that is whole minutes, else in
    UTC (Brussels kept local mean time, +00:17:30, until 1892).

    >>> rfc3339(day_start(dt.date(2016, 5, 1)))
    '2016-05-01T00:00:00+02:00'
    >>> rfc3339(day_start(dt.date(1164, 10, 30)))
    '1164-10-29T23:42:30+00:00'
    """
    offset = moment.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        moment = moment.astimezone(dt.UTC)
    return moment.isoformat()
