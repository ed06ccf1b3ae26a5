# SPDX-License-Identifier: EUPL-1.2
"""WHEN: the temporal store in PostGIS, and only it: migrations and the temporal rules as SQL
functions, editions and import with change detection, snapshot of a date, changes between two
dates (one ``Delta`` model), history, pages and CQL2 filters for the API, exports, tiles of a
date; its SQL in ``versioning/sql``."""
