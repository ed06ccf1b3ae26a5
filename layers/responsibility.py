# SPDX-License-Identifier: EUPL-1.2
"""Who must act on a report: ``config/responsibility.yml`` validated into an immutable
:class:`Responsibility`, and :meth:`Responsibility.decide`, the Fix My Street routing rules.

Examples
--------
>>> r = load_responsibility()
>>> r.decide(category=None, regional_road_m=2.0, municipality_id=8500, inside_region=True)
Decision(organisation_id=20, rule='regional_road')
>>> r.decide(category=None, regional_road_m=None, municipality_id=8500, inside_region=True)
Decision(organisation_id=15, rule='municipality')
>>> r.decide(category=152, regional_road_m=2.0, municipality_id=8500, inside_region=True)
Decision(organisation_id=23, rule='category')
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import model_validator

from layers.catalogue import PROJECT_ROOT, Catalogue, Texts, _Frozen, read_config, validated

DEFAULT_RESPONSIBILITY = PROJECT_ROOT / "config" / "responsibility.yml"
ROLES = ("municipality", "district", "street", "region", "postcode")


class Decision(NamedTuple):
    """The organisation that must act, and the id of the rule that chose it."""

    organisation_id: int | None
    rule: str


class Rule(_Frozen):
    """One routing rule."""

    id: str
    kind: Literal["category", "regional_road", "municipality"]
    reason: Texts
    categories: tuple[int, ...] = ()
    within_m: float | None = None
    organisation: int | None = None

    @model_validator(mode="after")
    def _complete(self) -> Rule:
        if self.kind == "category" and not (self.categories and self.organisation):
            raise ValueError("a category rule needs categories and an organisation")
        if self.kind == "regional_road" and not (self.within_m and self.organisation):
            raise ValueError("a regional_road rule needs within_m and an organisation")
        return self


class RegionalRoads(_Frozen):
    """How regional roads are derived from a layer that names its road manager."""

    layer: str
    manager_field: str
    streets_field: str
    regional_manager: str
    match_within_m: float = 300


class Responsibility(_Frozen):
    """Geolocation roles and routing rules."""

    roles: dict[Literal["municipality", "district", "street", "region", "postcode"], str]
    street_search_m: float = 50
    boundary_margin_m: float = 10
    regional_roads: RegionalRoads
    rules: tuple[Rule, ...]
    outside_region: Texts
    municipality_organisations: dict[int, int]

    @model_validator(mode="after")
    def _complete(self) -> Responsibility:
        missing = set(ROLES) - set(self.roles)
        if missing:
            raise ValueError(f"roles lacks {sorted(missing)}")
        return self

    def rule(self, rule_id: str) -> Rule | None:
        """The rule of that id."""
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def regional_within_m(self) -> float:
        """The distance of the regional-road rule (0 when there is none)."""
        return max((r.within_m or 0 for r in self.rules if r.kind == "regional_road"),
                   default=0)

    def decide(self, *, category: int | None, regional_road_m: float | None,
               municipality_id: int | None, inside_region: bool) -> Decision:
        """Apply the rules in order; the first that applies decides."""
        if not inside_region:
            return Decision(None, "outside_region")
        for r in self.rules:
            if r.kind == "category" and category in r.categories:
                return Decision(r.organisation, r.id)
            if (r.kind == "regional_road" and regional_road_m is not None
                    and r.within_m is not None and regional_road_m <= r.within_m):
                return Decision(r.organisation, r.id)
            if r.kind == "municipality" and municipality_id is not None:
                org = self.municipality_organisations.get(int(municipality_id))
                if org is not None:
                    return Decision(org, r.id)
        return Decision(None, "no_rule")

    def check_layers(self, catalogue: Catalogue) -> None:
        """Every layer named here must be in the catalogue."""
        catalogue.layer(self.regional_roads.layer)
        for layer_id in self.roles.values():
            catalogue.layer(layer_id)


def load_responsibility(path: Path | str | None = None) -> Responsibility:
    """Read and validate the routing configuration; errors name the offending entry."""
    raw = read_config(Path(path) if path else DEFAULT_RESPONSIBILITY, "responsibility rules",
                      "STRATA_RESPONSIBILITY")
    return validated(Responsibility, raw, path or DEFAULT_RESPONSIBILITY)
