# SPDX-License-Identifier: EUPL-1.2
"""Addresses matched as whole street names, where their postcode or municipality says, on
the real Brussels data: through Open311 (the running service) and through the library."""

from __future__ import annotations

import math

import httpx
import pytest

from geo.crs import parse_crs
from geo.errors import InvalidInput
from linking.addresses import HINT_SIZE, locate_address
from linking.geolocate import geolocate
from versioning.instants import parse_instant

V2 = "/open311/v2"
L72 = parse_crs("EPSG:31370")
GRAND_PLACE = (4.3525, 50.8467)


@pytest.fixture(scope="module")
def api_key(loaded):
    result = loaded.run("apikey", "create", "tests-addresses")
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def metres(lon, lat, lon0, lat0):
    """The distance between two WGS 84 points (equirectangular: exact enough within a city)."""
    dx = math.radians(lon - lon0) * math.cos(math.radians(lat0)) * 6_371_000
    dy = math.radians(lat - lat0) * 6_371_000
    return math.hypot(dx, dy)


def incident_rows(loaded):
    with loaded.store.connect() as conn:
        return conn.execute("SELECT count(*) FROM incident").fetchone()[0]


def post(service, api_key, address):
    return httpx.post(f"{service}{V2}/requests.json", data={
        "api_key": api_key, "service_code": "1", "address_string": address}, timeout=30)


def where(loaded, address, date="2022-06-01"):
    """The street, municipality and postcode that geolocation finds at the address's point."""
    s = loaded.store
    at = parse_instant(date)
    with s.connect() as conn:
        match = locate_address(conn, s.catalogue, s.responsibility, address, at)
        answer = geolocate(conn, s.catalogue, s.responsibility, *match.point, L72, at)
    return match, answer


def refused(loaded, address, date="2022-06-01"):
    s = loaded.store
    with s.connect() as conn, pytest.raises(InvalidInput) as caught:
        locate_address(conn, s.catalogue, s.responsibility, address, parse_instant(date))
    return caught.value


def test_grand_place_lands_on_the_grand_place_not_in_ganshoren(service, loaded, api_key):
    # the bug: "GR", a street of Ganshoren, is a substring of "Grand-Place"
    r = post(service, api_key, "Grand-Place 1, 1000 Bruxelles")
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    got = httpx.get(f"{service}{V2}/requests/{rid}.json", timeout=30).json()[0]
    assert metres(got["long"], got["lat"], *GRAND_PLACE) < 300
    assert got["municipality"] == "Bruxelles" and got["zipcode"] == "1000"
    assert got["agency_responsible"] == "Bruxelles-Ville"


def test_wetstraat_is_rue_de_la_loi(service, loaded, api_key):
    r = post(service, api_key, "Wetstraat 16, 1000 Brussel")
    assert r.status_code == 201, r.text
    rid = int(r.json()[0]["service_request_id"])
    with loaded.store.connect() as conn:
        row = conn.execute("SELECT street_fr, street_nl, municipality_fr, postcode "
                           "FROM incident WHERE id = %s", (rid,)).fetchone()
    assert row == ("Rue de la Loi", "Wetstraat", "Bruxelles", "1000")


@pytest.mark.parametrize("address", ["Avenue Louise 200, 1050 Ixelles",
                                     "Louizalaan 200, 1050 Elsene"])
def test_a_postal_locality_is_not_a_municipality(loaded, address):
    """1050 Ixelles, as the post writes it, holds the Avenue Louise of Bruxelles: the
    postcode decides where postcode and name disagree (it was refused as lying in no
    1050 Ixelles)."""
    match, answer = where(loaded, address)
    assert match.place.name_fr == "Avenue Louise" and match.place.postcode == "1050"
    assert answer["municipality"]["name"]["fr"] == "Bruxelles"
    assert answer["street"]["name"]["fr"] == "Avenue Louise"


@pytest.mark.parametrize("address, needles", [
    # a street of Ganshoren only (1083), written with the postcode of Uccle
    ("Avenue Van Overbeke 10, 1180 Uccle",
     ["no street named like 'Avenue Van Overbeke' lies in 1180 Uccle", "closest: ",
      "Avenue Van Overbeke - Van Overbekelaan (Ganshoren, 1083)"]),
    ("qwertz 99, 9999 Nowhere",
     ["no street of Brussels is named like 'qwertz'",
      "9999 is not a postcode of the Brussels-Capital Region", "closest: ", "lat / long"]),
    # in Evere (1140) and in Saint-Gilles (1060), 7.6 km apart
    ("Rue de la Perche 3",
     ["is ambiguous: 'Rue de la Perche' names 2 streets",
      "Rue de la Perche - Wipstraat (Evere, 1140)",
      "Rue de la Perche - Wipstraat (Saint-Gilles / Sint-Gillis, 1060)",
      "give the postcode or the municipality"]),
])
def test_wrong_unknown_and_ambiguous_addresses_are_400_with_candidates(
        service, loaded, api_key, address, needles):
    before = incident_rows(loaded)
    r = post(service, api_key, address)
    assert r.status_code == 400, r.text
    body = r.json()[0]
    text = f"{body['description']} / {body['hint']}"
    assert all(n in text for n in needles), text
    assert "closest: " in body["hint"] or "candidates: " in body["hint"]
    assert incident_rows(loaded) == before


@pytest.mark.parametrize("address", [
    "Wetstraat 16, 1000 Brussel", "16 rue de la loi, 1000 bruxelles",
    "Rue de la Loi 16 bte 3, B-1000 Brussel", "RUE DE LA LOI 16", "Wetstraat 16 Brussel",
    "Wet straat 16, 1000", "Rue de la Loi - Wetstraat 16", "Wetstrat 16, 1000 Brussel",
])
def test_forms_of_one_address(loaded, address):
    match, answer = where(loaded, address)
    assert match.place.name_fr == "Rue de la Loi"
    assert answer["street"]["name"] == {"fr": "Rue de la Loi", "nl": "Wetstraat"}
    assert answer["municipality"]["name"]["fr"] == "Bruxelles"


@pytest.mark.parametrize("address", [
    "Grand-Place 1, 1000 Bruxelles", "Grand Place, Bruxelles", "Grote Markt 1, 1000 Brussel",
    "grote markt 1 1000 brussel"])
def test_the_grand_place_in_french_and_dutch(loaded, address):
    # no street of the map is the Grand-Place: its district (Grand Place / Grote Markt) is
    match, answer = where(loaded, address)
    assert match.place.kind == "district"
    assert metres(answer["point"]["lon"], answer["point"]["lat"], *GRAND_PLACE) < 300
    assert answer["municipality"]["name"] == {"fr": "Bruxelles", "nl": "Brussel"}
    assert answer["postcode"]["code"] == "1000"


@pytest.mark.parametrize("address, municipality, postcode", [
    ("Rue de la Perche 3, 1060 Saint-Gilles", "Saint-Gilles", "1060"),
    ("Wipstraat 3, 1140 Evere", "Evere", "1140"),
    ("Rue de la Perche 3, Sint-Gillis", "Saint-Gilles", "1060"),
    # a postcode with "Bruxelles", as the post writes it: the postcode decides
    ("Avenue Armand Huysmans 10, 1050 Bruxelles", "Ixelles", "1050"),
    ("Avenue Armand Huysmans 10, Ixelles/Elsene", "Ixelles", "1050"),
    ("Chaussee de Haecht 100, 1030 Schaarbeek", "Schaerbeek", "1030"),
])
def test_the_postcode_or_municipality_decides(loaded, address, municipality, postcode):
    match, answer = where(loaded, address)
    assert match.place.municipality_fr == municipality
    assert answer["municipality"]["name"]["fr"] == municipality
    assert answer["postcode"]["code"] == postcode


@pytest.mark.parametrize("address, needles", [
    # a whole name, never a piece of it, nor a name two letters away
    ("Avenue Franklin 3, 1000 Bruxelles",
     ["no street of Brussels is named like 'Avenue Franklin'", "Avenue Franklin Roosevelt"]),
    ("Rue Victor 3", ["no street of Brussels is named like 'Rue Victor'"]),
    # without a postcode, "Bruxelles" is the municipality: this avenue is in Ixelles
    ("Avenue Armand Huysmans 10, Bruxelles",
     ["lies in Bruxelles", "Avenue Armand Huysmans - Armand Huysmanslaan (Ixelles / Elsene"]),
    ("Rue de la Perche 3, Uccle", ["lies in Uccle", "(Evere, 1140)", "Sint-Gillis, 1060)"]),
    ("Rue de la Loi 16, Nowhere", ["'Nowhere' is not a municipality"]),
    ("Chaussée de Haecht 100", ["names 3 streets", "(Evere, 1030)", "Schaarbeek, 1030)"]),
    ("12, 1000 Bruxelles", ["names no street"]),
])
def test_refusals_say_what_and_list_candidates(loaded, address, needles):
    error = refused(loaded, address)
    text = str(error)
    assert all(n in text for n in needles), text
    assert error.hint
    if "closest: " in error.hint:
        listed = error.hint.split("closest: ")[1].split("; write")[0]
        assert 1 <= len(listed.split("; ")) <= HINT_SIZE


def test_the_map_of_the_reports_date(loaded):
    # Avenue des Seringas is on the map from the edition of 2021-04-12 only
    match, answer = where(loaded, "Avenue des Seringas 3, 1020 Bruxelles", "2022-06-01")
    assert answer["street"]["name"]["fr"] == "Avenue des Seringas"
    assert answer["municipality"]["name"]["fr"] == "Bruxelles"
    error = refused(loaded, "Avenue des Seringas 3, 1020 Bruxelles", "2020-06-01")
    assert "no street of Brussels is named like 'Avenue des Seringas'" in error.message
    # and the municipality of 2015 was called Bruxelles-Ville
    match, answer = where(loaded, "Wetstraat 16, Brussel", "2020-06-01")
    assert match.place.municipality_fr == "Bruxelles-Ville"
    assert answer["street"]["name"]["fr"] == "Rue de la Loi"
