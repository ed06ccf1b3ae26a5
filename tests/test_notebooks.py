# SPDX-License-Identifier: EUPL-1.2
"""The analysts' notebooks (notebooks/*.py, jupytext percent format, stored without outputs)
executed headless against the test service, in a kernel of this Python (nbclient); any
error, their own asserts included, fails the test. Each notebook's time is printed and kept
in .strata/test-artifacts/notebooks.txt."""

from __future__ import annotations

import os
import time
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from layers.catalogue import PROJECT_ROOT, SHIPPED_DATA

NOTEBOOKS = PROJECT_ROOT / "notebooks"
STORIES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
ARTIFACTS = PROJECT_ROOT / ".strata" / "test-artifacts"
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def notebook_env(loaded, service):
    """What a notebook needs: the service's URL, an Open311 key, the store's settings (for
    `strata link`), the source files."""
    result = loaded.run("apikey", "create", f"notebooks-{time.time_ns()}")
    assert result.exit_code == 0, result.output
    env = {**os.environ, **loaded.environ, "STRATA_URL": service,
           "STRATA_API_KEY": result.output.strip().splitlines()[-1],
           "STRATA_DATA": str(SHIPPED_DATA), "MPLBACKEND": "module://matplotlib_inline."
                                                           "backend_inline"}
    yield env
    if TIMES:
        lines = [f"{name}: {seconds:.1f} s" for name, seconds in TIMES.items()]
        lines.append(f"together: {sum(TIMES.values()):.1f} s ({len(TIMES)} notebooks)")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "notebooks.txt").write_text("\n".join(lines) + "\n")
        print("\n" + "\n".join(lines))


def test_the_five_stories_are_there_without_outputs():
    assert [p.name[:2] for p in STORIES] == ["01", "02", "03", "04", "05"]
    for path in STORIES:
        nb = jupytext.read(path)
        assert nb.metadata["kernelspec"]["name"] == "python3", path
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert any(c.cell_type == "markdown" for c in nb.cells)
        assert "assert " in path.read_text(), f"{path.name} checks nothing"
    assert not list(NOTEBOOKS.glob("*.ipynb")), "keep the notebooks as jupytext .py files"


@pytest.mark.parametrize("path", STORIES, ids=[p.stem for p in STORIES])
def test_notebook_runs_against_the_service(path: Path, notebook_env):
    nb = jupytext.read(path)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    try:
        client.execute(env=notebook_env)
    except CellExecutionError as err:
        pytest.fail(f"{path.name}: {err}", pytrace=False)
    TIMES[path.stem] = time.perf_counter() - start
    print(f"{path.name}: {TIMES[path.stem]:.1f} s")
    figures = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if "image/png" in o.get("data", {}))
    assert figures >= 1, f"{path.name} drew no figure"
