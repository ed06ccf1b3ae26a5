# SPDX-License-Identifier: EUPL-1.2
"""Pure spatial helpers: CRS registry, geometry cleaning, the project's error tree."""
