# SPDX-License-Identifier: EUPL-1.2
"""Strata's own HTTP routes, mounted before pygeoapi's."""
