# SPDX-License-Identifier: EUPL-1.2
"""WHEN: the temporal store in PostGIS (editions, imports, snapshots, changes, history)."""
