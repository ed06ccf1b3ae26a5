# SPDX-License-Identifier: EUPL-1.2
"""A real PostGIS for the session (the project-local cluster, or STRATA_DATABASE_URL),
a fresh schema per test, the real Brussels editions loaded once."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result

from layers.catalogue import PROJECT_ROOT, load_catalogue
from layers.catalogue import SHIPPED_DATA as DATA  # noqa: E402,F401
from services.cli.main import cli
from services.localdb import LocalCluster, cluster_root
from services.settings import StoreSettings
from services.store import Store


@pytest.fixture(scope="session", autouse=True)
def english_command_line() -> Iterator[None]:
    """The command line in English whatever the machine's locale, in this process and the
    commands it starts (tests read its words; tests/test_error_text.py asks for fr and nl
    itself)."""
    before = os.environ.get("STRATA_LANG")
    os.environ["STRATA_LANG"] = "en"
    yield
    if before is None:
        os.environ.pop("STRATA_LANG", None)
    else:
        os.environ["STRATA_LANG"] = before


@pytest.fixture(scope="session")
def database_url() -> str:
    """The session's PostGIS: a real server, never a stand-in."""
    url = os.environ.get("STRATA_DATABASE_URL") or LocalCluster(cluster_root(PROJECT_ROOT)).up()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return url


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


def _drop(url: str, schema: str) -> None:
    """The test schema and what lives beside it (the raster surfaces' files, the service's
    folder: its configuration, downloads and tiles)."""
    import shutil

    from services.surface_files import surfaces_root

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    settings = StoreSettings(database_url=url, schema_name=schema)
    shutil.rmtree(surfaces_root(settings), ignore_errors=True)
    shutil.rmtree(settings.project_root / ".strata" / "pygeoapi" / schema, ignore_errors=True)


class Env:
    """A store in its own schema, with a CLI runner bound to it."""

    def __init__(self, url: str, schema: str, catalogue_path: Path | None = None) -> None:
        self.url = url
        self.schema = schema
        self.catalogue_path = catalogue_path
        self.load_output = ""  # what `strata load` said, when the fixture loaded it
        settings = {"database_url": url, "schema_name": schema}
        if catalogue_path:
            settings["catalogue"] = catalogue_path
        self.store = Store(StoreSettings(**settings))

    @property
    def environ(self) -> dict[str, str]:
        # the command line in English whatever the machine's locale (tests read its words;
        # tests/test_error_text.py asks for fr and nl itself)
        env = {"STRATA_DATABASE_URL": self.url, "STRATA_SCHEMA_NAME": self.schema,
               "STRATA_LANG": "en"}
        if self.catalogue_path:
            env["STRATA_CATALOGUE"] = str(self.catalogue_path)
        return env

    def run(self, *args: str) -> Result:
        """Run the strata CLI in-process against this schema."""
        return CliRunner().invoke(cli, list(args), env=self.environ, catch_exceptions=False)

    def versions(self, table: str | None = None) -> int:
        """Every version row of every layer, plus editions: the store's full content."""
        with self.store.connect() as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM layer WHERE %s::text IS NULL OR table_name = %s",
                (table, table))]
            total = conn.execute("SELECT count(*) FROM edition").fetchone()[0]
            for t in tables:
                if conn.execute("SELECT to_regclass(%s)", (t,)).fetchone()[0]:
                    total += conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            return int(total)


@pytest.fixture
def env(database_url: str) -> Iterator[Env]:
    """A fresh, empty store (own schema), dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    yield Env(database_url, schema)
    _drop(database_url, schema)


@pytest.fixture
def env_factory(database_url: str):
    """Fresh stores with a catalogue of the test's own (a path to a layers.yml)."""
    made: list[str] = []

    def make(catalogue_path: Path | None = None) -> Env:
        schema = f"t_{uuid.uuid4().hex[:10]}"
        made.append(schema)
        return Env(database_url, schema, catalogue_path)

    yield make
    for schema in made:
        _drop(database_url, schema)


@pytest.fixture(scope="session")
def loaded(database_url: str) -> Iterator[Env]:
    """A store with every real Brussels edition loaded once, by `strata load`."""
    schema = f"s_{uuid.uuid4().hex[:10]}"
    e = Env(database_url, schema)
    result = e.run("load")
    assert result.exit_code == 0, result.output
    e.load_output = result.output  # what `strata load` said (tests/test_error_text.py)
    yield e
    _drop(database_url, schema)


@pytest.fixture(scope="session")
def service(loaded: Env) -> Iterator[str]:
    """The real service (uvicorn + pygeoapi + Strata's routes) over the loaded store."""
    from strata_helpers import serve

    with serve(loaded.environ) as base:
        yield base


@pytest.fixture(scope="session")
def permits(loaded: Env, tmp_path_factory: pytest.TempPathFactory):
    """400 permits GENERATED in the shape of NOVA's WFS (tests/nova_permits.py), imported
    into the loaded store as the edition of 2026-11-01; the frame as generated."""
    from nova_permits import generate, write_wfs_geojson

    frame = generate(400)
    path = write_wfs_geojson(frame, tmp_path_factory.mktemp("nova") / "permits.geojson")
    result = loaded.run("import", "permits", str(path), "--date", "2026-11-01")
    assert result.exit_code == 0, result.output
    return frame
