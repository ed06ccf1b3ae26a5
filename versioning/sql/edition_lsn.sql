-- Once an edition is committed: where the primary's WAL stands now (at or past the commit),
-- and a word to the services that route reads to standbys (services/replicas.py).
WITH recorded AS (
    UPDATE edition SET lsn = pg_current_wal_lsn() WHERE id = %(edition_id)s RETURNING id
)
SELECT pg_notify('strata_edition', current_schema()) FROM recorded;
