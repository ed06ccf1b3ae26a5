# SPDX-License-Identifier: EUPL-1.2
"""Pure spatial helpers: the city's constants, the CRS registry, geometry cleaning, the
in-memory time-aware joins (geopandas, Dask) and the project's one error tree."""
