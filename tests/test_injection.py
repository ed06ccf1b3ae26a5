# SPDX-License-Identifier: EUPL-1.2
"""No value from outside becomes SQL text: the injection of issue 9 on every collection, and
a check of every ``.sql`` file (a ``{placeholder}`` in a comment is filled too)."""

from __future__ import annotations

import json
import re
from importlib import resources

import httpx
import pytest

from layers.catalogue import load_catalogue
from versioning.database import load_sql

CATALOGUE = load_catalogue()
LAYERS = sorted(CATALOGUE.layers)
# the payload that answered "features": [INJECTED] through a comment line of features_page.sql
PAYLOADS = [
    "\nSELECT $$INJECTED$$, 1::bigint, $$a$$ UNION ALL --",
    "x' OR '1'='1",
    "1; SELECT pg_sleep(5); --",
    "\n) AS v) AS ids JOIN pg_sleep(5) ON true --",
    "$$; SELECT current_user; --",
]
SQL_FILES = sorted((package, p.name.removesuffix(".sql")) for package in ("versioning", "linking")
                   for p in resources.files(package).joinpath("sql").iterdir()
                   if p.name.endswith(".sql"))


def test_both_kinds_of_key_are_covered():
    kinds = {CATALOGUE.layer(i).key.type for i in LAYERS}
    assert {"text", "integer"} <= kinds


@pytest.mark.parametrize(("package", "name"), SQL_FILES)
def test_no_placeholder_survives_in_a_comment(package, name):
    raw = resources.files(package).joinpath("sql", f"{name}.sql").read_text("utf-8")
    assert not re.search(r"^\s*--.*\{[a-z_]+\}", raw, re.MULTILINE), \
        f"{name}.sql: a {{placeholder}} in a comment"
    # and whatever a file says, the loader drops comment lines before formatting
    loaded = load_sql(name, package)
    assert all(line.strip() == "-- statement" for line in loaded.splitlines()
               if line.strip().startswith("--"))


@pytest.mark.parametrize("layer", LAYERS)
def test_injection_through_every_parameter(service, layer):
    spec = CATALOGUE.layer(layer)
    base = f"{service}/collections/{layer}"
    for payload in PAYLOADS:
        for params in ({"limit": 1, "after": payload}, {spec.key.name: payload},
                       {"filter": f"{spec.key.name}='{payload}'"},
                       {"datetime": payload}, {"bbox": payload}, {"sortby": payload},
                       {"properties": payload}):
            r = httpx.get(f"{base}/items", params=params, timeout=30)
            assert r.status_code in (200, 400), (params, r.status_code, r.text[:300])
            if r.status_code == 200:
                # links echo the parameters; the features are the layer's own, none made
                # by the payload (it answered "features": [INJECTED], or current_user)
                text = json.dumps(r.json()["features"])
                assert "INJECTED" not in text and "PostgreSQL" not in text, params
                assert all(f["type"] == "Feature" and "properties" in f
                           for f in r.json()["features"])
            else:
                assert set(r.json()) >= {"code", "description", "hint"}, r.text
        for path in (f"/items/{payload}", f"/items/{payload}/versions"):
            r = httpx.get(base + path.replace("\n", "%0A"), timeout=30)
            assert r.status_code in (400, 404), (path, r.status_code, r.text[:300])
            assert set(r.json()) >= {"code", "description", "hint"}, r.text
