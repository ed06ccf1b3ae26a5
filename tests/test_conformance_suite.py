# SPDX-License-Identifier: EUPL-1.2
"""The OGC API Features conformance suite (``ogctests`` from PyPI, Part 1 core), offline,
against the running service."""

from __future__ import annotations

import re
import subprocess

from layers.catalogue import PROJECT_ROOT

SUITE = PROJECT_ROOT / ".strata" / "ogctests-venv" / "bin" / "python"


def test_ogctests_features_core_passes(service):
    assert SUITE.exists(), "the suite's virtualenv is made by `make test` (.strata/ogctests-venv)"
    run = subprocess.run([str(SUITE), "-m", "ogctests", "features/core", "-i", service],
                         capture_output=True, text=True, timeout=600, cwd="/tmp")
    tail = run.stdout[-3000:]
    assert run.returncode == 0, tail
    summary = [line for line in tail.splitlines() if " passed" in line][-1]
    assert re.search(r"\b29 passed\b", summary), summary
    assert "failed" not in summary and "error" not in summary and "skipped" not in summary
