# SPDX-License-Identifier: EUPL-1.2
"""Addresses as people write them, matched to the streets of the map of an instant.

An address such as ``Grand-Place 1, 1000 Bruxelles`` or ``Wetstraat 16, 1000 Brussel`` is
split into a street, a house number, a postcode and place names (:func:`parse_address`).
The street is then matched as a whole name, never as a substring of the address:

* names are compared normalised (:func:`normalise`: case, accents, punctuation and hyphens
  dropped, the usual abbreviations written out) by :func:`rapidfuzz.fuzz.ratio`, against the
  French, the Dutch and the bilingual name of every street of the instant;
* a name is compared by its core (:func:`split`: the name without its kind of way, "rue /
  straat / avenue / laan / place / plein ...", and articles), so that the long common
  beginnings ("Avenue des ...") weigh nothing; a kind of way left out or different ("Loi",
  "Place Liedts" for "Rue Liedts") costs ``KIND_COST`` (``OTHER_KIND_COST``), and "Wet
  straat" is "Wetstraat";
* the postcode and the municipality written in the address, when known, keep only the streets
  that lie there (a street piece lies in the municipality that contains its middle, and takes
  the postcode of the nearest postcode point, as geolocation derives postcodes);
* a name matches when it reaches ``THRESHOLD``; the names of the districts (which name
  squares and quarters: "Grand Place / Grote Markt") are looked at only when no street does;
* every place within ``MARGIN`` of the best is a contender: one place (a name in one
  municipality) is the answer, several are an ambiguity, none is an unknown street. Both are
  refused with :class:`~geo.errors.InvalidInput`, whose hint lists the closest candidates.

The answer is the middle of the street's pieces in that municipality (and postcode), the
house number is read but not used to place the point.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import psycopg
from rapidfuzz import fuzz, process

from geo.errors import InvalidInput
from layers.catalogue import Catalogue
from layers.responsibility import Responsibility
from linking.sqlfiles import render

THRESHOLD = 88.0
"""The score (0..100: :func:`rapidfuzz.fuzz.ratio` of the normalised cores, less the costs
below) a name must reach. A letter missing or added in a name of five letters or more
passes ("Wetstrat" too, compared whole); two letters in a short name ("Victor" for
"Victoire", 86) or a piece of a name ("Franklin" for "Franklin Roosevelt", 62) do not. On
the 2,528 street names of 2021-04-12: 600 names held out of the map are taken for another
street at 1.8 % (85: 3.5 %, 90: 1.7 %), and names with one letter dropped are refused at
6.7 % (85: 3.2 %, 90: 12 %). The knee: a refusal lists the right street in its hint, a wrong
match routes the report elsewhere in silence."""
MARGIN = 3.0
"""Places whose score is within this of the best are contenders (so an exact name, 100,
outranks the same core with the kind of way left out, 100 - KIND_COST)."""
KIND_COST = 5.0
"""What matching the core without the kind of way ("Loi" for "Rue de la Loi") costs."""
OTHER_KIND_COST = 10.0
"""What matching the core with another kind of way ("Place Liedts" for "Rue Liedts")
costs: the kind written says it is another street, which usually lies near."""
LOCALITY_THRESHOLD = 85.0
"""The similarity a place name of the address must reach to name a municipality
("Brussels" for "Brussel", "St-Gilles" for "Saint-Gilles")."""
HINT_SIZE = 5
"""How many candidates a hint lists."""
CITY = {"bruxelles", "brussel", "brussels"}
"""Names of the city that the post writes after every postcode of the region ("1050
Bruxelles" is in Ixelles): next to a postcode, they decide nothing."""

# the kinds of way, French (the first word(s)) and Dutch (the last word, or its end)
_FR_KINDS = (
    "rue", "avenue", "boulevard", "place", "chaussee", "square", "chemin", "dreve", "allee",
    "impasse", "quai", "clos", "sentier", "parvis", "galerie", "passage", "rond point", "cite",
    "venelle", "esplanade", "rampe", "voie", "pont", "porte", "promenade", "digue", "tunnel",
    "viaduc", "parc", "jardin", "cour", "carrefour", "route", "petite rue", "grand rue",
    "vieux chemin", "ruelle", "montagne", "berges",
)
_FR_ARTICLES = {"de", "du", "des", "la", "le", "les", "l", "d", "au", "aux", "a"}
_NL_KINDS = (
    "steenweg", "straat", "laan", "plein", "dreef", "kaai", "plaats", "weg", "pad", "gang",
    "markt", "wandeling", "dijk", "oprit", "tunnel", "brug", "square", "park", "hof", "dal",
    "lei", "vest", "doorgang", "galerij", "voorplein", "rotonde", "viaduct", "esplanade",
)
_FR_KIND_WORDS = sorted((k.split() for k in set(_FR_KINDS)), key=len, reverse=True)
_NL_KIND_ENDS = sorted(set(_NL_KINDS), key=len, reverse=True)
_ABBREVIATIONS = {
    "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard",
    "bvd": "boulevard", "boul": "boulevard", "chee": "chaussee", "ch": "chaussee",
    "pl": "place", "sq": "square", "str": "straat", "stwg": "steenweg",
}
_NUMBER = r"\d+\s?[a-z]?(?:\s?[-/]\s?\d+\s?[a-z]?)?"
_BOX = r"(?:\s*(?:bte|bt|boite|boîte|bus|box|b)\.?\s*\d+\w*)?"
_TRAILING_NUMBER = re.compile(rf"[\s,]+(?:n[°o]\.?\s*)?({_NUMBER}){_BOX}\s*$", re.IGNORECASE)
_LEADING_NUMBER = re.compile(rf"^\s*(?:n[°o]\.?\s*)?({_NUMBER})\s*,?\s+(?=\D)", re.IGNORECASE)
_POSTCODE = re.compile(r"(?<![\w-])(?:b\s?-\s?)?(\d{4})(?!\w)", re.IGNORECASE)
_TRAILING_POSTCODE = re.compile(r"\s(?:b\s?-\s?)?(\d{4})\s*$", re.IGNORECASE)
_POSTCODE_PLACE = re.compile(r"\s(?:b\s?-\s?)?(\d{4})((?:\s+[^\d\s,]+)+)\s*$", re.IGNORECASE)
_NUMBER_PLACE = re.compile(rf"\s{_NUMBER}{_BOX}((?:\s+[^\d\s,]+)+)\s*$", re.IGNORECASE)


def normalise(text: str) -> str:
    """A name as it is compared: lower case, without accents, punctuation or hyphens, with
    the usual abbreviations of the kinds of way written out.

    >>> normalise("Grand-Place")
    'grand place'
    >>> normalise("  Chée de Haecht ")
    'chaussee de haecht'
    >>> normalise("Rue de l'Église Saint-Lambert"), normalise("Bd. Émile Bockstael")
    ('rue de l eglise saint lambert', 'boulevard emile bockstael')
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def split(name: str) -> tuple[str, str]:
    """A normalised name as its kind of way and its core: the French kind (and articles) in
    front, or else the Dutch kind at the end (a word, or the end of the last word). The
    kind is "" when the name has none, the core the whole name when nothing else is left.

    >>> split("rue de la loi"), split("wetstraat"), split("wet straat")
    (('rue', 'loi'), ('straat', 'wet'), ('straat', 'wet'))
    >>> split("grand place"), split("grote markt"), split("place"), split("gentsesteenweg")
    (('', 'grand place'), ('markt', 'grote'), ('', 'place'), ('steenweg', 'gentse'))
    """
    words = name.split()
    for kind in _FR_KIND_WORDS:
        if words[:len(kind)] == kind and len(words) > len(kind):
            words = words[len(kind):]
            while len(words) > 1 and words[0] in _FR_ARTICLES:
                words = words[1:]
            return " ".join(kind), " ".join(words)
    last = words[-1] if words else ""
    for end in _NL_KIND_ENDS:
        if last == end and len(words) > 1:
            return end, " ".join(words[:-1])
        if last.endswith(end) and len(last) > len(end) + 1:
            return end, " ".join([*words[:-1], last[:-len(end)]])
    return "", name


@dataclass(frozen=True)
class Address:
    """An address string split into its parts (``street`` as written, without number)."""

    text: str
    street: str
    number: str | None = None
    postcodes: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


def parse_address(text: str, localities: Collection[str] = ()) -> Address:
    """Split ``street number, postcode place`` (or ``number street, ...``) into its parts:
    the parts after the first comma give postcodes and place names. Without a comma, a
    postcode is the four digits after the house number (or before words), and the words
    after the house number are a place only when they are one of ``localities``
    (normalised names), as in "Wetstraat 16 Brussel" but not "Rue du 11 Novembre".

    >>> parse_address("Grand-Place 1, 1000 Bruxelles")
    Address(text='Grand-Place 1, 1000 Bruxelles', street='Grand-Place', number='1', \
postcodes=('1000',), places=('Bruxelles',))
    >>> a = parse_address("16 Rue de la Loi, B-1000 Brussel / Bruxelles, Belgique")
    >>> a.street, a.number, a.postcodes, a.places
    ('Rue de la Loi', '16', ('1000',), ('Brussel', 'Bruxelles', 'Belgique'))
    >>> a = parse_address("Avenue du 11 Novembre 5 bte 3 1040 Etterbeek")
    >>> a.street, a.number, a.postcodes, a.places
    ('Avenue du 11 Novembre', '5', ('1040',), ('Etterbeek',))
    >>> a = parse_address("Wetstraat 16A Brussel", localities={"brussel"})
    >>> a.street, a.number, a.postcodes, a.places
    ('Wetstraat', '16A', (), ('Brussel',))
    >>> parse_address("Rue du 11 Novembre", localities={"brussel"}).street
    'Rue du 11 Novembre'
    >>> parse_address("16, Rue de la Loi").street, parse_address("16, 1000 Bruxelles").street
    ('Rue de la Loi', '16')
    >>> parse_address("Wetstraat 16 1000, Brussel").postcodes
    ('1000',)
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 1 and re.fullmatch(_NUMBER, parts[0], re.IGNORECASE) \
            and not _POSTCODE.match(parts[1]):
        parts = [f"{parts[1]} {parts[0]}", *parts[2:]]   # "16, Rue de la Loi, ..."
    street, rest = parts[0], [p for p in parts[1:] if p]
    postcodes: list[str] = []
    places: list[str] = []
    # within the first part: "<street> <number> [<postcode>] [<place>]"
    m = None if rest else _POSTCODE_PLACE.search(street)
    m = m or _TRAILING_POSTCODE.search(street)
    if m and (m.lastindex == 2 or _TRAILING_NUMBER.search(street[:m.start()])):
        postcodes.append(m.group(1))
        rest = [m.group(2), *rest] if m.lastindex == 2 else rest
        street = street[:m.start()]
    elif not rest and (m := _NUMBER_PLACE.search(street)) and process.extractOne(
            normalise(m.group(1)), localities, scorer=fuzz.ratio,
            score_cutoff=LOCALITY_THRESHOLD):
        rest = [m.group(1)]
        street = street[:m.start(1)]
    for part in rest:
        postcodes += [found.group(1) for found in _POSTCODE.finditer(part)]
        words = _POSTCODE.sub(" ", part)
        places += [w.strip() for w in words.split("/") if re.search(r"[^\W\d_]", w)]
    number = None
    m = _TRAILING_NUMBER.search(street)
    if m and m.start() > 0:
        number, street = re.sub(r"\s", "", m.group(1)), street[:m.start()]
    elif m := _LEADING_NUMBER.match(street):
        number, street = re.sub(r"\s", "", m.group(1)), street[m.end():]
    return Address(text, street.strip(" -"), number, tuple(postcodes), tuple(places))


@dataclass(frozen=True)
class Place:
    """The pieces of a named street (or district) in one municipality with one postcode."""

    kind: str
    label: str
    name_fr: str
    name_nl: str
    municipality_id: int | None
    municipality_fr: str | None
    municipality_nl: str | None
    postcode: str | None
    x: float
    y: float
    length: float
    score: float = 0.0

    @property
    def forms(self) -> frozenset[tuple[str, str]]:
        """The kinds and cores of its French and Dutch names."""
        return frozenset(split(normalise(n)) for n in (self.name_fr, self.name_nl) if n)

    def same_place(self, other: Place) -> bool:
        """The same street: in the same municipality, with a name in common (the map may
        spell one street in two ways: "Chemin du / de Putdael", names in swapped order)."""
        return (self.kind == other.kind and self.municipality_id == other.municipality_id
                and bool(self.forms & other.forms))


@dataclass(frozen=True)
class Match:
    """The place an address names (its point is in Lambert 72) and what was read."""

    address: Address
    place: Place

    @property
    def point(self) -> tuple[float, float]:
        """The point, x / y in EPSG:31370."""
        return self.place.x, self.place.y


@dataclass
class _Gazetteer:
    """The names of the instant: streets, districts, municipalities and postcodes."""

    streets: list[tuple[str, str, str]]
    districts: list[tuple[str, str, str]]
    municipalities: dict[int, tuple[str, str]]
    postcodes: set[str]


def _layers(catalogue: Catalogue, rules: Responsibility
            ) -> tuple[dict[str, str], dict[str, object]]:
    """The tables of the layers an address is read on, and their ids as parameters."""
    roles = {role: catalogue.layer(rules.roles[role])
             for role in ("street", "district", "municipality", "postcode")}
    tables = {"streets": roles["street"].table, "districts": roles["district"].table,
              "municipalities": roles["municipality"].table,
              "postcodes": roles["postcode"].table}
    return tables, {"layers": [s.id for s in roles.values()],
                    **{f"{role}_layer": s.id for role, s in roles.items()}}


def _gazetteer(conn: psycopg.Connection, tables: dict[str, str], params: dict[str, object],
               at: dt.datetime) -> _Gazetteer:
    """Every name of the map of ``at`` (one query)."""
    g = _Gazetteer([], [], {}, set())
    for kind, label, fr, nl, ident in conn.execute(render("address_names", **tables),
                                                   {**params, "at": at}):
        if kind == "street":
            g.streets.append((label, fr or "", nl or ""))
        elif kind == "district":
            g.districts.append((label, fr or "", nl or ""))
        elif kind == "municipality":
            g.municipalities[int(ident)] = (fr or "", nl or "")
        else:
            g.postcodes.add(label)
    return g


@lru_cache(maxsize=8)
def _forms(names: tuple[tuple[str, str, str], ...]) -> tuple[list[str], list[str], np.ndarray]:
    """The normalised forms (three per name), their cores and their kinds, for a gazetteer;
    kept across calls: the names of an edition do not change."""
    full = [normalise(n) for name in names for n in name]
    kinds, cores = zip(*(split(n) for n in full), strict=True)
    return full, list(cores), np.array(kinds, dtype=object)


def scores(street: str, names: Sequence[tuple[str, str, str]]) -> np.ndarray:
    """The score (0..100) of each ``(label, fr, nl)`` name for the street of an address:
    the best, over the three forms, of the cores compared, less ``OTHER_KIND_COST`` when the
    kinds of way differ, ``KIND_COST`` when one is not given. A street written without a
    kind of way we know (or with a typo in it: "Wetstrat") is also compared whole, less
    ``KIND_COST``.

    >>> names = [("Rue de la Loi - Wetstraat", "Rue de la Loi", "Wetstraat"),
    ...          ("Tunnel Loi - Wettunnel", "Tunnel Loi", "Wettunnel"), ("GR", "GR", "GR")]
    >>> [float(s) for s in scores("Wetstraat", names)]
    [100.0, 90.0, 0.0]
    >>> [float(s) for s in scores("Loi", names)], [round(s) for s in scores("wetstrat", names)]
    ([95.0, 95.0, 0.0], [89, 50, 20])
    """
    if not names:
        return np.zeros(0)
    full, cores, kinds = _forms(tuple(names))
    whole = normalise(street)
    kind, name = split(whole)
    found = process.cdist([name], cores, scorer=fuzz.ratio, workers=1)[0].astype(float)
    found -= np.where(kinds == kind, 0.0,
                      np.where((kinds == "") | (kind == ""), KIND_COST, OTHER_KIND_COST))
    if not kind:
        as_written = process.cdist([whole], full, scorer=fuzz.ratio, workers=1)[0]
        found = np.maximum(found, as_written - KIND_COST)
    return np.maximum(found.reshape(len(names), 3).max(axis=1), 0.0)


def _municipalities(address: Address, known: dict[int, tuple[str, str]]
                    ) -> tuple[set[int], list[str]]:
    """The municipalities the place names of an address name, and the names not known
    ("Bruxelles" names Bruxelles-Ville, as the municipality was called until 2021)."""
    found: set[int] = set()
    unknown: list[str] = []
    choices = {(mid, re.sub(r" (ville|stad)$", "", normalise(n)))
               for mid, names in known.items() for n in names}
    for place in address.places:
        name = normalise(place)
        if name in CITY and address.postcodes:
            continue
        best = max(((fuzz.ratio(name, n), mid) for mid, n in choices), default=(0.0, 0))
        if best[0] >= LOCALITY_THRESHOLD:
            found.add(best[1])
        else:
            unknown.append(place)
    return found, unknown


def _group(places: Iterable[Place]) -> list[list[Place]]:
    """Places grouped by street (:meth:`Place.same_place`), best score first."""
    groups: list[list[Place]] = []
    for p in sorted(places, key=lambda p: (-p.score, p.label, p.municipality_id or 0)):
        group = next((g for g in groups if any(p.same_place(q) for q in g)), None)
        if group is None:
            groups.append([p])
        else:
            group.append(p)
    return groups


def _candidates(places: Iterable[Place]) -> str:
    """The closest streets for a hint, best first: name, municipality and postcodes."""
    out = []
    for group in _group(places)[:HINT_SIZE]:
        first = group[0]
        fr, nl = first.municipality_fr, first.municipality_nl
        where = (fr if fr == nl or not nl else f"{fr} / {nl}") or "outside the region"
        codes = sorted({p.postcode for p in group if p.postcode})
        out.append(f"{first.label} ({', '.join([where, *codes])})")
    return "; ".join(out) or "none"


def locate_address(conn: psycopg.Connection, catalogue: Catalogue, rules: Responsibility,
                   text: str, at: dt.datetime) -> Match:
    """The place an address string names on the map of ``at``.

    Parameters
    ----------
    conn : psycopg.Connection
        A connection to the store.
    catalogue, rules : Catalogue, Responsibility
        Which layers are the streets, districts, municipalities and postcode points.
    text : str
        The address as written, e.g. ``"Wetstraat 16, 1000 Brussel"``.
    at : datetime.datetime
        The instant whose map is read (each layer as at ``at``, or its first edition).

    Returns
    -------
    Match
        The place (a street, or a district when no street matches) and its middle point.

    Raises
    ------
    InvalidInput
        When the address names no street, an unknown postcode or municipality, or a street
        found in several places that nothing in the address tells apart; the hint lists the
        closest candidates (name, municipality, postcodes).
    """
    tables, params = _layers(catalogue, rules)
    g = _gazetteer(conn, tables, params, at)
    address = parse_address(text, {normalise(n) for names in g.municipalities.values()
                                   for n in names} | CITY)
    if not re.search(r"[^\W\d_]", address.street):
        raise InvalidInput(f"the address {text!r} names no street",
                           hint="write it as 'street number, postcode municipality', e.g. "
                                "'Rue de la Loi 16, 1000 Bruxelles', or give lat / long")

    # what the address says of where the street is: postcodes and municipalities
    problems: list[str] = []
    postcodes = set(address.postcodes)
    if unknown := sorted(postcodes - g.postcodes):
        problems.append(f"{', '.join(unknown)} is not a postcode of the Brussels-Capital "
                        "Region")
    municipalities, unknown = _municipalities(address, g.municipalities)
    if unknown and not municipalities and not postcodes:
        problems.append(f"{', '.join(map(repr, unknown))} is not a municipality of the "
                        "Brussels-Capital Region")

    # the names scored; where the best ones lie (and those a hint may list), one query
    street_scores = scores(address.street, g.streets)
    district_scores = scores(address.street, g.districts)
    order = np.argsort(-street_scores, kind="stable")
    named = {g.streets[i][0]: float(street_scores[i]) for i in order
             if street_scores[i] >= THRESHOLD - MARGIN}
    named |= {g.streets[i][0]: float(street_scores[i]) for i in order[:HINT_SIZE + 3]}
    districts = {g.districts[i][0]: float(s) for i, s in enumerate(district_scores)
                 if s >= THRESHOLD}
    places = []
    for row in conn.execute(render("address_places", **tables),
                            {**params, "at": at, "streets": list(named),
                             "districts": list(districts)}):
        kind, label, fr, nl, mid, mfr, mnl, code, x, y, length = row
        score = (named if kind == "street" else districts)[label]
        places.append(Place(kind, label, fr or "", nl or "", mid, mfr, mnl, code, float(x),
                            float(y), float(length or 0), score))

    def fits(p: Place, by_name: bool = True) -> bool:
        """In the region, and where the address says (a piece of a street outside every
        municipality is outside the region: no report can be made there)."""
        return (p.municipality_id is not None
                and (not postcodes or p.postcode in postcodes)
                and (not by_name or not municipalities or p.municipality_id in municipalities))

    def found(by_name: bool) -> list[Place]:
        """Streets first; the districts (squares, quarters) only when no street matches."""
        return [p for p in places if p.kind == "street" and p.score >= THRESHOLD
                and fits(p, by_name)] or [p for p in places if p.kind == "district"
                                          and p.score >= THRESHOLD and fits(p, by_name)]

    # a postal locality is named after a municipality, but is not it: "1050 Ixelles" holds
    # the Avenue Louise of Bruxelles; the postcode alone, when postcode and name disagree
    matching = found(True) or (found(False) if postcodes and municipalities else [])
    where = " ".join([*sorted(postcodes), *address.places]) if (
        postcodes or municipalities) else "the Brussels-Capital Region"
    if problems or not matching:
        if not any(p.score >= THRESHOLD for p in places):
            problems.insert(0, f"no street of Brussels is named like {address.street!r}")
        elif not problems:
            problems.insert(0, f"no street named like {address.street!r} lies in {where}")
        raise InvalidInput(
            f"{'; '.join(problems)}, in the address {text!r}",
            hint=f"closest: {_candidates(p for p in places if p.kind == 'street')}; write "
                 "the street name as on its sign, with the postcode, or give lat / long")
    best = max(p.score for p in matching)
    groups = _group(p for p in matching if p.score >= best - MARGIN)
    if len(groups) > 1:
        raise InvalidInput(
            f"the address {text!r} is ambiguous: {address.street!r} names {len(groups)} "
            f"streets in {where}",
            hint=f"candidates: {_candidates(p for g in groups for p in g)}; give the "
                 "postcode or the municipality")
    # one street: its longest stretch among the best scores (one postcode, if given)
    top = max(groups[0], key=lambda p: (p.score, p.length, p.postcode or ""))
    return Match(address, top)
