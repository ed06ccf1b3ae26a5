# SPDX-License-Identifier: EUPL-1.2
"""HOW Strata is reached: settings, the CLI (and, next, the OGC API service)."""
