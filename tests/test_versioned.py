# SPDX-License-Identifier: EUPL-1.2
"""OGC Versioned Features (the proposal, with Memento): a feature's versions are a Time Map
whose mementos carry their datetime and resolve by their own ids (key@instant); a version
names itself (canonical), its feature (original, latest-version) and its history (timemap)
in its body and in Link headers. Lifespans are half-open: [beginLifespanVersion,
endLifespanVersion)."""

from __future__ import annotations

import datetime as dt
import re
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
    assert rels(links)["first"]["href"] == mementos[0]["href"]
    assert rels(links)["last"]["href"] == rels(links)["latest-version"]["href"] == \
        mementos[-1]["href"]
    assert 'rel="memento"' in r.headers["link"] and "datetime=" in r.headers["link"]
    for memento, feature in zip(mementos, body["features"], strict=True):
        assert memento["href"].endswith(f"/items/{feature['id']}")
        one = httpx.get(memento["href"], timeout=60)
        assert one.status_code == 200, one.text
        since = parsedate_to_datetime(one.headers["memento-datetime"])
        assert memento["datetime"].endswith(" GMT")  # an HTTP-date, as Memento-Datetime
        assert since == parsedate_to_datetime(memento["datetime"])
        assert parse_instant(feature["properties"]["beginLifespanVersion"]) == since
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


def test_a_410_links_the_latest_version_and_the_time_map(service):
    """Gone (410) for a feature that existed, but not then (here: before its first version):
    its body keeps the one error shape and adds the links the proposal asks (latest-version,
    timemap, version-history), the same as a Link header; each resolves."""
    r = get(service, "/collections/municipalities/items/7400", datetime="2010-01-01")
    assert r.status_code == 410, r.text
    body = r.json()
    assert {"code", "description", "hint", "links"} == set(body) and body["code"] == "Gone"
    links = rels(body["links"])
    assert {"latest-version", "timemap", "version-history", "original"} == set(links)
    for rel, link in links.items():
        assert f'rel="{rel}"' in r.headers["Link"] and link["href"] in r.headers["Link"]
    latest = httpx.get(links["latest-version"]["href"], timeout=60)
    assert latest.status_code == 200
    assert latest.json()["properties"]["name_fr"] == "Bruxelles"
    assert len(httpx.get(links["timemap"]["href"], timeout=60).json()["features"]) == 2


def test_a_deleted_street_410_links_its_last_version(service):
    """Deleted since: the 410 of now links the last version, which ended."""
    page = get(service, "/collections/streets/items", datetime="../..", limit="1000").json()
    for candidate in page["features"]:
        if not candidate["properties"].get("endLifespanVersion"):
            continue
        key = str(candidate["id"]).split("@")[0]
        history = get(service, f"/collections/streets/items/{key}/versions").json()["features"]
        last = history[-1]["properties"]
        if last.get("endLifespanVersion"):
            break
    else:
        raise AssertionError("no deleted street in the first page of versions")
    r = get(service, f"/collections/streets/items/{key}")
    assert r.status_code == 410, r.text
    found = httpx.get(rels(r.json()["links"])["latest-version"]["href"], timeout=60)
    assert found.status_code == 200
    assert found.json()["properties"]["endLifespanVersion"] == last["endLifespanVersion"]


def test_the_profile_of_several_versions(service):
    """An interval answers several versions of a feature: as features with unique ids
    (key@start, the default) or with the key as id (versions-as-features); the profile
    answered is a Link header; time slices are refused with a hint."""
    path = "/collections/municipalities/items"
    unique = get(service, path, datetime="2015-01-01/2022-01-01", limit="100")
    assert unique.status_code == 200
    assert ('<http://www.opengis.net/def/profile/OGC/0/versions-as-features-unique-ids>; '
            'rel="profile"') in unique.headers["Link"]
    ids = [f["id"] for f in unique.json()["features"]]
    assert len(ids) == len(set(ids)) == 38 and all("@" in str(i) for i in ids)
    for asked in ("versions-as-features",
                  "http://www.opengis.net/def/profile/OGC/0/versions-as-features"):
        same = get(service, path, datetime="2015-01-01/2022-01-01", limit="100", profile=asked)
        assert same.status_code == 200
        assert 'versions-as-features>; rel="profile"' in same.headers["Link"]
        keys = [f["id"] for f in same.json()["features"]]
        assert len(keys) == 38 and len(set(keys)) == 19
        assert sorted(map(str, keys)) == sorted(str(i).split("@")[0] for i in ids)
    now = get(service, path, limit="100", profile="versions-as-features")
    assert now.status_code == 200 and 'rel="profile"' not in now.headers["Link"]
    refused = get(service, path, datetime="2015-01-01/..", profile="features-with-time-slices")
    assert refused.status_code == 400 and "versions-as-features" in refused.json()["hint"]


def test_each_layer_declares_its_time_axis(service):
    """The collection says how to read its version timestamps (validity time: a version
    starts at its edition's date), in /collections/{id} and in /collections."""
    one = get(service, "/collections/municipalities", f="json").json()
    assert one["versioning"] == {"timeAxis": "validity-time"}
    listed = get(service, "/collections", f="json").json()["collections"]
    layers = [c for c in listed if c["id"] in ("municipalities", "streets", "districts")]
    assert len(layers) == 3 and all(c["versioning"]["timeAxis"] == "validity-time"
                                    for c in layers)


def test_the_later_version_at_a_shared_instant_and_utc_ids(service):
    """At the instant one version ends and the next starts, the next one answers (the
    proposal's rule; Strata's half-open lifespans give the same); version ids are in UTC."""
    history = get(service, "/collections/municipalities/items/7400/versions").json()
    second = history["features"][1]
    start = second["properties"]["beginLifespanVersion"]
    at = get(service, "/collections/municipalities/items/7400", datetime=start)
    assert at.json()["properties"]["name_fr"] == "Bruxelles"
    before = parse_instant(start) - dt.timedelta(microseconds=1)
    earlier = get(service, "/collections/municipalities/items/7400",
                  datetime=before.isoformat())
    assert earlier.json()["properties"]["name_fr"] == "Bruxelles-Ville"
    canonical = rels(at.json()["links"])["canonical"]["href"]
    assert re.search(r"/items/7400@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", canonical), canonical


def test_a_key_written_otherwise_keeps_its_links_valid(service):
    """A key the route reads as 7400 though written in other digits: the 410's links are
    percent-encoded, never a 500."""
    r = get(service, "/collections/municipalities/items/%D9%A7%D9%A4%D9%A0%D9%A0",
            datetime="2010-01-01")
    assert r.status_code == 410, r.text
    assert "%D9%A7" in r.headers["Link"]
