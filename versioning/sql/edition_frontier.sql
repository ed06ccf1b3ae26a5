-- The editions' instants and WAL positions (bytes from 0/0), for routing reads to standbys.
-- An edition whose position is not recorded yet counts as the WAL's position now.
SELECT valid_from,
       (coalesce(lsn, pg_current_wal_lsn()) - '0/0'::pg_lsn)::bigint AS position
FROM edition
ORDER BY valid_from;
