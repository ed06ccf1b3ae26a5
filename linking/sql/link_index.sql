-- The staged records' spatial index and statistics: the pieces find their records through it.
CREATE INDEX ON {input} USING gist (geom);
-- statement
ANALYZE {input};
