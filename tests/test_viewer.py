# SPDX-License-Identifier: EUPL-1.2
"""The planner's viewer at ``/map`` (issue 12), in a real browser against the real service.

Debian's Chromium, driven by Playwright for Python, draws the map with MapLibre GL JS on
software WebGL (SwiftShader) from Strata's time-aware vector tiles, over the real Brussels
editions in a real PostGIS. Every request the page makes is recorded: a request to any host
but the test server fails the test. Tests wait on the map's own ``idle`` event (through
``strataViewer.rendered()``, services/static/viewer/main.js), never on sleeps. Screenshots
are kept in ``.strata/test-artifacts/viewer/``; the first complete map's time is printed
(and written there), not asserted.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas
import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from strata_helpers import snap, wait_until_quiet

from geo.city import CITY_TZ
from layers.catalogue import PROJECT_ROOT
from versioning.reading import editions

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--enable-unsafe-swiftshader",
               "--use-angle=swiftshader", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / ".strata" / "test-artifacts" / "viewer"
POINT = (4.362278, 50.854178)  # Bruxelles-Ville in 2015's edition, Saint-Josse in 2021's
STREETS_FROM, STREETS_TO = "2020-04-27", "2021-04-12"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with software WebGL (as root it needs --no-sandbox),
    once it has started: a first page opened (about:blank) and the machine quiet, as a
    planner's browser and a running service are when a planner follows a link to the viewer.
    The first visit timed below is then the viewer's own (an empty cache, a new page), not
    the browser's start nor the service's."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        settle(chromium)
        yield chromium
        chromium.close()


def settle(browser: Browser) -> bool:
    """Let a browser just launched finish starting: a first page opened (about:blank), then
    the machine quiet (``wait_until_quiet``); whether it got quiet."""
    blank = browser.new_page()
    blank.goto("about:blank")
    quiet = wait_until_quiet()
    blank.close()
    return quiet


class Viewer:
    """One browser page on the viewer, recording every request it makes."""

    def __init__(self, page: Page, base: str, name: str) -> None:
        self.page = page
        self.base = base
        self.name = name
        self.requests: list[str] = []
        self.page_errors: list[str] = []
        self.failed: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(
            f"{r.status} {r.url}"))
        # (a tile MapLibre no longer needs is cancelled: not a failure)
        page.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED" and self.failed
                .append(f"{r.failure} {r.url}"))
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

    def open(self, query: str) -> None:
        """Load ``/map?query`` and wait for its first complete map (MapLibre ``idle``)."""
        self.page.goto(f"{self.base}/map{query}")
        self.page.wait_for_function(
            "() => window.strataViewer && window.strataViewer.firstIdleMs !== undefined")
        self.rendered()

    def rendered(self) -> None:
        """Every pending update done, then each map's next ``idle`` event."""
        self.page.evaluate("() => window.strataViewer.rendered()")

    def js(self, expression: str, arg: object = None) -> object:
        """The value of a JavaScript function in the page."""
        return self.page.evaluate(expression, arg)

    def query(self) -> dict[str, list[str]]:
        """The page's query string, parsed."""
        return parse_qs(urlsplit(self.page.url).query)

    def shot(self, label: str) -> Path:
        """A screenshot kept as a test artefact."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=path)
        return path

    def outside_requests(self) -> list[str]:
        """Requests to any host but the test server (data: URLs are not requests)."""
        server = urlsplit(self.base).netloc
        outside = []
        for address in self.requests:
            if address.startswith("data:"):
                continue
            parts = urlsplit(address.removeprefix("blob:"))
            if parts.netloc != server or parts.scheme not in ("http", "ws"):
                outside.append(address)
        return outside

    def check(self) -> None:
        """No request left the test server, none failed; no script error; on the viewer, no
        map or API error shown."""
        assert self.requests, "the page made no request at all"
        assert not self.outside_requests(), f"requests to other hosts: {self.outside_requests()}"
        assert not self.page_errors, self.page_errors
        assert not self.failed, f"requests that failed: {self.failed}"
        if self.js("() => window.strataViewer !== undefined"):  # on the viewer
            assert self.js("() => window.strataViewer.errors()") == 0, \
                self.page.inner_text("#status")


@pytest.fixture
def viewer(browser: Browser, service: str, request: pytest.FixtureRequest) -> Iterator[Viewer]:
    """A fresh page (English browser) on the test service; checked for outside requests."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB",
                                  accept_downloads=True)
    v = Viewer(context.new_page(), service, request.node.name)
    try:
        yield v
        v.shot("end")
        v.check()
    finally:
        context.close()


def labels_title(v: Viewer, layer_id: str) -> str:
    """The title the page's layer list gives ``layer_id``."""
    return v.page.inner_text(f"#layer-list input[value={layer_id}] >> xpath=..").strip()


def rendered_names(v: Viewer, map_name: str = "map") -> list[str]:
    """The ``name_fr`` of the viewer's municipalities drawn under POINT on ``map_name``
    (queried as a user's click would be: the rendered features at the point's pixel)."""
    return v.js("""([name, lon, lat]) => window[name]
        .queryRenderedFeatures(window[name].project([lon, lat]))
        .filter((f) => f.layer.id === 'layer-municipalities-fill')
        .map((f) => f.properties.name_fr)""", [map_name, *POINT])


def test_back_and_forward_go_through_the_dates_chosen(viewer: Viewer) -> None:
    """Each date chosen is a step of the browser's history: Back returns to the date before
    (it left the viewer), Forward comes again, without reloading the page."""
    viewer.open(f"?layers=municipalities&date=2016-01-01&lang=en#15/{POINT[1]}/{POINT[0]}")
    viewer.js("() => { window.sameDocument = true; }")
    viewer.page.fill("#date-input", "2022-01-01")
    viewer.rendered()
    viewer.page.fill("#date-input", "2021-03-01")
    viewer.rendered()
    for step, date, name in [("back", "2022-01-01", "Saint-Josse-ten-Noode"),
                             ("back", "2016-01-01", "Bruxelles-Ville"),
                             ("forward", "2022-01-01", "Saint-Josse-ten-Noode")]:
        getattr(viewer.page, f"go_{step}")()
        viewer.page.wait_for_function(
            "(date) => window.strataViewer.state.date === date", arg=date)
        viewer.rendered()
        assert viewer.query()["date"] == [date], step
        assert viewer.page.input_value("#date-input") == date
        assert rendered_names(viewer) == [name], (step, date)
    assert viewer.js("() => window.sameDocument") is True


def test_the_viewer_loads_everything_from_the_service(viewer: Viewer, loaded, browser: Browser,
                                                      capsys: pytest.CaptureFixture) -> None:
    """The first map (municipalities and streets of today over the basemap) loads with no
    outside request, draws all of today's municipalities, lists the layers with their titles
    from /collections and the editions with their counts; its time is printed (a first
    visit, then a new visitor once the service has served one)."""
    query = "?layers=municipalities,streets&lang=en"
    viewer.open(query)
    first = viewer.js("() => window.strataViewer.firstIdleMs")
    assert isinstance(first, int) and first > 0
    again = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    try:
        other = Viewer(again.new_page(), viewer.base, "second-visitor")
        other.open(query)
        second = other.js("() => window.strataViewer.firstIdleMs")
        other.check()
    finally:
        again.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "first-idle.json").write_text(json.dumps(
        {"first_idle_ms": first, "first_idle_ms_second_visitor": second}))
    with capsys.disabled():
        print(f"\n/map: first complete map (MapLibre idle) {first} ms after navigation; "
              f"{second} ms for a second visitor (empty browser cache)")
    viewer.shot("first-map")

    # every municipality of today is drawn (the whole region is in view)
    drawn = viewer.js("""() => [...new Set(window.map
        .queryRenderedFeatures({layers: ['layer-municipalities-fill']})
        .map((f) => f.properties.municipality_id))]""")
    today = snap(loaded, "municipalities", dt.date.today().isoformat())
    assert sorted(drawn) == sorted(today.index.tolist())
    # streets are tiled from zoom 12 on (config/layers.yml): the list says so, zoomed in they
    # are drawn
    minzoom = viewer.js("() => window.map.getSource('layer-streets').minzoom")
    zoom = viewer.js("() => window.map.getZoom()")
    assert (zoom < minzoom) == viewer.page.locator("#layer-list li.out-of-zoom").filter(
        has_text=labels_title(viewer, "streets")).is_visible()
    viewer.js("([lon, lat]) => window.map.jumpTo({center: [lon, lat], zoom: 14})", list(POINT))
    viewer.rendered()
    assert viewer.js("() => window.map.queryRenderedFeatures({layers: ['layer-streets-line']})"
                     ".length") > 0
    assert viewer.page.locator("#layer-list li.out-of-zoom").count() == 0
    for source in ("basemap", "layer-municipalities", "layer-streets"):
        tiles = viewer.js("(s) => window.map.getStyle().sources[s].tiles[0]", source)
        assert tiles.startswith(f"{viewer.base}/") and "datetime=" in tiles, tiles
    asked = [u for u in viewer.requests if "/tiles/WebMercatorQuad/" in u]
    assert any(u.startswith(f"{viewer.base}/tiles/WebMercatorQuad/") for u in asked)
    assert any("/collections/streets/tiles/WebMercatorQuad/" in u for u in asked)

    # the layer list: every versioned layer, titled as /collections titles it
    titles = {c["id"]: c["title"] for c in
              httpx.get(f"{viewer.base}/collections?f=json&lang=en").json()["collections"]}
    labels = viewer.js("""() => Object.fromEntries([...document.querySelectorAll(
        '#layer-list input')].map((box) => [box.value, box.parentElement.innerText.trim()]))""")
    assert set(labels) == set(loaded.store.catalogue.layers)
    assert all(labels[i] == titles[i] for i in labels)

    # the editions of the layers shown, with the store's counts
    with loaded.store.connect() as conn:
        streets = editions(conn, "streets")
    listed = viewer.page.locator("#edition-list button").all_inner_texts()
    for e in streets:
        line = next(t for t in listed if "Streets" in t and
                    e["edition_date"].strftime("%-d %b %Y") in t)
        assert f"+{e['n_added']:,} added" in line and f"~{e['n_modified']:,} modified" in line \
            and f"−{e['n_deleted']:,} deleted" in line, line


def test_the_map_of_a_date_redraws_from_that_dates_tiles(viewer: Viewer) -> None:
    """Under 4.362278, 50.854178 the rendered commune is Bruxelles-Ville on 2016-01-01 and
    Saint-Josse-ten-Noode on 2022-01-01; the date is typed in the page and kept in the URL."""
    viewer.open(f"?layers=municipalities&date=2016-01-01&lang=fr#15/{POINT[1]}/{POINT[0]}")
    assert rendered_names(viewer) == ["Bruxelles-Ville"]
    viewer.shot("2016-01-01")

    viewer.page.fill("#date-input", "2022-01-01")
    viewer.rendered()
    assert rendered_names(viewer) == ["Saint-Josse-ten-Noode"]
    assert viewer.query()["date"] == ["2022-01-01"]
    viewer.shot("2022-01-01")

    # the slider snaps to an edition: dragged near 2015-07-20, it lands on it
    ticks = viewer.js("() => [...document.querySelectorAll('#edition-ticks option')]"
                      ".map((o) => [o.label, Number(o.value)])")
    assert [label for label, _ in ticks] == ["2015-07-20", "2021-02-05"]
    value = dict(ticks)["2015-07-20"] + 2  # two days after the edition
    viewer.js("""(v) => { const s = document.getElementById('date-slider'); s.value = v;
        s.dispatchEvent(new Event('input')); }""", value)
    viewer.page.wait_for_function("() => new URLSearchParams(location.search).get('date')"
                                  " === '2015-07-20'")
    viewer.rendered()
    assert rendered_names(viewer) == ["Bruxelles-Ville"]


def test_an_error_shown_goes_once_the_planner_does_something_new(browser: Browser,
                                                                  service: str) -> None:
    """The changes failing (the service answering 503) are said in the status line, still
    after a click on the map (an update that does not bring them); a new date, whose changes
    come, takes the error away."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    try:
        v = Viewer(context.new_page(), service, "error-goes")
        outage = json.dumps({"code": "ServiceUnavailable", "description": "down for a test",
                             "hint": "try again"})
        v.page.route("**/collections/streets/changes?*", lambda route: route.fulfill(
            status=503, content_type="application/json", body=outage))
        v.open(f"?layers=streets&date={STREETS_FROM}&compare={STREETS_TO}&lang=en")
        assert v.page.get_attribute("#status", "class") == "error"
        assert "down for a test" in v.page.inner_text("#status")
        v.page.click("#map-a", position={"x": 300, "y": 300})
        v.rendered()
        assert "down for a test" in v.page.inner_text("#status")
        v.page.unroute("**/collections/streets/changes?*")
        v.page.fill("#date-input", "2020-06-01")
        v.rendered()
        v.page.wait_for_selector("#changes-counts[data-state=ready]")
        assert v.page.get_attribute("#status", "class") != "error"
        assert "down for a test" not in v.page.inner_text("#status")
        v.shot("after")
    finally:
        context.close()


def test_errors_are_said_in_the_pages_language(browser: Browser, service: str) -> None:
    """In a page switched to Dutch in an English browser: no answer at all is said in Dutch
    (it was the browser's "Failed to fetch"), what failed is named in words (it was its API
    path), and the service's own error, answered in the browser's language, is asked again
    in the page's."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    try:
        v = Viewer(context.new_page(), service, "errors-in-dutch")
        v.page.route("**/collections/streets/changes?*", lambda route: route.abort())
        v.open(f"?layers=streets&date={STREETS_FROM}&compare={STREETS_TO}&lang=nl")
        status = v.page.inner_text("#status")
        assert "de wijzigingen van de laag" in status and "de dienst antwoordde niet" in status
        assert "/collections" not in status and "Failed to fetch" not in status
        v.page.unroute("**/collections/streets/changes?*")

        def error(route):  # the service's error, in the language asked for (none: English)
            dutch = "lang=nl" in route.request.url
            return route.fulfill(status=404, headers={"Content-Language": "nl" if dutch else "en"},
                                 content_type="application/json", body=json.dumps(
                                     {"code": "NotFound", "hint": "-", "description":
                                      "in het Nederlands" if dutch else "in English"}))
        v.page.route("**/collections/streets/changes?*", error)
        v.page.fill("#date-input", "2020-06-01")
        v.rendered()
        v.page.wait_for_selector("#changes-counts[data-state=error]")
        status = v.page.inner_text("#status")
        assert "in het Nederlands" in status and "in English" not in status
    finally:
        context.close()


def test_compare_two_dates_counts_what_changes_counts(viewer: Viewer) -> None:
    """Streets on 2020-04-27 and 2021-04-12, side by side then as a swipe: the table's counts
    are those of /changes, and the changes tiles colour what each date shows."""
    viewer.open(f"?layers=streets&date={STREETS_FROM}&compare={STREETS_TO}&lang=en"
                f"#14/{POINT[1]}/{POINT[0]}")
    viewer.page.wait_for_selector("#changes-counts[data-state=ready]")
    shown = viewer.js("""() => Object.fromEntries([...document.querySelectorAll(
        '#changes-counts [data-count]')].map((c) => [c.dataset.count, Number(c.dataset.value)]))""")
    diff = httpx.get(f"{viewer.base}/collections/streets/changes",
                     params={"from": STREETS_FROM, "to": STREETS_TO, "f": "json"}, timeout=60)
    expected = Counter(c["action"] for c in diff.json()["strata.diff/v1"]["changes"])
    assert shown == {**expected, "total": sum(expected.values())}
    assert all(expected[a] > 0 for a in ("added", "modified", "deleted"))
    assert viewer.page.locator("#changes-list tbody tr").count() == 200

    # the earlier map shows deletions and modifications, the later one additions and
    # modifications, from the changes tiles
    actions = {name: set(viewer.js("""(name) => window[name].queryRenderedFeatures(
        {layers: ['changes-line']}).map((f) => f.properties.action)""", name))
        for name in ("map", "mapB")}
    assert actions["map"] == {"deleted", "modified"}
    assert actions["mapB"] == {"added", "modified"}
    viewer.shot("side")

    viewer.page.check("#mode-swipe")
    viewer.rendered()
    assert viewer.query()["mode"] == ["swipe"]
    assert viewer.query()["compare"] == [STREETS_TO]
    assert viewer.js("() => document.getElementById('map-b').style.clipPath").startswith("inset")
    viewer.shot("swipe")


def test_the_download_panel_gives_the_map_of_the_date(viewer: Viewer, loaded,
                                                      tmp_path: Path) -> None:
    """The GeoPackage link of the panel downloads the streets of 2020-10-01: geopandas reads
    the snapshot's count (7,029, neither edition before nor after)."""
    date = "2020-10-01"
    viewer.open(f"?layers=streets&date={date}&lang=en")
    viewer.page.select_option("#dl-layer", "streets")
    viewer.page.select_option("#dl-format", "gpkg")
    with viewer.page.expect_download() as info:
        viewer.page.click("#dl-map")
    path = tmp_path / "streets.gpkg"
    info.value.save_as(path)
    frame = geopandas.read_file(path)
    assert len(frame) == len(snap(loaded, "streets", date))

    # the changes link: from the date to today in Brussels (the city's day, not the
    # machine's: from 23:00 UTC they differ), in the chosen format
    viewer.page.select_option("#dl-change-format", "csv")
    link = urlsplit(viewer.page.get_attribute("#dl-changes", "href"))
    assert link.path == "/collections/streets/changes"
    today = dt.datetime.now(CITY_TZ).date().isoformat()
    assert parse_qs(link.query) == {"from": [date], "to": [today], "f": ["csv"]}
    # all layers: one GeoPackage of the map of the date, in the chosen CRS
    viewer.page.select_option("#dl-layer", "__all__")
    viewer.page.select_option("#dl-crs", "EPSG:4258")
    link = urlsplit(viewer.page.get_attribute("#dl-map", "href"))
    assert link.path == "/download"
    assert parse_qs(link.query) == {"date": [date], "f": ["gpkg"], "crs": ["EPSG:4258"]}
    assert httpx.head(f"{viewer.base}{link.path}?{link.query}").status_code == 200


def test_the_page_speaks_the_users_language(viewer: Viewer, browser: Browser,
                                            service: str) -> None:
    """Switched to Dutch in the page: its strings and the layer titles change, the URL keeps
    it; a Dutch browser gets Dutch without asking; every string exists in fr, nl and en."""
    viewer.open("?layers=municipalities&lang=en")
    assert viewer.page.inner_text("#layers-section h2") == "Layers"
    credits = ".maplibregl-ctrl-attrib-inner"  # the data's credits, as its licence words them
    assert "Realized by means of Brussels UrbIS®©" in (viewer.page.text_content(credits) or "")
    viewer.page.select_option("#lang-select", "nl")
    viewer.rendered()
    assert viewer.page.inner_text("#layers-section h2") == "Lagen"
    dutch_credits = viewer.page.text_content(credits) or ""
    assert "Verwezenlijkt door middel van Brussels UrbIS®©" in dutch_credits
    assert "Realized" not in dutch_credits
    assert viewer.page.inner_text("#compare-section h2") == "Vergelijken"
    assert "Gemeenten" in viewer.page.inner_text("#layer-list")
    assert viewer.query()["lang"] == ["nl"]
    assert viewer.js("() => document.documentElement.lang") == "nl"
    assert "[" not in viewer.page.inner_text("#panel")  # no string without its translation
    assert viewer.page.get_attribute(".maplibregl-ctrl-zoom-in", "title") == "Inzoomen"
    assert "Belgische Lambert 72 (EPSG:31370)" in viewer.page.inner_text("#dl-crs")

    keys = viewer.js("""async () => {
        const m = await import('/assets/viewer/i18n.js');
        return Object.fromEntries(m.LANGS.map((l) => [l, Object.keys(m.STRINGS[l]).sort()]));
    }""")
    assert keys["fr"] == keys["nl"] == keys["en"]

    dutch = browser.new_context(locale="nl-BE", viewport={"width": 1200, "height": 800})
    try:
        other = Viewer(dutch.new_page(), service, "dutch-browser")
        other.open("?layers=municipalities")
        assert other.page.inner_text("#layers-section h2") == "Lagen"
        assert other.query()["lang"] == ["nl"]
        other.check()
    finally:
        dutch.close()


def test_a_clicked_feature_shows_its_versions(viewer: Viewer) -> None:
    """A click on the commune at the point on 2016-01-01: its properties then, and its
    version timeline from /versions with a link to each version."""
    viewer.open(f"?layers=municipalities&date=2016-01-01&lang=en#14/{POINT[1]}/{POINT[0]}")
    x, y = viewer.js("""([lon, lat]) => { const p = window.map.project([lon, lat]);
        const box = window.map.getCanvas().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y]; }""", list(POINT))
    viewer.page.mouse.click(x, y)
    viewer.rendered()
    assert viewer.page.inner_text("#feature-title") == "Bruxelles-Ville"
    # the commune outlined, no circle at its corners
    drawn = viewer.js("""() => ['line', 'point'].map((kind) => window.map
        .queryRenderedFeatures({layers: [`hl-municipalities-${kind}`]}).length)""")
    assert drawn[0] > 0 and drawn[1] == 0, drawn
    versions = httpx.get(f"{viewer.base}/collections/municipalities/items/7400/versions").json()
    links = viewer.page.locator("#feature-versions a[data-version]")
    assert links.count() == len(versions["features"]) == 2
    for i, version in enumerate(versions["features"]):
        href = urlsplit(links.nth(i).get_attribute("href"))
        assert href.path == "/collections/municipalities/items/7400"
        # as of the version's first day in Brussels (its UTC instant, 2021-02-04T23:00:00Z,
        # made the page say the day before)
        begin = dt.datetime.fromisoformat(version["properties"]["beginLifespanVersion"])
        first_day = begin.astimezone(CITY_TZ).date().isoformat()
        assert parse_qs(href.query)["datetime"] == [first_day]
        assert parse_qs(href.query)["lang"] == ["en"]  # the page in the viewer's language
    assert viewer.page.locator("#feature-versions li.current").inner_text().startswith(
        "from 20 Jul 2015 to 5 Feb 2021 open")
    props = dict(zip(viewer.page.locator("#feature-properties th").all_inner_texts(),
                     viewer.page.locator("#feature-properties td").all_inner_texts(), strict=True))
    # each property under its title in the page's language (its name kept as the tooltip)
    assert props["Name in French"] == "Bruxelles-Ville"
    assert props["Municipality id (UrbIS)"] == "7400" and "NIS code" in props  # none in 2015
    assert viewer.page.locator("#feature-properties th", has_text="Name in French"
                               ).get_attribute("title") == "name_fr"
    # the lifespan titled as /queryables titles it, as the day of its edition in Brussels
    assert props["Start of this version"] == "20 Jul 2015"
    assert props["End of this version"] == "5 Feb 2021"
    viewer.shot("feature")

    # each version's link opens the page of that version
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href, name in zip(hrefs, ("Bruxelles-Ville", "Bruxelles"), strict=True):
        viewer.page.goto(f"{viewer.base}{href}")
        assert viewer.page.inner_text("h1") == name


def test_a_layer_of_no_edition_and_a_date_to_come_are_said(viewer: Viewer) -> None:
    """A layer with no edition at all is said so (not "before the first edition"); a date
    after today is the map of today, and said so."""
    # permits have no edition in `make demo` (the tests import some for their own use):
    # the service's answer for such a layer
    viewer.page.route("**/collections/permits/editions?*", lambda route: route.fulfill(
        content_type="application/json", body=json.dumps({"id": "permits", "editions": []})))
    viewer.open("?layers=permits&date=2024-06-01&lang=en")
    notes = viewer.page.locator("#edition-list li.note").all_inner_texts()
    assert notes == ["no edition of these layers yet: nothing on the map"]
    viewer.open("?layers=streets&date=2035-06-01&lang=en")
    notes = viewer.page.locator("#edition-list li.note").all_inner_texts()
    assert notes == ["a date to come: the map as it is today (its newest editions)"]
    viewer.page.fill("#date-input", "2021-06-01")
    viewer.rendered()
    assert viewer.page.locator("#edition-list li.note").count() == 0


def test_the_pages_linked_open_in_the_language_chosen(viewer: Viewer) -> None:
    """The dashboard and the API's landing page open in the language chosen in the viewer."""
    viewer.open("?layers=municipalities&lang=fr")
    viewer.page.select_option("#lang-select", "nl")
    viewer.rendered()
    assert viewer.page.get_attribute("#dashboard-link", "href") == "/dashboard?lang=nl"
    assert viewer.page.get_attribute("#api-link", "href") == "/?lang=nl"


def page_map_drawn(v: Viewer) -> None:
    """Wait for the map block of a pygeoapi page (services/static/pages/pagemap.js) to be
    drawn completely: its ``idle`` event."""
    v.page.wait_for_function("() => window.pageMap !== undefined")
    v.js("""() => new Promise((resolve) => window.pageMap.loaded() ? resolve()
        : window.pageMap.once('idle', resolve))""")


def test_the_html_pages_load_nothing_from_elsewhere_and_link_the_map(viewer: Viewer,
                                                                     loaded) -> None:
    """pygeoapi's pages as Strata overrides them: styles and maps from Strata only (the
    request recorder fails on any other host), maps on Strata's basemap; the landing page
    and each collection page link to /map; a collection page lists its editions."""
    page = viewer.page
    page.goto(f"{viewer.base}/?f=html&lang=fr")
    assert page.get_attribute("#strata-open-map", "href") == f"{viewer.base}/map?lang=fr"
    assert page.inner_text("#strata-map-link") == "Carte à toute date"
    bootstrap = page.evaluate("() => getComputedStyle(document.querySelector('.nav-pills'))"
                              ".display")
    assert bootstrap == "flex"  # Bootstrap's CSS applied, served by Strata

    page.goto(f"{viewer.base}/collections/streets?f=html&lang=nl")
    assert page.get_attribute("#strata-map-link", "href") == \
        f"{viewer.base}/map?layers=streets&lang=nl"  # the map in the page's language
    page_map_drawn(viewer)
    page.wait_for_selector("#strata-editions:not([hidden])")
    with loaded.store.connect() as conn:
        stored = editions(conn, "streets")
    rows = page.locator("#strata-editions tbody tr")
    assert rows.count() == len(stored)
    assert rows.nth(1).locator("td").first.inner_text() == str(stored[1]["edition_date"])
    assert rows.nth(1).locator("a", has_text="GeoPackage").get_attribute("href").endswith(
        f"/collections/streets/download?date={stored[1]['edition_date']}&f=gpkg")
    changes = rows.nth(1).locator("a", has_text="wijzigingen")
    assert changes.count() == 1  # compared on the map, in the page's language
    assert changes.get_attribute("href") == (
        f"/map?layers=streets&date={stored[0]['edition_date']}"
        f"&compare={stored[1]['edition_date']}&lang=nl")
    assert rows.nth(1).locator("a", has_text="kaart").get_attribute("href") == (
        f"/map?layers=streets&date={stored[1]['edition_date']}&lang=nl")
    assert "_(" not in page.inner_text("body")  # no gettext left over
    viewer.shot("collection")

    page.click("#strata-map-link")
    page.wait_for_function("() => window.strataViewer && window.strataViewer.firstIdleMs")
    assert viewer.query()["layers"] == ["streets"] and viewer.query()["lang"] == ["nl"]


def test_the_html_pages_load_their_files_from_the_host_asked(browser: Browser,
                                                             service: str) -> None:
    """A planner who reaches the service by another name than its public URL (127.0.0.1
    for localhost, a machine's name on a network) gets pages whose files come from that
    name: they came from the public URL's host (unstyled pages, no editions table)."""
    other = service.replace("localhost", "127.0.0.1")
    assert other != service
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="fr-BE")
    try:
        v = Viewer(context.new_page(), other, "other-host")
        for path in ("/?f=html", "/collections/streets?f=html", "/openapi?f=html"):
            v.page.goto(f"{other}{path}")
            v.page.wait_for_load_state("networkidle")
        v.page.goto(f"{other}/collections/streets?f=html")
        page_map_drawn(v)
        v.page.wait_for_selector("#strata-editions:not([hidden])")
        assert v.page.evaluate("() => getComputedStyle(document.querySelector('.nav-pills'))"
                               ".display") == "flex"  # Bootstrap's CSS applied
        v.check()
    finally:
        context.close()


def test_the_openapi_page_is_served_by_strata(viewer: Viewer) -> None:
    """``/openapi?f=html`` (and ``ui=redoc``): Swagger UI from Strata, no validator badge,
    the document's operations listed, nothing from another host."""
    for query in ("f=html", "f=html&ui=redoc"):
        viewer.page.goto(f"{viewer.base}/openapi?{query}")
        viewer.page.wait_for_selector(".swagger-ui .opblock")
        assert viewer.page.inner_text(".swagger-ui .info .title").startswith("Strata")
        assert viewer.page.locator(".swagger-ui .opblock").count() > 0
    viewer.shot("openapi")


def test_dated_html_pages_show_the_version_of_their_date(viewer: Viewer) -> None:
    """``items/7400?f=html&datetime=2016-01-01`` shows the 2015 edition's Bruxelles-Ville
    (and says its date); the items page of a date answers, and lists the map of that date."""
    page = viewer.page
    answer = page.goto(f"{viewer.base}/collections/municipalities/items/7400"
                       "?f=html&datetime=2016-01-01&lang=en")
    assert answer is not None and answer.status == 200
    assert page.inner_text("h1") == "Bruxelles-Ville"
    assert "2016-01-01" in page.inner_text("#strata-date")
    page_map_drawn(viewer)
    viewer.shot("item-2016")
    page.goto(f"{viewer.base}/collections/municipalities/items/7400?f=html&lang=en")
    assert page.inner_text("h1") == "Bruxelles"
    # the properties under their titles in the page's language, the name as the tooltip
    assert page.locator("td[title=nat_code]").inner_text() == "NIS code"

    answer = page.goto(f"{viewer.base}/collections/municipalities/items"
                       "?f=html&datetime=2016-01-01&limit=100&lang=fr")
    assert answer is not None and answer.status == 200
    page_map_drawn(viewer)
    names = [n.strip() for n in page.locator("#items tbody td:first-child").all_inner_texts()]
    assert len(names) == 19 and "Bruxelles-Ville" in names and "Bruxelles" not in names
    assert page.locator("#items th[title=name_nl]").inner_text() == "Nom en néerlandais"
    viewer.shot("items-2016")


# ------------------------------------------------------------------ the routes, without a browser

def test_editions_route_gives_the_stores_editions(service: str, loaded) -> None:
    """``/collections/{id}/editions``: the store's editions and counts, oldest first."""
    body = httpx.get(f"{service}/collections/streets/editions").json()
    with loaded.store.connect() as conn:
        stored = editions(conn, "streets")
    assert [(e["date"], e["features"], e["added"], e["modified"], e["deleted"],
             e["unchanged"]) for e in body["editions"]] == \
        [(str(e["edition_date"]), e["n_features"], e["n_added"], e["n_modified"],
          e["n_deleted"], e["n_unchanged"]) for e in stored]
    derived = httpx.get(f"{service}/collections/administrativeunit/editions").json()
    assert {e["layer"] for e in derived["editions"]} == {"municipalities", "region"}


def test_the_landing_document_links_the_viewer(service: str) -> None:
    """The landing page's JSON links to /map (its HTML does too: see above)."""
    links = httpx.get(f"{service}/?f=json").json()["links"]
    assert {"rel": "related", "type": "text/html", "title": "The map of any date (viewer)",
            "href": f"{service}/map"} in links


def test_a_browsers_page_of_an_unknown_collection_is_a_page_in_its_language(
        service: str) -> None:
    """A mistyped layer name in a page's address: a page in the page's language naming the
    collections and leading to the map (pygeoapi's own said "Collection not found", in
    English); a client asking JSON keeps the one error shape; a surface is known."""
    for path, headers in [("/collections/comunes?f=html&lang=fr", {}),
                          ("/collections/comunes/items", {"Accept": "text/html",
                                                          "Accept-Language": "fr-BE"})]:
        r = httpx.get(f"{service}{path}", headers=headers)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert '<html lang="fr">' in r.text and "Introuvable" in r.text
        assert "pas de collection 'comunes' dans ce service" in html.unescape(r.text)
        assert "municipalities" in r.text and 'href="/map?lang=fr"' in r.text
    as_json = httpx.get(f"{service}/collections/comunes/items?f=json")
    assert as_json.status_code == 404 and set(as_json.json()) == {"code", "description", "hint"}
    surface = httpx.get(f"{service}/collections/no2_surface?f=html")
    assert surface.status_code != 404


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/collections/nowhere/editions", 404, "known layers"),
    ("/collections/streets/editions?f=xml", 400, "f=json"),
    ("/collections/streets/editions?date=2020-01-01", 400, "this endpoint takes"),
    ("/map?layers=streets,nowhere", 400, "comma-separated list"),
    ("/map?changes=nowhere", 400, "changes= takes one layer"),
    ("/map?date=2016-13-01", 400, "YYYY-MM-DD"),
    ("/map?compare=yesterday", 400, "YYYY-MM-DD"),
    ("/map?mode=overlay", 400, "mode=swipe"),
    ("/map?lang=de", 400, "lang=nl"),
    ("/map?zoom=3", 400, "this endpoint takes"),
])
def test_bad_input_to_the_new_routes(service: str, path: str, status: int, words: str) -> None:
    """Errors of the viewer's routes in the one shape, with a hint."""
    answer = httpx.get(f"{service}{path}")
    assert answer.status_code == status
    body = answer.json()
    assert set(body) == {"code", "description", "hint"}
    assert words in body["hint"]


def test_vendored_front_end_is_the_locked_one(service: str) -> None:
    """The files served at /assets/vendor are those of frontend/package-lock.json, with their
    licences; the page loads nothing but them and our own modules."""
    lock = json.loads((PROJECT_ROOT / "frontend" / "package-lock.json").read_text())
    for package, folder, licence in (("maplibre-gl", "maplibre-gl", "LICENSE.txt"),
                                     ("bootstrap", "bootstrap", "LICENSE"),
                                     ("swagger-ui-dist", "swagger-ui", "LICENSE")):
        version = lock["packages"][f"node_modules/{package}"]["version"]
        served = httpx.get(f"{service}/assets/vendor/{folder}/VERSION").text
        assert served.startswith(f"{package} {version} "), served
        assert httpx.get(f"{service}/assets/vendor/{folder}/{licence}").status_code == 200
    page = httpx.get(f"{service}/map").text
    assert not re.findall(r"(?:src|href)=\"(?:https?:)?//", page)


def test_assets_are_asked_again_each_time(service: str) -> None:
    """Strata's own files are kept by the browser but revalidated (no-cache, ETag: a 304
    when unchanged), so that after an upgrade no page mixes an old script with a new one."""
    for path in ("/assets/viewer/main.js", "/assets/vendor/maplibre-gl/maplibre-gl.mjs"):
        first = httpx.get(f"{service}{path}")
        assert first.status_code == 200
        assert first.headers["cache-control"] == "no-cache"
        again = httpx.get(f"{service}{path}", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.headers["cache-control"] == "no-cache"
        assert httpx.get(f"{service}{path}", headers={"If-None-Match": '"other"'}
                         ).status_code == 200


def test_the_no2_surface_toggles_on_as_an_image_layer_with_its_legend(viewer: Viewer,
                                                                       service: str) -> None:
    """The NO2 surface of the map's year, drawn from a PNG of this service placed by its four
    corners; its legend (ug/m3, WHO guideline 10 and EU limit 40 marked) in the page's
    language; another year's date asks that year's picture; off again, it is gone."""
    from PIL import Image

    viewer.open("?layers=municipalities&date=2021-06-15&lang=en")
    assert viewer.page.is_hidden("#surface-legend")
    assert viewer.js("() => window.map.getLayer('surface')") is None
    viewer.page.check("#surface-toggle")
    viewer.rendered()
    assert viewer.query()["surface"] == ["no2"]
    assert viewer.js("() => window.map.getLayer('surface').type") == "raster"
    images = [u for u in viewer.requests if "/collections/no2_surface/map?" in u]
    assert images and all(u.startswith(f"{service}/") for u in images), images
    assert parse_qs(urlsplit(images[-1]).query)["datetime"] == ["2021-07-01"]
    assert viewer.page.is_visible("#surface-legend")
    legend = viewer.page.inner_text("#surface-legend")
    for words in ("WHO guideline: 10 µg/m³", "EU limit value: 40 µg/m³", "µg/m³",
                  "The surface of 2021"):
        assert words in legend, legend
    # the marks sit at 10 and 40 on the ramp's scale of 0 to 60
    lefts = viewer.js("() => ['mark-who', 'mark-eu'].map((id) => "
                      "parseFloat(document.getElementById(id).style.left))")
    assert lefts == [pytest.approx(100 * 10 / 60, abs=1e-3),
                     pytest.approx(100 * 40 / 60, abs=1e-3)]
    viewer.shot("no2-2021")
    # the picture: a PNG of the region, transparent outside it
    r = httpx.get(images[-1])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(r.content))
    alpha = picture.getchannel("A")
    assert picture.size[0] == 800 and alpha.getextrema() == (0, 255)

    viewer.page.fill("#date-input", "2015-03-01")
    viewer.rendered()
    images = [u for u in viewer.requests if "/collections/no2_surface/map?" in u]
    assert parse_qs(urlsplit(images[-1]).query)["datetime"] == ["2015-07-01"]
    assert "The surface of 2015" in viewer.page.inner_text("#surface-legend")

    viewer.page.select_option("#lang-select", "fr")
    viewer.rendered()
    legend = viewer.page.inner_text("#surface-legend")
    assert "Valeur limite de l'UE : 40 µg/m³" in legend and "OMS : 10 µg/m³" in legend
    viewer.page.select_option("#lang-select", "nl")
    viewer.rendered()
    legend = viewer.page.inner_text("#surface-legend")
    assert "EU-grenswaarde: 40 µg/m³" in legend and "WHO-richtwaarde: 10 µg/m³" in legend
    assert "[" not in viewer.page.inner_text("#panel")

    viewer.page.uncheck("#surface-toggle")
    viewer.rendered()
    assert viewer.js("() => window.map.getLayer('surface')") is None
    assert viewer.page.is_hidden("#surface-legend") and "surface" not in viewer.query()


def test_the_campaign_surface_is_chosen_in_the_legend(viewer: Viewer, service: str) -> None:
    """The CurieuzenAir campaign's surface, chosen in the surface's legend: the map asks the
    campaign collection's picture of 2021, the URL keeps it (surface=no2-curieuzenair), the
    legend says which surface it is in the page's language; a date outside 2021 has none and
    says which years there are."""
    viewer.open("?layers=municipalities&date=2021-10-15&lang=nl")
    viewer.page.check("#surface-toggle")
    viewer.rendered()
    viewer.page.select_option("#surface-source", "no2-curieuzenair")
    viewer.rendered()
    assert viewer.query()["surface"] == ["no2-curieuzenair"]
    images = [u for u in viewer.requests
              if "/collections/no2_surface_curieuzenair/map?" in u]
    assert images and parse_qs(urlsplit(images[-1]).query)["datetime"] == ["2021-07-01"]
    assert viewer.js("() => window.map.getLayer('surface').type") == "raster"
    legend = viewer.page.inner_text("#surface-legend")
    assert "Het oppervlak van de CurieuzenAir-campagne, 2021" in legend, legend
    assert "burgermeetpunten" in legend
    r = httpx.get(images[-1])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    viewer.page.fill("#date-input", "2019-03-01")
    viewer.rendered()
    assert viewer.js("() => window.map.getLayer('surface')") is None
    assert "2021 tot 2021" in viewer.page.inner_text("#surface-legend")
    viewer.shot("no2-campaign")
    again = viewer.page.context.new_page()
    try:
        again.goto(f"{service}/map?layers=municipalities&date=2021-10-15&surface=no2-curieuzenair")
        again.wait_for_function("() => document.getElementById('surface-toggle').checked")
        assert again.eval_on_selector("#surface-source", "(e) => e.value") == "no2-curieuzenair"
    finally:
        again.close()
    assert httpx.get(f"{service}/map", params={"surface": "pm10"}).status_code == 400


def test_on_a_phone_the_map_has_the_screen(browser: Browser, service: str) -> None:
    """At 390 x 844 the map takes the width and most of the height (the panels follow it),
    and draws the municipalities; comparing, both maps are wider than a strip."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    try:
        v = Viewer(context.new_page(), service, "phone")
        v.open("?layers=municipalities&lang=en")
        box = v.page.locator("#map-a").bounding_box()
        assert box and box["width"] >= 380 and box["height"] >= 400, box
        assert rendered_names(v)  # a commune under the point: the map draws
        v.open("?layers=municipalities&lang=en&date=2016-01-01&compare=2022-01-01&mode=side")
        for map_id in ("#map-a", "#map-b"):
            box = v.page.locator(map_id).bounding_box()
            assert box and box["width"] >= 150 and box["height"] >= 400, (map_id, box)
        v.shot("compare")
        v.check()
    finally:
        context.close()


def test_the_keyboard_gets_past_the_list_of_changes_in_one_step(viewer: Viewer) -> None:
    """Before the changes' links (up to 200 of them), a button out of sight until it has the
    focus takes the keyboard on to the download panel."""
    viewer.open(f"?layers=streets&date={STREETS_FROM}&compare={STREETS_TO}&lang=en")
    assert viewer.page.locator("#changes-list tbody a").count() > 50
    skip = viewer.page.locator("#skip-changes")
    assert (skip.bounding_box() or {"x": 0})["x"] < 0  # out of sight
    first_link = viewer.page.locator("#changes-list tbody a").first
    assert viewer.js("""() => document.getElementById('skip-changes').compareDocumentPosition(
        document.querySelector('#changes-list tbody a')) & Node.DOCUMENT_POSITION_FOLLOWING""")
    skip.focus()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["width"] > 0  # in sight once it has the focus
    assert skip.inner_text() == "Skip the list of changes (to the downloads)"
    viewer.page.keyboard.press("Enter")
    assert viewer.js("() => document.activeElement.id") == "dl-layer"
    assert first_link.is_visible()


@pytest.mark.parametrize("width", [390, 700, 1400])
def test_the_credits_never_cover_the_scale_bar(browser: Browser, service: str,
                                               width: int) -> None:
    """Whatever the width, the map's credits and its scale bar do not overlap: credits that
    would cover it fold behind their (i) button, which shows them on demand."""
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="en-GB")
    try:
        v = Viewer(context.new_page(), service, f"credits-{width}")
        v.open("?layers=municipalities,streets&lang=en")
        credits = v.page.locator("#map-a .maplibregl-ctrl-attrib")
        scale = v.page.locator("#map-a .maplibregl-ctrl-scale").bounding_box()
        shown = credits.bounding_box()
        assert scale and shown
        apart = (shown["x"] >= scale["x"] + scale["width"]
                 or shown["y"] >= scale["y"] + scale["height"]
                 or shown["y"] + shown["height"] <= scale["y"])
        assert apart, (shown, scale)
        assert "Brussels UrbIS" in (credits.text_content() or "")  # folded, still there
        v.check()
    finally:
        context.close()


@pytest.mark.parametrize(("query", "lang", "words"), [
    ("?layers=nope&lang=nl", "nl", "onbekende la(a)g(en) nope"),
    ("?date=2016-13-01&lang=fr", "fr", "n'est pas une date"),
    ("?mode=overlay", "en", "mode=overlay is not a compare mode"),
])
def test_a_mistyped_link_opens_a_page_that_leads_to_the_map(browser: Browser, service: str,
                                                            query: str, lang: str,
                                                            words: str) -> None:
    """A browser following a mistyped link sees a page in its language saying what is wrong,
    with a link to the map (a 400); an API client still gets the one error shape."""
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        answer = page.goto(f"{service}/map{query}")
        assert answer is not None and answer.status == 400
        assert words in page.inner_text("#status")
        page.click("#bad-link a")
        page.wait_for_function(
            "() => window.strataViewer && window.strataViewer.firstIdleMs !== undefined")
        assert f"lang={lang}" in page.url
    finally:
        context.close()
    api = httpx.get(f"{service}/map{query}")
    assert api.status_code == 400 and set(api.json()) == {"code", "description", "hint"}


def test_the_date_slider_steps_by_the_keyboard_from_an_edition(viewer: Viewer) -> None:
    """On an edition's day, the arrow keys move the date a day (dragging snaps to editions,
    the keys do not); the slider is named for a screen reader."""
    viewer.open("?layers=municipalities&date=2021-02-05&lang=en")
    slider = viewer.page.locator("#date-slider")
    assert slider.get_attribute("aria-label") == "Date"
    slider.focus()
    viewer.page.keyboard.press("ArrowRight")  # the date follows at the next frame
    viewer.page.wait_for_function("() => window.strataViewer.state.date !== '2021-02-05'")
    viewer.rendered()
    assert viewer.query()["date"] == ["2021-02-06"]
    viewer.page.keyboard.press("ArrowLeft")
    viewer.page.wait_for_function("() => window.strataViewer.state.date !== '2021-02-06'")
    viewer.page.keyboard.press("ArrowLeft")
    viewer.page.wait_for_function("() => window.strataViewer.state.date !== '2021-02-05'")
    viewer.rendered()
    assert viewer.query()["date"] == ["2021-02-04"]


def test_a_date_before_a_layers_first_edition_is_said_by_the_layer(viewer: Viewer) -> None:
    """The Grand-Place on 2016-01-01 with streets (first edition 2020): the streets' line in
    the layer list says there is no edition before theirs, not a silent blank."""
    viewer.open("?layers=streets,municipalities&date=2016-01-01&lang=en#15/50.8467/4.3525")
    first = min(e["date"] for e in httpx.get(f"{viewer.base}/collections/streets/editions",
                                              timeout=60).json()["editions"])
    note = viewer.page.inner_text("#layer-list li[data-layer=streets]")
    assert "no edition before" in note and str(int(first[:4])) in note, note
    assert "no edition before" not in viewer.page.inner_text(
        "#layer-list li[data-layer=municipalities]")


def test_the_keyboard_steps_the_slider_by_edition(viewer: Viewer) -> None:
    """Page Up / Page Down go to the next / previous edition, Home / End to the first / last
    (an arrow is a day)."""
    viewer.open("?layers=municipalities&date=2016-01-01&lang=en")
    dates = sorted({e["date"] for e in httpx.get(
        f"{viewer.base}/collections/municipalities/editions", timeout=60).json()["editions"]})
    slider = viewer.page.locator("#date-slider")
    slider.focus()
    viewer.page.keyboard.press("PageUp")
    viewer.rendered()
    assert viewer.query()["date"] == [next(d for d in dates if d > "2016-01-01")]
    viewer.page.keyboard.press("Home")
    viewer.rendered()
    assert viewer.query()["date"] == [dates[0]]
    viewer.page.keyboard.press("End")
    viewer.rendered()
    assert viewer.query()["date"] == [dates[-1]]
    viewer.page.keyboard.press("PageDown")
    viewer.rendered()
    assert viewer.query()["date"] == [dates[-2]]


def test_a_changed_key_opens_its_panel_and_the_link_keeps_it(viewer: Viewer) -> None:
    """A key in the table of changes opens the feature's panel in the viewer (the comparison
    kept), as it was on the side where it exists; the open panel is in the URL
    (feature=layer:key), so a link sent opens with it; the URL names the changes shown."""
    viewer.open(f"?layers=streets&date={STREETS_FROM}&compare={STREETS_TO}&lang=en"
                f"&changes=municipalities#14/{POINT[1]}/{POINT[0]}")
    assert viewer.query()["changes"] == ["streets"]  # what is shown, not what was asked
    viewer.page.wait_for_selector("#changes-counts[data-state=ready]")
    row = viewer.page.locator("#changes-list tbody tr").first
    key = row.locator("a").inner_text()
    assert "f=html" in row.locator("a").get_attribute("href")
    action = row.locator("td").first.inner_text()
    row.locator("a").click()
    viewer.page.wait_for_selector("#feature-panel:not([hidden])")
    viewer.rendered()
    assert viewer.page.url.startswith(f"{viewer.base}/map?")  # still the viewer
    assert viewer.query()["compare"] == [STREETS_TO]
    # as it was on the side it exists on: a deletion before, else after (the map's date)
    side = STREETS_FROM if action == "deleted" else STREETS_TO
    assert viewer.query()["feature"] == [f"streets:{key}@{side}" if side != STREETS_FROM
                                         else f"streets:{key}"]
    shown = dict(zip(viewer.page.locator("#feature-properties th").all_inner_texts(),
                     viewer.page.locator("#feature-properties td").all_inner_texts(),
                     strict=True))
    assert shown and viewer.page.inner_text("#feature-title") != "Loading…"
    link = viewer.page.url
    viewer.page.goto("about:blank")
    viewer.page.goto(link)
    viewer.page.wait_for_function(
        "() => window.strataViewer && window.strataViewer.firstIdleMs !== undefined")
    viewer.rendered()
    viewer.page.wait_for_selector("#feature-panel:not([hidden])")
    again = dict(zip(viewer.page.locator("#feature-properties th").all_inner_texts(),
                     viewer.page.locator("#feature-properties td").all_inner_texts(),
                     strict=True))
    assert again == shown  # the same version, of the same date
    viewer.page.click("#feature-close")
    assert "feature" not in viewer.query()
    # a key no feature has: the panel says it is not on the map, no error, nothing stuck
    viewer.page.goto(f"{viewer.base}/map?layers=streets&date={STREETS_TO}&lang=en"
                     "&feature=streets:999999999999")
    viewer.page.wait_for_function(
        "() => window.strataViewer && window.strataViewer.firstIdleMs !== undefined")
    viewer.rendered()
    assert "Not on the map" in viewer.page.inner_text("#feature-properties")
    viewer.failed.clear()  # the 404s of that key, asked on purpose
    bad = httpx.get(f"{viewer.base}/map", params={"feature": "rivers:1"}, timeout=60)
    assert bad.status_code == 400 and "feature=" in bad.json()["hint"]


def test_the_swipe_handle_says_where_it_is(viewer: Viewer) -> None:
    viewer.open(f"?layers=streets&date={STREETS_FROM}&compare={STREETS_TO}&mode=swipe&lang=en")
    handle = viewer.page.locator("#swipe-handle")
    assert handle.get_attribute("aria-valuenow") == "50"
    assert handle.get_attribute("aria-valuemin") == "0"
    handle.focus()
    viewer.page.keyboard.press("Home")
    assert handle.get_attribute("aria-valuenow") == "0"
    viewer.page.keyboard.press("ArrowRight")
    assert int(handle.get_attribute("aria-valuenow")) > 0
