-- A standby's state: whether it is one (in recovery), and how far it has replayed the
-- primary's WAL (bytes from 0/0; NULL before its first replay).
SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint;
