# SPDX-License-Identifier: EUPL-1.2
"""The pygeoapi configuration, generated from ``config/layers.yml`` (the single source of
truth) and the service settings; plus its OpenAPI document."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from geo.crs import SUPPORTED
from layers.catalogue import Catalogue, LayerSpec
from services.page_text import locale_dir
from services.settings import ServiceSettings

LANGS = ["en", "fr", "nl"]
BRUSSELS = "Bruxelles / Brussel"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "pygeoapi"  # pygeoapi's, overridden
LICENCE_URL = "https://datastore.brussels/web/urbis-download"
INSPIRE_THEMES = {  # INSPIRE registry: theme URI and a feature concept per collection
    "au": ("http://inspire.ec.europa.eu/theme/au", "AdministrativeUnit"),
    "su": ("http://inspire.ec.europa.eu/theme/su", "StatisticalUnit"),
    "tn": ("http://inspire.ec.europa.eu/theme/tn", "RoadLink"),
    "ef": ("http://inspire.ec.europa.eu/theme/ef", "EnvironmentalMonitoringFacility"),
    "us": ("http://inspire.ec.europa.eu/theme/us", "GovernmentalService"),
}
TITLE = {"en": "Strata: the Brussels map, every edition",
         "fr": "Strata : la carte de Bruxelles, toutes éditions",
         "nl": "Strata: de kaart van Brussel, alle edities"}
ABSTRACT = {
    "en": "The layers of the Brussels-Capital Region as they are today or were on any date, "
          "with every edition kept (OGC API Features, INSPIRE download service).",
    "fr": "Les couches de la Région de Bruxelles-Capitale telles qu'elles sont aujourd'hui ou "
          "étaient à toute date, chaque édition conservée (OGC API Features, service de "
          "téléchargement INSPIRE).",
    "nl": "De lagen van het Brussels Hoofdstedelijk Gewest zoals ze vandaag zijn of op elke "
          "datum waren, met elke editie bewaard (OGC API Features, INSPIRE-downloaddienst).",
}


def crs_list() -> list[str]:
    """The CRSs every collection offers (CRS84 first: the default)."""
    return [c.uri for c in SUPPORTED.values()]


# the licences of the data, by the catalogue's attribution key (data/brussels/MANIFEST.md)
LICENCES: dict[str, list[tuple[str, str]]] = {
    "urbis": [("UrbIS open data licence", LICENCE_URL)],
    "osm": [("ODbL 1.0 (© OpenStreetMap contributors)",
             "https://opendatacommons.org/licenses/odbl/1-0/"),
            ("CC BY-SA 4.0 (EqualStreetNames Brussels)",
             "https://creativecommons.org/licenses/by-sa/4.0/")],
    "irceline": [("CC BY 4.0 (IRCEL-CELINE)", "https://creativecommons.org/licenses/by/4.0/")],
    "curieuzenair": [("CurieuzenAir Brussels open data", "https://curieuzenair.brussels/")],
    "osiris": [("EUPL-1.2 (OSIRIS / Brussels Mobility)",
                "https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12")],
    "nova": [("NOVA / urban.brussels open data", "https://urban.brussels/")],
}


def licence_links(attribution: str | None) -> list[dict[str, Any]]:
    """The ``license`` links of a data set (the UrbIS licence when it names none)."""
    return [{"type": "text/html", "rel": "license", "title": title, "href": href}
            for title, href in LICENCES.get(attribution or "urbis", LICENCES["urbis"])]


def inspire_links(metadata: str, download: str, title: str,
                  attribution: str | None = None) -> list[dict[str, Any]]:
    """Licence, metadata (ISO 19139 and HTML) and bulk-download links (INSPIRE GP §7)."""
    return [
        *licence_links(attribution),
        {"type": "application/xml", "rel": "describedby", "title": "ISO 19139 metadata",
         "href": f"{metadata}?f=xml"},
        {"type": "text/html", "rel": "describedby", "title": "Metadata",
         "href": f"{metadata}?f=html"},
        {"type": "application/geopackage+sqlite3", "rel": "enclosure", "hreflang": "fr",
         "title": title, "href": download},
    ]


def collection_links(spec: LayerSpec, base: str) -> list[dict[str, Any]]:
    """INSPIRE links of a collection: licence, metadata, bulk download, feature concept."""
    links = inspire_links(f"{base}/collections/{spec.id}/metadata",
                          f"{base}/collections/{spec.id}/download?f=gpkg",
                          f"{spec.title.en} (GeoPackage, current edition)", spec.attribution)
    if spec.inspire_theme in INSPIRE_THEMES:
        theme, concept = INSPIRE_THEMES[spec.inspire_theme]
        links.append({"type": "text/html", "rel": "tag", "title": concept,
                      "href": f"https://inspire.ec.europa.eu/featureconcept/{concept}"})
    return links


def _texts(fr: str, nl: str, en: str) -> dict[str, str]:
    return {"fr": fr, "nl": nl, "en": en}


# the collections of reports: only the primary is sure to hold the last report
REPORT_COLLECTIONS = ("incidents", "incidents_district_month")
# read-only views served as collections: id -> (view, title, description); their key is "id"
VIEW_COLLECTIONS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "incidents": (
        "incident_public",
        _texts("Signalements", "Meldingen", "Incidents"),
        _texts("Signalements Open311, champs publics seulement (jamais le contact).",
               "Open311-meldingen, enkel publieke velden (nooit het contact).",
               "Open311 reports, public fields only (never the reporter's contact).")),
    "incidents_district_month": (
        "incidents_district_month",
        _texts("Signalements par quartier et par mois", "Meldingen per wijk en per maand",
               "Incidents per district and month"),
        _texts("Nombre de signalements par quartier (carte de leur date) et par mois.",
               "Aantal meldingen per wijk (kaart van hun datum) en per maand.",
               "Number of reports per district (map of their date) and month.")),
    "no2_district_year": (
        "no2_district_year",
        _texts("NO2 moyen par quartier et par année", "Gemiddelde NO2 per wijk en per jaar",
               "Mean NO2 per district and year"),
        _texts("Moyennes NO2 des stations IRCEL-CELINE et des points CurieuzenAir par quartier.",
               "NO2-gemiddelden van IRCEL-CELINE-stations en CurieuzenAir-punten per wijk.",
               "NO2 means of IRCEL-CELINE stations and CurieuzenAir points per district.")),
    "worksite_links": (
        "worksite_links",
        _texts("Chantiers liés aux rues", "Werven gekoppeld aan straten",
               "Worksites linked to streets"),
        _texts("Chaque chantier OSIRIS, sa rue la plus proche à sa date de début (vérifiée "
               "contre les rues qu'il nomme), sa commune et son quartier.",
               "Elke OSIRIS-werf, de dichtste straat op de begindatum (nagekeken tegen de "
               "straten die hij noemt), de gemeente en de wijk.",
               "Each OSIRIS worksite, its nearest street at its start date (checked against "
               "the streets it names), its municipality and its district.")),
    "road_event_links": (
        "road_event_links",
        _texts("Événements en voirie liés aux rues", "Evenementen gekoppeld aan straten",
               "Road events linked to streets"),
        _texts("Chaque événement OSIRIS, sa rue la plus proche à sa date de début (vérifiée "
               "contre son libellé et sa description), sa commune et son quartier.",
               "Elk OSIRIS-evenement, de dichtste straat op de begindatum (nagekeken tegen "
               "het label en de beschrijving), de gemeente en de wijk.",
               "Each OSIRIS road event, its nearest street at its start date (checked against "
               "its label and description), its municipality and its district.")),
    "permit_links": (
        "permit_links",
        _texts("Permis d'urbanisme liés aux rues", "Stedenbouwkundige vergunningen gekoppeld "
               "aan straten", "Urban planning permits linked to streets"),
        _texts("Chaque permis, sa rue la plus proche à sa date de dépôt (vérifiée contre "
               "l'adresse qu'il donne), sa commune et son quartier.",
               "Elke vergunning, de dichtste straat op de indieningsdatum (nagekeken tegen het "
               "adres dat ze geeft), de gemeente en de wijk.",
               "Each permit, its nearest street at its submission date (checked against the "
               "address it gives), its municipality and its district.")),
    "worksites_per_street": (
        "worksites_per_street",
        _texts("Chantiers par rue", "Werven per straat", "Worksites per street"),
        _texts("Nombre de chantiers OSIRIS par rue.", "Aantal OSIRIS-werven per straat.",
               "Number of OSIRIS worksites per street.")),
}


# the EDR collection: its items are a view too, with a time field
SERIES_COLLECTION, SERIES_VIEW = "no2_station_series", "no2_station_years"
# the date of a view's row, which datetime= selects on (an aggregate has none)
VIEW_TIME = {"incidents": "requested_at", "worksite_links": "start_date",
             "road_event_links": "starts_at", "permit_links": "submitted",
             SERIES_COLLECTION: "year_start"}
# collection -> (view, its time field or None): served by services/routes/views.py
VIEW_BACKED = {**{cid: (view, VIEW_TIME.get(cid)) for cid, (view, _, _) in
                  VIEW_COLLECTIONS.items()},
               SERIES_COLLECTION: (SERIES_VIEW, VIEW_TIME[SERIES_COLLECTION])}


def build(catalogue: Catalogue, service: ServiceSettings,
          extents: dict[str, list[float]], first_dates: dict[str, str | None],
          records_path: Path | None = None, views: bool = True,
          context: str | None = None) -> dict[str, Any]:
    """The pygeoapi configuration as a dict; ``context`` (services.provider.register_app)
    tells every Strata plugin which app of the process it belongs to."""
    config = _build(catalogue, service, extents, first_dates, records_path, views)
    if context:
        for resource in config["resources"].values():
            for plugin in [*resource.get("providers", []), resource.get("processor")]:
                if plugin and str(plugin.get("name", "")).startswith("services."):
                    plugin["context"] = context
    return config


def _build(catalogue: Catalogue, service: ServiceSettings,
           extents: dict[str, list[float]], first_dates: dict[str, str | None],
           records_path: Path | None, views: bool) -> dict[str, Any]:
    base = service.public_url()
    resources: dict[str, Any] = {}
    for spec in catalogue.layers.values():
        resources[spec.id] = {
            "type": "collection",
            "title": spec.title.model_dump(),
            "description": spec.description.model_dump(),
            "keywords": {lang: [spec.title.get(lang), "Brussels", "UrbIS"] for lang in LANGS},
            "links": collection_links(spec, base),
            "extents": {
                "spatial": {"bbox": extents.get(spec.id) or [4.24, 50.76, 4.48, 50.92],
                            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
                "temporal": {"begin": first_dates.get(spec.id), "end": None},
            },
            "providers": [{
                "type": "feature",
                "name": "services.provider.VersionedProvider",
                "data": spec.id,
                "id_field": spec.key.name,
                "time_field": "beginLifespanVersion",
                "crs": crs_list(),
                "storage_crs": SUPPORTED["31370"].uri,
            }],
        }
    for cid, (view, title, description) in (VIEW_COLLECTIONS if views else {}).items():
        resources[cid] = {
            "type": "collection", "title": title, "description": description,
            "keywords": {lang: [title[lang], "Brussels"] for lang in LANGS},
            "links": [{"type": "text/html", "rel": "license", "title": "Licence",
                       "href": LICENCE_URL}],
            "extents": {"spatial": {"bbox": [4.24, 50.76, 4.48, 50.92],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "services.view_provider.ViewProvider",
                           "data": view, "id_field": "id",
                           **({"time_field": VIEW_TIME[cid]} if cid in VIEW_TIME else {})}],
        }
    if views:
        resources[SERIES_COLLECTION] = {
            "type": "collection",
            "title": _texts("Séries de NO2 aux stations", "NO2-reeksen van de meetstations",
                            "NO2 series at the stations"),
            "description": _texts(
                "Moyennes annuelles de NO2 des stations IRCEL-CELINE, 1990-2023: une entité "
                "par station et année, et en OGC API EDR (position, rayon, zone) en "
                "CoverageJSON.",
                "Jaargemiddelden NO2 van de IRCEL-CELINE-stations, 1990-2023: een object per "
                "station en jaar, en via OGC API EDR (positie, straal, gebied) in CoverageJSON.",
                "Yearly NO2 means of the IRCEL-CELINE stations, 1990-2023: one feature per "
                "station and year, and through OGC API EDR (position, radius, area) as "
                "CoverageJSON."),
            "keywords": {lang: ["NO2", "air quality", "EDR", "Brussels"] for lang in LANGS},
            "links": [{"type": "text/html", "rel": "license", "title": "Licence",
                       "href": LICENCE_URL}],
            "extents": {"spatial": {"bbox": [2.3, 49.2, 6.1, 51.5],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
                        # datetimes, not text: pygeoapi checks EDR datetimes against them
                        "temporal": {"begin": dt.datetime(1990, 1, 1, tzinfo=dt.UTC),
                                     "end": dt.datetime(2023, 12, 31, 23, 59, 59,
                                                        tzinfo=dt.UTC)}},
            "providers": [
                {"type": "feature", "name": "services.view_provider.ViewProvider",
                 "data": SERIES_VIEW, "id_field": "id", "time_field": "year_start"},
                {"type": "edr", "name": "services.edr_provider.StationSeriesProvider",
                 "data": "air_quality_stations"},
            ],
        }
    resources["link"] = {"type": "process",
                         "processor": {"name": "services.link_process.LinkProcessor"}}
    if records_path is not None:
        resources["catalogue"] = {
            "type": "collection",
            "title": {"en": "Catalogue of the data sets", "fr": "Catalogue des données",
                      "nl": "Catalogus van de gegevens"},
            "description": ABSTRACT,
            "keywords": {lang: ["catalogue", "metadata"] for lang in LANGS},
            "links": [{"type": "text/html", "rel": "license", "title": "Licence",
                       "href": LICENCE_URL}],
            "extents": {"spatial": {"bbox": [4.24, 50.76, 4.48, 50.92],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "record", "name": "services.records.CatalogueRecordsProvider",
                           "data": str(records_path), "id_field": "id",
                           "time_field": "created", "title_field": "title",
                           "languages": LANGS}],
        }
    return {
        "server": {
            "bind": {"host": service.host, "port": service.port},
            "url": base,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": LANGS,
            "cors": False,  # Strata's own CORS middleware answers for every route
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": service.max_items},
            # synchronous processes; Strata's errors keep their status (services/link_process)
            # (no job store: connection and output_dir are unused, but the schema wants them)
            "manager": {"name": "services.link_process.StrataManager", "connection": "",
                        "output_dir": ""},
            # the pages' maps: Strata's own basemap (vector tiles of /tiles), drawn by the
            # templates Strata overrides (services/templates/pygeoapi/), never another host
            "map": {"url": f"{base}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}",
                    "attribution": "Brussels UrbIS®©; © OpenStreetMap contributors"},
            "templates": {"path": str(TEMPLATES)},
            # the pages' texts in fr / nl (services/page_text.py); English without it
            **({"locale_dir": str(folder)} if (folder := locale_dir()) else {}),
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": TITLE, "description": ABSTRACT,
                "keywords": {"en": ["Brussels", "UrbIS", "INSPIRE", "versioned"],
                             "fr": ["Bruxelles", "UrbIS", "INSPIRE", "versionné"],
                             "nl": ["Brussel", "UrbIS", "INSPIRE", "geversioneerd"]},
                "keywords_type": "theme",
                "terms_of_service": LICENCE_URL,
                "url": base,
            },
            # in fr / nl / en where pygeoapi's schema takes it, as it translates its
            # configuration for each page
            "license": {"name": {"en": "UrbIS open data licence; see each collection",
                                 "fr": "Licence open data UrbIS ; voir chaque collection",
                                 "nl": "UrbIS-opendatalicentie; zie elke collectie"},
                        "url": LICENCE_URL},
            "provider": {"name": "Strata", "url": base},
            # pygeoapi's schema takes one text for each of these: Brussels' own bilingual
            # names, as its addresses are written
            "contact": {"name": "Strata", "position": "Helpdesk",
                        "address": BRUSSELS, "city": BRUSSELS,
                        "stateorprovince": "Région de Bruxelles-Capitale / Brussels "
                                           "Hoofdstedelijk Gewest",
                        "postalcode": "1000", "country": "Belgique / België",
                        "email": "strata@example.org", "url": base, "role": "pointOfContact"},
        },
        "resources": resources,
    }


def write(config: dict[str, Any], folder: Path, catalogue: Catalogue | None = None,
          routes: list[str] | None = None) -> tuple[Path, Path]:
    """Write the configuration and its OpenAPI document (pygeoapi's, with every path
    described as Strata answers it: ``services/openapi.py``); return both paths.

    ``catalogue`` gives the layers' properties (by default, the one the settings name);
    ``routes``, the paths of Strata's own routes: one the document does not describe is an
    error."""
    from pygeoapi.openapi import get_oas

    from services.openapi import document, undescribed

    if catalogue is None:
        from layers.catalogue import load_catalogue
        from services.settings import StoreSettings

        catalogue = load_catalogue(StoreSettings().catalogue)
    folder.mkdir(parents=True, exist_ok=True)
    cfg_path = folder / "pygeoapi-config.yml"
    cfg_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    oas_path = folder / "pygeoapi-openapi.yml"
    oas = document(get_oas(config), config, catalogue)
    missing = undescribed(oas, routes or [])
    if missing:
        raise ValueError(f"services/openapi.py describes no path for {', '.join(missing)}")
    oas_path.write_text(yaml.safe_dump(oas, allow_unicode=True, sort_keys=False))
    return cfg_path, oas_path


def validate(config: dict[str, Any]) -> None:
    """Validate against pygeoapi's own configuration schema (raises on error)."""
    from pygeoapi.config import validate_config
    from pygeoapi.util import yaml_load

    validate_config(yaml_load(yaml.safe_dump(config)))
