-- The indexes of a materialized view: its key, unique (REFRESH ... CONCURRENTLY needs it:
-- readers keep the old rows while the new ones are computed), and its geometry (bbox).
CREATE UNIQUE INDEX IF NOT EXISTS {key_index} ON {view} (id);
-- statement
CREATE INDEX IF NOT EXISTS {geom_index} ON {view} USING gist (geom);
