# SPDX-License-Identifier: EUPL-1.2
"""The dashboard at ``/dashboard`` (issue 13, parts 4-5), in a real browser against the real
service.

Debian's Chromium (Playwright, the viewer's browser fixture and request recorder from
tests/test_viewer.py: a request to any host but the test server fails the test) opens the
dashboard over the real Brussels editions and a few reports of 2024 made through Strata's own
report path (geolocated, routed and stored by ``linking.reports.report``, dated in 2024, some
then closed). The figures the page shows (its tables' data attributes) and the CSV each panel
downloads are compared with the aggregate collections, asked over HTTP for the same filters.
Tests wait on the page's own promise (``strataDashboard.rendered()``), never on sleeps;
screenshots are kept in ``.strata/test-artifacts/dashboard/``; the time of the first complete
render is printed, not asserted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser
from test_viewer import Viewer, browser  # noqa: F401  (browser: the Chromium fixture)

from layers.catalogue import PROJECT_ROOT
from linking.reports import Report, report

BRUSSELS = ZoneInfo("Europe/Brussels")
ARTIFACTS = PROJECT_ROOT / ".strata" / "test-artifacts" / "dashboard"
YEAR = 2024  # the reports made below are dated in this year
# places in the region (lon, lat): Bruxelles-Ville / Saint-Josse, Grand-Place, Etterbeek,
# Molenbeek, Ixelles, Schaerbeek
PLACES = [(4.362278, 50.854178), (4.3525, 50.8467), (4.3890, 50.8360), (4.3330, 50.8560),
          (4.3700, 50.8270), (4.3800, 50.8650)]


class Dashboard(Viewer):
    """One browser page on the dashboard: the viewer's recorder, the dashboard's waits."""

    def open(self, query: str) -> None:
        """Load ``/dashboard?query`` and wait for its first complete render."""
        self.page.goto(f"{self.base}/dashboard{query}")
        self.page.wait_for_function(
            "() => window.strataDashboard && window.strataDashboard.firstRenderMs !== undefined")
        self.rendered()

    def rendered(self) -> None:
        """Every pending update of the page done."""
        self.page.evaluate("() => window.strataDashboard.rendered()")

    def shot(self, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def check(self) -> None:
        super().check()
        assert self.js("() => window.strataDashboard.errors()") == 0, \
            self.page.inner_text("#status")

    def table(self, panel: str) -> list[dict[str, str]]:
        """The figures a panel shows: each row of its table, by the cells' data-key."""
        return self.js("""(panel) => [...document.querySelectorAll(`#${panel} .figures tbody tr`)]
            .map((tr) => Object.fromEntries([...tr.querySelectorAll('td')]
            .map((td) => [td.dataset.key, td.dataset.value])))""", panel)

    def csv(self, panel: str, folder: Path) -> list[dict[str, str]]:
        """The panel's CSV, downloaded as a user would (its link clicked), parsed."""
        with self.page.expect_download() as info:
            self.page.click(f"#{panel} a.csv")
        path = folder / info.value.suggested_filename
        info.value.save_as(path)
        return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture
def dash(browser: Browser, service: str,  # noqa: F811
         request: pytest.FixtureRequest) -> Iterator[Dashboard]:
    """A fresh page (English browser) on the test service; checked for outside requests."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB",
                                  accept_downloads=True)
    d = Dashboard(context.new_page(), service, request.node.name)
    try:
        yield d
        d.shot("end")
        d.check()
    finally:
        context.close()


@pytest.fixture(scope="module")
def reports_2024(loaded) -> list[int]:
    """18 reports dated in 2024 (1 to 2 a month), geolocated, routed and stored by Strata's
    report path, as Open311's POST does (which dates a report now); every third closed."""
    store = loaded.store
    made = []
    with store.connect() as conn:
        for i in range(18):
            lon, lat = PLACES[i % len(PLACES)]
            at = dt.datetime(YEAR, 1 + (i * 7) % 12, 1 + i, 10, tzinfo=dt.UTC)
            new_id, _ = report(conn, store.catalogue, store.responsibility,
                               Report(service_code=1 + i % 5, lon=lon, lat=lat,
                                      description=f"dashboard test report {i}"),
                               "tests-dashboard", at)
            made.append(new_id)
        with conn.transaction():
            conn.execute("UPDATE incident SET status = 'closed' WHERE id = ANY(%s)",
                         (made[::3],))
    return made


def items(base: str, collection: str, **params: Any) -> list[dict[str, Any]]:
    """Every feature's properties of a collection's items (one page: under the maximum)."""
    body = httpx.get(f"{base}/collections/{collection}/items",
                     params={"f": "json", "limit": 10000, **params}, timeout=60).json()
    assert body["numberReturned"] == body["numberMatched"]
    return [f["properties"] for f in body["features"]]


def same(value: object) -> object:
    """A value as the page and its CSV write it: numbers compared as numbers."""
    if value is None or value == "":
        return ""
    try:
        return float(str(value))
    except ValueError:
        return str(value)


def rows(records: list[dict[str, Any]], columns: list[str]) -> list[tuple[object, ...]]:
    return sorted(tuple(same(r[c]) for c in columns) for r in records)  # type: ignore[misc]


def active_per_month(works: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
    """Worksites active in each month (the page's rule, computed here independently): a
    start and an end date, started by the month's last day, not ended before its first."""
    out = []
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        n = sum(1 for w in works if w["start_date"] and w["end_date"]
                and dt.date.fromisoformat(w["start_date"]) <= last
                and dt.date.fromisoformat(w["end_date"]) >= first)
        out.append({"month": f"{year}-{month:02d}", "n_active": n})
    return out


def test_the_dashboard_shows_the_collections_figures(dash: Dashboard, reports_2024: list[int],
                                                     tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    """Reports per district and month of 2024, road works per month of 2026 and NO2 per
    district in 2019 (stations): the tables and the CSVs equal the collections' figures for
    the same filters; the charts draw the same totals; no request leaves the service."""
    base = dash.base
    dash.open(f"?reports={YEAR}&works=2026&no2=2019&source=irceline&lang=en")
    first = dash.js("() => window.strataDashboard.firstRenderMs")
    assert isinstance(first, int) and first > 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "first-render.json").write_text(json.dumps({"first_render_ms": first}))
    with capsys.disabled():
        print(f"\n/dashboard: first complete render (every panel) {first} ms after navigation")
    dash.shot("first-render")
    assert dash.js("() => [...document.querySelectorAll('.panel')].map((p) => p.dataset.state)")\
        == ["ready"] * 7
    # the first page of each panel's data was preloaded by the page (it loads while the
    # scripts do) and asked once: the preload is the answer the script used
    asked = dash.js("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/items?') || e.name.includes('/open311/'))
        .map((e) => [e.name.replace(location.origin, ''), e.initiatorType])""")
    preloaded = [name for name, kind in asked if kind == "link"]
    assert len(preloaded) == 6 and len(asked) == len({name for name, _ in asked}), asked

    # reports per district and month: the collection's rows of 2024
    months = [r for r in items(base, "incidents_district_month", skipGeometry="true")
              if r["month"].startswith(f"{YEAR}-")]
    assert sum(r["n_incidents"] for r in months) == len(reports_2024)
    assert sum(r["n_open"] for r in months) == len(reports_2024) - len(reports_2024[::3])
    shown = dash.table("reports")
    keys = ["district_id", "month", "n_incidents", "n_open"]
    assert rows(shown, keys) == rows(months, keys)
    columns = ["id", "district_id", "name_fr", "name_nl", "month", "n_incidents", "n_open"]
    downloaded = dash.csv("reports", tmp_path)
    assert list(downloaded[0]) == columns
    assert rows(downloaded, columns) == rows(months, columns)
    open_, closed = dash.js("""() => window.strataDashboard.charts.reports.data.datasets
        .map((d) => d.data)""")
    for m in range(12):
        of_month = [r for r in months if r["month"] == f"{YEAR}-{m + 1:02d}"]
        assert open_[m] == sum(r["n_open"] for r in of_month)
        assert closed[m] == sum(r["n_incidents"] - r["n_open"] for r in of_month)

    # road works active per month of 2026, from worksite_links' dates
    expected = active_per_month(items(base, "worksite_links", skipGeometry="true",
                                      properties="start_date,end_date"), 2026)
    assert rows(dash.table("works"), ["month", "n_active"]) == \
        rows(expected, ["month", "n_active"])
    assert rows(dash.csv("works", tmp_path), ["month", "n_active"]) == \
        rows(expected, ["month", "n_active"])
    assert dash.js("() => window.strataDashboard.charts.works.data.datasets[0].data") == \
        [e["n_active"] for e in expected]
    assert max(e["n_active"] for e in expected) > 0

    # mean NO2 per district in 2019, stations: the collection filtered by the API itself
    no2 = items(base, "no2_district_year", year=2019, source="irceline", skipGeometry="true")
    assert no2
    keys = ["district_id", "n_measures", "no2_mean_ug_m3", "no2_max_ug_m3"]
    assert rows(dash.table("no2"), keys) == rows(no2, keys)
    columns = ["id", "district_id", "name_fr", "name_nl", "year", "source", "n_measures",
               "no2_mean_ug_m3", "no2_max_ug_m3"]
    assert rows(dash.csv("no2", tmp_path), columns) == rows(no2, columns)
    labels = [d["label"] for d in dash.js(
        "() => window.strataDashboard.charts.no2.data.datasets")]
    assert labels == ["Mean (µg/m³)", "EU limit (40 µg/m³)", "WHO guideline (10 µg/m³)"]

    # the station trends: every yearly mean of the EDR collection's items
    series = items(base, "no2_station_series", skipGeometry="true")
    columns = ["id", "station", "year", "no2_ug_m3"]
    assert rows(dash.csv("stations", tmp_path), columns) == rows(series, columns)

    # another year and source, chosen in the page: kept in the URL, figures follow
    dash.page.select_option("#no2-source", "curieuzenair")
    dash.rendered()
    assert parse_qs(urlsplit(dash.page.url).query)["source"] == ["curieuzenair"]
    assert parse_qs(urlsplit(dash.page.url).query)["no2"] == ["2021"]  # its one year
    citizens = items(base, "no2_district_year", year=2021, source="curieuzenair",
                     skipGeometry="true")
    assert len(citizens) > 50
    assert rows(dash.table("no2"), keys) == rows(citizens, keys)
    dash.page.select_option("#works select.year", "2027")
    dash.rendered()
    assert parse_qs(urlsplit(dash.page.url).query)["works"] == ["2027"]
    expected = active_per_month(items(base, "worksite_links", skipGeometry="true",
                                      properties="start_date,end_date"), 2027)
    assert rows(dash.table("works"), ["month", "n_active"]) == \
        rows(expected, ["month", "n_active"])
    dash.shot("curieuzenair-2021")


def families_of_year(base: str, year: int, lang: str) -> dict[str, int]:
    """Reports of the year (in Brussels) per category family, counted here from the
    incidents collection and the Open311 categories in ``lang``."""
    groups = {s["service_code"]: s["group"] for s in httpx.get(
        f"{base}/open311/v2/services.json", params={"lang": lang}, timeout=60).json()}
    counts: dict[str, int] = {}
    for r in items(base, "incidents", skipGeometry="true",
                   properties="service_code,requested_at"):
        at = dt.datetime.fromisoformat(r["requested_at"]).astimezone(BRUSSELS)
        if at.year == year:
            family = groups[str(r["service_code"])]
            counts[family] = counts.get(family, 0) + 1
    return counts


def test_reports_by_category_family(dash: Dashboard, reports_2024: list[int],
                                    tmp_path: Path) -> None:
    """Reports of the reports panel's year per category family: the table, the CSV and the
    chart equal a count made here from the incidents and the Open311 families, in English
    and then in Dutch (the families' names follow the language)."""
    base = dash.base
    dash.open(f"?reports={YEAR}&lang=en")
    expected = families_of_year(base, YEAR, "en")
    assert sum(expected.values()) >= len(reports_2024) and len(expected) > 1
    want = sorted((f, float(n)) for f, n in expected.items())
    assert rows(dash.table("families"), ["family", "n_reports"]) == want
    downloaded = dash.csv("families", tmp_path)
    assert list(downloaded[0]) == ["year", "family", "n_reports"]
    assert {r["year"] for r in downloaded} == {str(YEAR)}
    assert rows(downloaded, ["family", "n_reports"]) == want
    chart = dash.js("""() => { const c = window.strataDashboard.charts.families.data;
        return [c.labels, c.datasets[0].data]; }""")
    assert dict(zip(chart[0], chart[1], strict=True)) == expected
    dash.shot("families-en")

    dash.page.select_option("#lang-select", "nl")
    dash.rendered()
    dutch = families_of_year(base, YEAR, "nl")
    assert set(dutch) != set(expected)  # the families' names are translated
    assert rows(dash.table("families"), ["family", "n_reports"]) == \
        sorted((f, float(n)) for f, n in dutch.items())
    assert dash.page.inner_text("#families h2") == f"Meldingen per categoriefamilie, {YEAR}"


def test_reports_per_district_on_the_map(dash: Dashboard, reports_2024: list[int],
                                         tmp_path: Path) -> None:
    """The map of reports per district of the reports panel's year: the districts' tiles of
    the year's middle (from the service itself), drawn in the page; the table, the CSV and the
    map's colours follow the sums of incidents_district_month for the year."""
    base = dash.base
    dash.open(f"?reports={YEAR}&lang=en")
    sums: dict[str, dict[str, Any]] = {}
    for r in items(base, "incidents_district_month", skipGeometry="true"):
        if r["month"].startswith(f"{YEAR}-"):
            row = sums.setdefault(str(r["district_id"]), {
                "year": YEAR, "district_id": r["district_id"], "name_fr": r["name_fr"],
                "name_nl": r["name_nl"], "n_incidents": 0})
            row["n_incidents"] += r["n_incidents"]
    expected = list(sums.values())
    assert sum(e["n_incidents"] for e in expected) == len(reports_2024)
    keys = ["district_id", "n_incidents"]
    assert rows(dash.table("districts-map"), keys) == rows(expected, keys)
    columns = ["year", "district_id", "name_fr", "name_nl", "n_incidents"]
    downloaded = dash.csv("districts-map", tmp_path)
    assert list(downloaded[0]) == columns
    assert rows(downloaded, columns) == rows(expected, columns)

    # the map: the districts' tiles of the year's middle, every counted district coloured
    source = dash.js("() => window.strataDashboard.map.getStyle().sources.districts.tiles[0]")
    assert source == f"{base}/collections/districts/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}" \
        f"?datetime={YEAR}-07-01"
    colours = dash.js("""() => window.strataDashboard.map
        .getPaintProperty('districts-fill', 'fill-color')""")
    assert colours[0] == "match"
    coloured = dict(zip(colours[2:-1:2], colours[3:-1:2], strict=True))
    assert set(coloured) == set(sums)
    top = max(e["n_incidents"] for e in expected)
    most = [d for d, e in sums.items() if e["n_incidents"] == top]
    assert {coloured[d] for d in most} == {"#b30000"}
    drawn = dash.js("""() => [...new Set(window.strataDashboard.map
        .queryRenderedFeatures({ layers: ['districts-fill'] })
        .map((f) => f.properties.district_id))]""")
    assert len(drawn) > 50 and set(sums) <= set(drawn)
    assert any(url.startswith(f"{base}/collections/districts/tiles/WebMercatorQuad/")
               and f"datetime={YEAR}-07-01" in url for url in dash.requests)
    dash.shot("map")


def communes_of_year(base: str, year: int) -> list[dict[str, Any]]:
    """Worksites active during the year per commune, counted here from worksite_links (the
    page's rule: a start and an end date, started by 31 December, not ended before 1 January)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    counts: dict[object, dict[str, Any]] = {}
    for w in items(base, "worksite_links", skipGeometry="true",
                   properties="start_date,end_date,municipality_id,municipality_fr,"
                              "municipality_nl"):
        if not (w["start_date"] and w["end_date"]
                and dt.date.fromisoformat(w["start_date"]) <= last
                and dt.date.fromisoformat(w["end_date"]) >= first):
            continue
        row = counts.setdefault(w["municipality_id"], {
            "year": year, "municipality_id": w["municipality_id"],
            "municipality_fr": w["municipality_fr"], "municipality_nl": w["municipality_nl"],
            "n_active": 0})
        row["n_active"] += 1
    return list(counts.values())


def test_road_works_per_commune(dash: Dashboard, tmp_path: Path) -> None:
    """Road works active per commune in the works panel's year: the table, the CSV and the
    chart equal a count made here from worksite_links; another year chosen, they follow."""
    base = dash.base
    dash.open("?works=2026&lang=fr")
    expected = communes_of_year(base, 2026)
    assert len(expected) > 1 and all(e["n_active"] > 0 for e in expected)
    keys = ["municipality_id", "n_active"]
    assert rows(dash.table("communes"), keys) == rows(expected, keys)
    columns = ["year", "municipality_id", "municipality_fr", "municipality_nl", "n_active"]
    downloaded = dash.csv("communes", tmp_path)
    assert list(downloaded[0]) == columns
    assert rows(downloaded, columns) == rows(expected, columns)
    assert sorted(dash.js("() => window.strataDashboard.charts.communes.data.datasets[0].data"))\
        == sorted(e["n_active"] for e in expected)
    assert dash.page.inner_text("#communes h2") == "Chantiers en cours par commune, 2026"
    dash.shot("communes-2026")

    dash.page.select_option("#works select.year", "2027")
    dash.rendered()
    assert rows(dash.table("communes"), keys) == rows(communes_of_year(base, 2027), keys)
    assert dash.page.inner_text("#communes h2") == "Chantiers en cours par commune, 2027"


def test_the_dashboard_speaks_the_users_language(dash: Dashboard, browser: Browser,  # noqa: F811
                                                 service: str) -> None:
    """Switched to Dutch in the page: its headings, controls and chart legends change, the URL
    keeps it; a French browser gets French without asking; every string in fr, nl and en."""
    dash.open("?lang=en")
    assert dash.page.inner_text("#reports h2") == "Reports per district and month"
    dash.page.select_option("#lang-select", "nl")
    dash.rendered()
    assert dash.page.inner_text("#reports h2") == "Meldingen per wijk en per maand"
    assert dash.page.inner_text("#no2 h2") == "Gemiddelde NO2 per wijk"
    assert dash.page.inner_text("#map-link") == "De kaart op elke datum"
    assert dash.js("() => window.strataDashboard.charts.reports.data.datasets[1].label") == \
        "Afgesloten"
    assert "EU-grenswaarde (40 µg/m³)" in dash.js(
        "() => window.strataDashboard.charts.stations.data.datasets.map((d) => d.label)")
    assert parse_qs(urlsplit(dash.page.url).query)["lang"] == ["nl"]
    assert dash.js("() => document.documentElement.lang") == "nl"
    assert "[" not in dash.page.inner_text("body")  # no string without its translation
    dash.shot("nl")

    keys = dash.js("""async () => {
        const m = await import('/assets/dashboard/i18n.js');
        return Object.fromEntries(['fr', 'nl', 'en']
            .map((l) => [l, Object.keys(m.STRINGS[l]).sort()]));
    }""")
    assert keys["fr"] == keys["nl"] == keys["en"]

    french = browser.new_context(locale="fr-BE", viewport={"width": 1200, "height": 900})
    try:
        other = Dashboard(french.new_page(), service, "french-browser")
        other.open("")
        assert other.page.inner_text("#works h2") == "Chantiers en cours par mois"
        assert parse_qs(urlsplit(other.page.url).query)["lang"] == ["fr"]
        other.check()
    finally:
        french.close()


def test_the_dashboard_fits_a_phone(browser: Browser, service: str) -> None:  # noqa: F811
    """At 390 px every panel fits the screen: nothing to scroll sideways (it was 574 px)."""
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-BE")
    try:
        d = Dashboard(phone.new_page(), service, "phone")
        d.open("?lang=fr")
        assert d.js("() => document.documentElement.scrollWidth") <= 390
        d.shot("phone")
        d.check()
    finally:
        phone.close()


# ------------------------------------------------------------------ the route, without a browser

def test_the_dashboard_is_linked_and_described(service: str) -> None:
    """The landing document and the map page link to /dashboard; the OpenAPI document
    describes it; the page loads nothing from another host; Chart.js is the locked one."""
    links = httpx.get(f"{service}/?f=json").json()["links"]
    assert {"rel": "related", "type": "text/html", "title": "Brussels in figures (dashboard)",
            "href": f"{service}/dashboard"} in links
    assert 'href="/dashboard"' in httpx.get(f"{service}/map").text
    oas = httpx.get(f"{service}/openapi?f=json").json()
    assert oas["paths"]["/dashboard"]["get"]["operationId"] == "getDashboard"
    page = httpx.get(f"{service}/dashboard?lang=nl")
    assert page.status_code == 200 and page.headers["content-language"] == "nl"
    assert 'src="/assets/vendor/chart.js/chart.umd.min.js"' in page.text
    assert "//" not in "".join(part.split('"')[0] for part in page.text.split('src="')[1:])
    lock = json.loads((PROJECT_ROOT / "frontend" / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/chart.js"]["version"]
    assert httpx.get(f"{service}/assets/vendor/chart.js/VERSION").text.startswith(
        f"chart.js {version} ")
    assert httpx.get(f"{service}/assets/vendor/chart.js/LICENSE.md").status_code == 200


@pytest.mark.parametrize(("query", "words"), [
    ("?reports=24", "four digits"),
    ("?no2=twenty", "four digits"),
    ("?source=osiris", "source=irceline"),
    ("?lang=de", "lang=nl"),
    ("?year=2020", "this endpoint takes"),
])
def test_bad_input_to_the_dashboard(service: str, query: str, words: str) -> None:
    """A mistyped link is a 400 in the one shape, saying what to fix."""
    answer = httpx.get(f"{service}/dashboard{query}")
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"code", "description", "hint"}
    assert words in body["hint"]
