# SPDX-License-Identifier: EUPL-1.2
"""The catalogue validates, refuses bad entries by name; errors have one shape."""

from __future__ import annotations

import pytest
import yaml

from geo import errors
from geo.crs import parse_crs
from layers.catalogue import DEFAULT_CATALOGUE, load_catalogue
from services.cli.common import ExitCode, exit_code


def test_catalogue_is_valid_and_complete(env):
    cat = load_catalogue()
    for credit in cat.attribution.values():  # each in the three languages (one text: all)
        assert all(credit.get(lang) for lang in ("fr", "nl", "en"))
    assert cat.attribution["irceline"].fr == cat.attribution["irceline"].nl
    # every key and attribute of every layer has its title in the three languages
    untitled = {(spec.id, name) for spec in cat.layers.values()
                for name in (spec.key.name, *spec.attributes) if name not in cat.attribute_titles}
    assert not untitled, f"add them to attribute_titles in config/layers.yml: {sorted(untitled)}"
    assert {"municipalities", "districts", "region", "streets", "air_quality_stations",
            "no2_points", "worksites", "road_events"} <= set(cat.layers)
    for spec in cat.layers.values():
        for lang in ("fr", "nl", "en"):
            assert spec.title.get(lang) and spec.description.get(lang)
        assert all(e.path().exists() for e in spec.editions)
    result = env.run("config", "validate")
    assert result.exit_code == 0 and "10 layers, 11 editions, valid" in result.output
    assert "pygeoapi configuration generated from it: valid" in result.output


@pytest.mark.parametrize("mutate,message", [
    (lambda c: c["layers"]["region"].update(geometry_type="Blob"), "geometry_type"),
    (lambda c: c["layers"]["region"]["sources"]["urbadm"]["fields"].update(nope="X"),
     "maps unknown attributes"),
    (lambda c: c["layers"]["streets"]["editions"].reverse(), "increasing date order"),
    (lambda c: c["layers"]["region"]["attributes"].update(sys_from="date"), "reserved"),
    (lambda c: c["attribution"].update(urbis={"fr": "Réalisé", "en": "Realized"}), "nl"),
    (lambda c: c["layers"]["region"].update(attribution="nobody"), "unknown attribution"),
])
def test_bad_catalogue_entries_are_named(tmp_path, mutate, message):
    raw = yaml.safe_load(DEFAULT_CATALOGUE.read_text())
    mutate(raw)
    path = tmp_path / "layers.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(errors.InvalidInput, match=message):
        load_catalogue(path)


def test_one_error_shape_and_exit_codes():
    cases = {errors.InvalidInput: ExitCode.INVALID_INPUT, errors.NotFound: ExitCode.NOT_FOUND,
             errors.Conflict: ExitCode.CONFLICT, errors.Unavailable: ExitCode.UNAVAILABLE}
    for cls, code in cases.items():
        err = cls("what went wrong", hint="how to fix it")
        assert set(err.as_dict()) == {"code", "description", "hint"}
        assert exit_code(err) == code
    assert exit_code(errors.StrataError("x")) == ExitCode.FAILURE


def test_crs_parsing():
    assert parse_crs("EPSG:31370").epsg == 31370
    assert parse_crs("http://www.opengis.net/def/crs/EPSG/0/3812").epsg == 3812
    assert parse_crs("urn:ogc:def:crs:OGC:1.3:CRS84").lon_lat
    with pytest.raises(errors.InvalidInput, match="EPSG:4258"):
        parse_crs("EPSG:2154")


def test_generated_pygeoapi_config_is_checked_against_pygeoapi_schema(tmp_path):
    from services import pygeoapi_config
    from services.settings import ServiceSettings

    config = pygeoapi_config.build(load_catalogue(), ServiceSettings(), {}, {},
                                   tmp_path / "records.json")
    pygeoapi_config.validate(config)
    config["resources"]["municipalities"]["type"] = "nonsense"
    with pytest.raises(Exception, match="nonsense"):
        pygeoapi_config.validate(config)
