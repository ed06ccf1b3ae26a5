# SPDX-License-Identifier: EUPL-1.2
"""pygeoapi's HTML pages in the language asked (services/page_text.py): every text their
templates mark for translation has its French and Dutch, and the pages say them."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pygeoapi
import pytest

from layers.catalogue import PROJECT_ROOT
from services import page_text

TRANS = re.compile(r"\{%-?\s*trans\b[^%]*%\}(.*?)\{%-?\s*endtrans\s*-?%\}", re.S)
OURS = PROJECT_ROOT / "services" / "templates" / "pygeoapi"
THEIRS = Path(pygeoapi.__file__).parent / "templates"
# the pages Strata serves through pygeoapi's templates (its own or Strata's override)
PAGES = ["_base.html", "landing_page.html", "conformance.html", "exception.html",
         "collections/index.html", "collections/collection.html",
         "collections/queryables.html", "collections/schema.html",
         "collections/items/index.html", "collections/items/item.html",
         "collections/tiles/index.html", "processes/index.html", "processes/process.html",
         "tilematrixsets/index.html", "tilematrixsets/tilematrixset.html"]


def test_every_text_the_templates_mark_has_its_french_and_dutch():
    known = {e["en"]: e for e in page_text.entries()}
    missing = []
    for name in PAGES:
        path = OURS / name if (OURS / name).exists() else THEIRS / name
        assert path.exists(), name
        missing += [(name, t) for t in TRANS.findall(path.read_text(encoding="utf-8"))
                    if t not in known]
    assert not missing, missing
    for entry in known.values():
        assert entry["fr"] and entry["nl"], entry


@pytest.mark.parametrize(("lang", "words", "english"), [
    ("fr", ["Accueil", "Voir les collections de ce service", "Point de contact"],
     ["View the collections in this service", "Contact point"]),
    ("nl", ["Start", "De collecties van deze dienst bekijken", "Contactpunt"],
     ["View the collections in this service", "Contact point"]),
])
def test_the_landing_page_speaks_the_language_asked(service, lang, words, english):
    page = httpx.get(f"{service}/", params={"f": "html", "lang": lang}, timeout=60)
    assert page.status_code == 200 and page.headers["Content-Language"] == lang
    assert all(w in page.text for w in words), [w for w in words if w not in page.text]
    assert not [w for w in english if w in page.text]


def test_the_items_page_speaks_dutch(service):
    page = httpx.get(f"{service}/collections/municipalities/items",
                     params={"f": "html", "lang": "nl", "datetime": "2016-01-01"}, timeout=60)
    assert page.status_code == 200
    for word in ("Objecten in deze collectie", "Limiet"):
        assert word in page.text, word
    assert "Items in this collection" not in page.text


def test_a_dated_item_page_of_a_feature_not_there_then_says_so_in_html(service):
    """A browser asking the page of a street at a date before it existed gets a page (410,
    its Link header kept), in its language, leading to the street's latest version (a page
    that opens) and to the map; not the JSON of the error."""
    page = httpx.get(f"{service}/collections/streets/items/3516009",
                     params={"f": "html", "datetime": "2016-01-01", "lang": "fr"}, timeout=60)
    assert page.status_code == 410 and page.headers["content-type"].startswith("text/html")
    assert "latest-version" in page.headers["Link"] and page.headers["Content-Language"] == "fr"
    assert "<h1>Absent de la carte de cette date</h1>" in page.text
    latest = re.search(r'href="([^"]*@[^"]*)"', page.text).group(1).replace("&amp;", "&")
    opened = httpx.get(latest, timeout=60)
    assert opened.status_code == 200 and "html" in opened.headers["content-type"], latest
    assert 'href="/map?lang=fr&amp;layers=streets"' in page.text
    missing = httpx.get(f"{service}/collections/streets/items/nope",
                        params={"f": "html", "lang": "nl"}, timeout=60)
    assert missing.status_code == 404 and "<h1>Niet gevonden</h1>" in missing.text
    # a program asking JSON still gets the one shape
    json_ = httpx.get(f"{service}/collections/streets/items/3516009",
                      params={"datetime": "2016-01-01"}, timeout=60)
    assert json_.status_code == 410 and json_.json()["code"] == "Gone"


def test_page_values_are_days_of_brussels_in_the_language_and_none_is_blank(service):
    page = httpx.get(f"{service}/collections/municipalities/items/7400",
                     params={"f": "html", "datetime": "2016-01-01", "lang": "fr"}, timeout=60)
    assert page.status_code == 200
    assert "20 juil. 2015" in page.text and "2015-07-19T22:00:00+00:00" not in page.text
    assert ">None<" not in page.text.replace(" ", "").replace("\n", "")
