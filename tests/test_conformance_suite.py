# SPDX-License-Identifier: EUPL-1.2
"""The OGC API Features conformance suite (``ogctests`` from PyPI, Part 1 core), offline,
against the running service."""

from __future__ import annotations

import re
import subprocess

import httpx

from layers.catalogue import PROJECT_ROOT

SUITE = PROJECT_ROOT / ".strata" / "ogctests-venv" / "bin" / "python"


def test_ogctests_features_core_passes(service, loaded, permits):
    assert SUITE.exists(), "the suite's virtualenv is made by `make test` (.strata/ogctests-venv)"
    # the suite wants a feature in every collection: generated permits (fixture) and one
    # real report through Open311
    key = loaded.run("apikey", "create", "conformance").output.strip().splitlines()[-1]
    posted = httpx.post(f"{service}/open311/v2/requests.json", data={
        "api_key": key, "service_code": "1", "lat": "50.84675", "long": "4.35235"}, timeout=30)
    assert posted.status_code == 201, posted.text
    run = subprocess.run([str(SUITE), "-m", "ogctests", "features/core", "-i", service,
                          "-v", "True"],
                         capture_output=True, text=True, timeout=600, cwd="/tmp")
    tail = run.stdout[-3000:]
    assert run.returncode == 0, tail
    summary = [line for line in tail.splitlines() if " passed" in line][-1]
    failures = [line for line in run.stdout.splitlines() if line.startswith("E ")]
    assert re.search(r"\b29 passed\b", summary), summary + "\n" + "\n".join(failures[:20])
    assert "failed" not in summary and "error" not in summary and "skipped" not in summary
