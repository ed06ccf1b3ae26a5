# SPDX-License-Identifier: EUPL-1.2
"""OGC Versioned Features (the proposal, with Memento): a feature's versions are a Time Map
whose mementos carry their datetime and resolve by their own ids (key@instant); a version
names itself (canonical), its feature (original, latest-version) and its history (timemap)
in its body and in Link headers. Lifespans are half-open: [beginLifespanVersion,
endLifespanVersion)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx
import pytest

from versioning.instants import parse_instant


def get(service, path, **params):
    return httpx.get(service + path, params=params, timeout=60)


def rels(links):
    return {lk["rel"]: lk for lk in links}


@pytest.mark.parametrize(("layer", "key"), [("municipalities", "7400"),
                                            ("streets", None)])
def test_the_time_map_and_every_memento(service, layer, key):
    if key is None:  # a street with several versions
        page = get(service, f"/collections/{layer}/items", datetime="../..", limit="200").json()
        ids = [f["id"] for f in page["features"]]
        key = next(str(i).split("@")[0] for i in ids if ids.count(i) > 1) if len(
            set(ids)) < len(ids) else str(ids[0]).split("@")[0]
    r = get(service, f"/collections/{layer}/items/{key}/versions")
    assert r.status_code == 200
    body = r.json()
    links = body["links"]
    mementos = [lk for lk in links if lk["rel"] == "memento"]
    assert len(mementos) == len(body["features"]) >= 1
    assert rels(links)["original"]["href"].endswith(f"/items/{key}")
    assert 'rel="memento"' in r.headers["link"] and "datetime=" in r.headers["link"]
    for memento, feature in zip(mementos, body["features"], strict=True):
        assert memento["href"].endswith(f"/items/{feature['id']}")
        one = httpx.get(memento["href"], timeout=60)
        assert one.status_code == 200, one.text
        since = parsedate_to_datetime(one.headers["memento-datetime"])
        assert since == parse_instant(memento["datetime"])
        assert feature["properties"]["beginLifespanVersion"][:10] <= memento["datetime"][:10]
        own = rels(one.json()["links"])
        assert own["canonical"]["href"] == memento["href"]
        assert own["timemap"]["href"].endswith(f"/items/{key}/versions")
        assert own["original"]["href"].endswith(f"/items/{key}")
        for rel in ("canonical", "timemap", "original", "latest-version"):
            assert f'rel="{rel}"' in one.headers["link"]


def test_a_version_id_that_starts_no_version_is_404(service):
    r = get(service, "/collections/municipalities/items/7400@2016-01-01T00:00:00Z")
    assert r.status_code == 404
    assert set(r.json()) == {"code", "description", "hint"} and "versions" in r.json()["hint"]


def test_the_version_of_a_date_names_itself(service):
    r = get(service, "/collections/municipalities/items/7400", datetime="2016-01-01")
    canonical = rels(r.json()["links"])["canonical"]["href"]
    again = httpx.get(canonical, timeout=60)
    assert again.status_code == 200
    assert again.json()["properties"] == r.json()["properties"]
    assert again.json()["properties"]["name_fr"] == "Bruxelles-Ville"
