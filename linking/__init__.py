# SPDX-License-Identifier: EUPL-1.2
"""WHAT RELATES: ties records to the map as it was at their date. Geolocation
(``geolocate``), responsibility routing and the derived regional roads (``regional_roads``),
addresses (``addresses``), bulk linking (``bulk``), Open311 reports and their API keys
(``reports``), the aggregate views (``views``), the reference tables and sensor series
(``reference``), the service's database roles (``roles``); its SQL in ``linking/sql``, its
tables made by ``schema``. Reads the store through ``versioning``; knows nothing of HTTP.
"""
