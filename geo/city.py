# SPDX-License-Identifier: EUPL-1.2
"""The city's constants, defined once: its languages, its time zone, its region's extent.

>>> LANGS, CITY_TZ.key, REGION_BBOX
(('fr', 'nl', 'en'), 'Europe/Brussels', (4.24, 50.76, 4.48, 50.92))
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

# the languages of every human-facing text (the data's names are in fr and nl)
LANGS = ("fr", "nl", "en")
# a date means the start of that day here; month buckets and rendered lifespans too
CITY_TZ_NAME = "Europe/Brussels"
CITY_TZ = ZoneInfo(CITY_TZ_NAME)
# the Brussels-Capital Region (CRS84), where a layer has no extent of its own yet
REGION_BBOX = (4.24, 50.76, 4.48, 50.92)
