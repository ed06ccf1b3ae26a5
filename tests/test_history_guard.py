# SPDX-License-Identifier: EUPL-1.2
"""History is append-only, as the README says: the trigger lets a current version be closed
and refuses every other change of a version, and every deletion."""

from __future__ import annotations

import psycopg
import pytest

from layers.catalogue import SHIPPED_DATA as DATA

REFUSED = [
    "UPDATE layer_municipalities SET name_fr = 'Ailleurs' WHERE fid = 7400",
    "UPDATE layer_municipalities SET geom = ST_Translate(geom, 10, 0) WHERE fid = 7400",
    "UPDATE layer_municipalities SET sys_from = sys_from - interval '1 day' WHERE fid = 7400",
    "UPDATE layer_municipalities SET fid = 99 WHERE fid = 7400",
    "UPDATE layer_municipalities SET sys_to = sys_from WHERE fid = 7400",
    "UPDATE layer_municipalities SET sys_to = now(), name_nl = 'x' WHERE fid = 7400",
    "DELETE FROM layer_municipalities WHERE fid = 7400",
    "DELETE FROM layer_municipalities",
]


@pytest.fixture(scope="module")
def store(database_url):
    import uuid

    from conftest import Env, _drop

    env = Env(database_url, f"t_{uuid.uuid4().hex[:10]}")
    path = DATA / "municipalities/urbadm_municipality_2021.gpkg"
    result = env.run("import", "municipalities", str(path), "--date", "2021-02-05")
    assert result.exit_code == 0, result.output
    yield env
    _drop(database_url, env.schema)


@pytest.mark.parametrize("statement", REFUSED)
def test_a_version_cannot_be_changed_nor_deleted(store, statement):
    with store.store.connect() as conn:
        assert conn.execute("SELECT count(*) FROM layer_municipalities WHERE fid = 7400"
                            ).fetchone() == (1,)
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute(statement)


def test_a_current_version_can_be_closed_once(store):
    with store.store.connect() as conn, conn.transaction(force_rollback=True):
        conn.execute("UPDATE layer_municipalities SET sys_to = now() WHERE fid = 7400")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE layer_municipalities SET sys_to = now() + interval '1 day' "
                         "WHERE fid = 7400")
