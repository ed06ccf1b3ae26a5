# SPDX-License-Identifier: EUPL-1.2
"""The layer catalogue: ``config/layers.yml`` validated into immutable :class:`LayerSpec` s.

Examples
--------
>>> cat = load_catalogue()
>>> cat.layer("municipalities").key.name
'municipality_id'
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geo.city import LANGS
from geo.clean import GEOMETRY_TYPES
from geo.errors import InvalidInput, NotFound

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOGUE = PROJECT_ROOT / "config" / "layers.yml"
SHIPPED_DATA = PROJECT_ROOT / "data" / "brussels"

AttrType = Literal["text", "integer", "double", "boolean", "date", "timestamp", "json"]
# vector tiles: the levels of WebMercatorQuad (0..24); a layer's range by default
MAX_ZOOM = 24
DEFAULT_MINZOOM, DEFAULT_MAXZOOM = 0, 18
_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Texts(_Frozen):
    """A human text in the three languages of the service."""

    fr: str
    nl: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang``, English when the language is not one of ours."""
        return str(getattr(self, lang if lang in LANGS else "en"))


class KeySpec(_Frozen):
    """The feature key: a stable identity across editions."""

    name: str
    type: Literal["integer", "text"] = "text"


class FieldRule(_Frozen):
    """How one attribute is read from a source field."""

    source: str = Field(alias="from")
    parse: Literal["dmy", "dmy_slash", "bilingual_fr", "bilingual_nl"] | None = None
    nodata: float | int | str | None = None


class SourceSpec(_Frozen):
    """How a file of one origin maps onto the layer."""

    layer: str | None = None
    crs: int | None = None
    key: str
    key_transform: Literal["floor_hundred"] | None = None
    dissolve: bool = False
    join: tuple[str, ...] = ()
    fields: dict[str, FieldRule]

    @field_validator("fields", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"from": v} if isinstance(v, str) else v for k, v in value.items()}
        return value


class EditionSpec(_Frozen):
    """A real, dated edition of a layer that ships with the project."""

    date: dt.date
    source: str
    file: str

    def path(self, root: Path = PROJECT_ROOT) -> Path:
        """The edition's file, relative paths taken from the project root."""
        p = Path(self.file)
        return p if p.is_absolute() else root / p


class LayerSpec(_Frozen):
    """One layer of the catalogue (immutable)."""

    id: str
    title: Texts
    description: Texts
    inspire_theme: str | None = None
    geometry_type: str
    attribution: str | None = None
    key: KeySpec
    attributes: dict[str, AttrType]
    sources: dict[str, SourceSpec]
    editions: tuple[EditionSpec, ...] = ()
    # a derived layer is a view over the versions of other layers (never imported)
    derived_from: tuple[str, ...] = ()
    # the zoom levels (WebMercatorQuad tile matrices, 0..24) its vector tiles are made for
    minzoom: int = Field(DEFAULT_MINZOOM, ge=0, le=MAX_ZOOM)
    maxzoom: int = Field(DEFAULT_MAXZOOM, ge=0, le=MAX_ZOOM)

    @field_validator("geometry_type")
    @classmethod
    def _geometry_type(cls, value: str) -> str:
        if value not in GEOMETRY_TYPES:
            raise ValueError(f"must be one of {', '.join(GEOMETRY_TYPES)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LayerSpec:
        for name in (self.id, self.key.name, *self.attributes):
            if not _IDENT.match(name):
                raise ValueError(f"{name!r} is not a valid name (lowercase, digits, _)")
        reserved = {"fid", "geom", "sys_from", "sys_to", "content_hash", "edition_id"}
        clash = reserved & set(self.attributes)
        if clash:
            raise ValueError(f"attribute names {sorted(clash)} are reserved")
        for sname, source in self.sources.items():
            unknown = set(source.fields) - set(self.attributes)
            if unknown:
                raise ValueError(f"source {sname!r} maps unknown attributes {sorted(unknown)}")
            bad_join = set(source.join) - set(source.fields)
            if bad_join:
                raise ValueError(f"source {sname!r} joins unmapped attributes {sorted(bad_join)}")
        dates = [e.date for e in self.editions]
        if dates != sorted(set(dates)):
            raise ValueError("editions must be listed in strictly increasing date order")
        for e in self.editions:
            if e.source not in self.sources:
                raise ValueError(f"edition {e.date} names unknown source {e.source!r}")
        if self.minzoom > self.maxzoom:
            raise ValueError(f"minzoom {self.minzoom} is above maxzoom {self.maxzoom}")
        return self

    @property
    def edition_layers(self) -> tuple[str, ...]:
        """The layers whose editions make this one's (itself, or what it derives from)."""
        return self.derived_from or (self.id,)

    @property
    def table(self) -> str:
        """The name of the layer's versioned table."""
        return f"layer_{self.id}"

    def source(self, name: str | None = None) -> SourceSpec:
        """A source mapping by name; the first one declared when ``name`` is None."""
        if self.derived_from:
            raise InvalidInput(f"layer {self.id!r} is derived from "
                               f"{', '.join(self.derived_from)} and cannot be imported",
                               hint=f"import into {', '.join(self.derived_from)} instead")
        if name is None:
            # the newest edition's source is the best guess for a new file
            name = self.editions[-1].source if self.editions else next(iter(self.sources))
        try:
            return self.sources[name]
        except KeyError:
            raise InvalidInput(
                f"layer {self.id!r} has no source {name!r}",
                hint=f"use one of: {', '.join(self.sources)}") from None


class Catalogue(_Frozen):
    """All layers, by id, plus attributions (each in fr / nl / en; one text alone is taken
    for the three)."""

    attribution: dict[str, Texts] = {}
    # the title of an attribute or key name, the same in every layer that has it
    attribute_titles: dict[str, Texts] = {}
    layers: dict[str, LayerSpec]
    references: dict[str, str] = {}

    @field_validator("attribution", mode="before")
    @classmethod
    def _one_text_for_all(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {lang: v for lang in LANGS} if isinstance(v, str) else v
                    for k, v in value.items()}
        return value

    def attribute_title(self, name: str, lang: str) -> str:
        """The title of an attribute (or key) in ``lang``; its name when it has none."""
        title = self.attribute_titles.get(name)
        return title.get(lang) if title else name

    def reference_path(self, name: str, root: Path = PROJECT_ROOT) -> Path:
        """The file of a reference table, relative paths taken from the project root."""
        p = Path(self.references[name])
        return p if p.is_absolute() else root / p

    def layer(self, layer_id: str) -> LayerSpec:
        """The spec of ``layer_id``, or a :class:`NotFound` listing the known layers."""
        try:
            return self.layers[layer_id]
        except KeyError:
            raise NotFound(f"unknown layer {layer_id!r}",
                           hint=f"known layers: {', '.join(self.layers)}") from None


def read_config(path: Path, what: str, env: str | None = None) -> Any:
    """The parsed YAML of a configuration file, or an error naming the file and the fix
    (``env``: the setting that can name another file; None for a file of the project's)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"{what} {path} not found",
                       hint=f"set {env} to its path" if env else
                       "restore it from the project's repository") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path} is not valid YAML: {exc}",
                           hint="fix the line the message names") from None


def validated[M: BaseModel](model: type[M], raw: Any, path: Path | str) -> M:
    """``raw`` validated as ``model``; the error lists every offending entry."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"{path} is not valid: {problems}",
                           hint="fix each entry named; `strata config validate` checks again"
                           ) from None


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Read and validate the catalogue; errors name the offending entry."""
    path = Path(path) if path else DEFAULT_CATALOGUE
    raw = read_config(path, "layer catalogue", "STRATA_CATALOGUE")
    if not isinstance(raw, dict) or not isinstance(raw.get("layers"), dict):
        raise InvalidInput(f"{path} has no 'layers' mapping",
                           hint="start the file with `layers:` and one entry per layer")
    cat = validated(Catalogue, {
        "attribution": raw.get("attribution") or {},
        "attribute_titles": raw.get("attribute_titles") or {},
        "layers": {k: {**(v or {}), "id": k} for k, v in raw["layers"].items()},
        "references": raw.get("references") or {}}, path)
    for spec in cat.layers.values():
        unknown = set(spec.derived_from) - set(cat.layers)
        if unknown:
            raise InvalidInput(f"{path}: layer {spec.id!r} derives from unknown layers "
                               f"{sorted(unknown)}", hint="derive from layers of this catalogue")
        if spec.attribution and spec.attribution not in cat.attribution:
            raise InvalidInput(f"{path}: layer {spec.id!r} names unknown attribution "
                               f"{spec.attribution!r}",
                               hint="name one of the catalogue's attribution entries")
    return cat
