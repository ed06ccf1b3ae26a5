# SPDX-License-Identifier: EUPL-1.2
"""Store a reference table: replaced whole, in one transaction."""

from __future__ import annotations

import pandas as pd
import psycopg
from psycopg import sql


def replace_reference(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> int:
    """Replace the rows of ``table`` with ``frame`` (columns named as the table's)."""
    names = sql.SQL(", ").join(map(sql.Identifier, frame.columns))
    with conn.transaction():
        conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
        with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table), names)) as copy:
            for row in frame.itertuples(index=False):
                copy.write_row(row)
    return len(frame)
