# SPDX-License-Identifier: EUPL-1.2
"""HOW Strata is reached: settings, the store facade (``store``), the ASGI app (``app``:
Strata's routes in ``routes/`` before pygeoapi), pygeoapi's plugins (feature, view and EDR
providers, the ``link`` process), the OpenAPI document, limits, errors at the HTTP edge, the
``strata`` CLI (``cli/``, one module per command) and the project-local PostGIS (``localdb``).
"""
