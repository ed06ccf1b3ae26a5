# SPDX-License-Identifier: EUPL-1.2
"""Links that do not lie: a crawl from the landing page (JSON, three levels, every link to
this service that is not a template) finds no 4xx nor 5xx."""

from __future__ import annotations

from collections import deque
from urllib.parse import urlsplit

import httpx

MAX_PAGES = 600


def test_every_advertised_link_answers(service):
    host = urlsplit(service).netloc
    queue: deque[tuple[str, int]] = deque([(f"{service}/?f=json", 0)])
    seen: set[str] = set()
    broken = []
    with httpx.Client(timeout=120) as client:
        while queue and len(seen) < MAX_PAGES:
            href, depth = queue.popleft()
            if href in seen:
                continue
            seen.add(href)
            r = client.get(href)
            if r.status_code >= 400:
                broken.append((href, r.status_code, r.text[:200]))
                continue
            if depth >= 3 or "json" not in r.headers.get("content-type", ""):
                continue
            body = r.json()
            if not isinstance(body, dict):
                continue
            links = list(body.get("links", []))
            for entry in body.get("collections", []):
                links += entry.get("links", [])
            for link in links:
                target = str(link.get("href", ""))
                if urlsplit(target).netloc == host and not link.get("templated"):
                    queue.append((target, depth + 1))
    assert len(seen) > 100, len(seen)  # the crawl went somewhere
    assert not broken, broken


def test_each_collection_links_the_licence_of_its_data(service):
    """The licences of data/brussels/MANIFEST.md, not the UrbIS one for every collection."""
    def licences(cid):
        body = httpx.get(f"{service}/collections/{cid}", params={"f": "json"}, timeout=60).json()
        return {lk["href"] for lk in body["links"] if lk["rel"] == "license"}

    assert "https://opendatacommons.org/licenses/odbl/1-0/" in licences("streets")
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in licences("streets")
    assert licences("air_quality_stations") == {"https://creativecommons.org/licenses/by/4.0/"}
    assert any("eupl" in href for href in licences("worksites"))
    assert licences("municipalities") == {"https://datastore.brussels/web/urbis-download"}


def test_temporal_extents_are_rfc3339(service):
    import re

    body = httpx.get(f"{service}/collections/municipalities", params={"f": "json"},
                     timeout=60).json()
    begin = body["extent"]["temporal"]["interval"][0][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", begin), begin
    assert begin == "2015-07-19T22:00:00Z"  # 2015-07-20, the first edition, in Brussels
