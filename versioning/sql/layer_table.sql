-- One versioned table per layer: every version of every feature, half-open [sys_from, sys_to).
CREATE TABLE IF NOT EXISTS {table} (
    vid bigserial PRIMARY KEY,
    fid {key_type} NOT NULL,
    sys_from timestamptz NOT NULL,
    sys_to timestamptz NOT NULL DEFAULT 'infinity',
    edition_id bigint NOT NULL CONSTRAINT {fk_edition} REFERENCES edition (id),
    content_hash bytea NOT NULL,
    geom geometry({geometry_type}, 31370),
    CHECK (sys_from < sys_to)
);
-- statement
-- The geometry as GeoJSON in CRS84, the OGC API's default: a page of features reads it
-- instead of projecting and writing every geometry again (a third of a page's time). The
-- expression is the one the API's GeoJSON is made by (versioning/reading.py), so the text is
-- the same; generated, it cannot differ from the geometry. Added to a table made before it
-- (the table is written again once).
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS geojson_crs84 text
    GENERATED ALWAYS AS ({crs84_geojson}) STORED;
-- statement
-- covering: paging by key at an instant (deep offsets included) reads the index alone
CREATE UNIQUE INDEX IF NOT EXISTS {ix_fid_from} ON {table} (fid, sys_from) INCLUDE (sys_to, vid);
-- statement
CREATE UNIQUE INDEX IF NOT EXISTS {ix_current} ON {table} (fid) WHERE sys_to = 'infinity';
-- statement
CREATE INDEX IF NOT EXISTS {ix_from} ON {table} (sys_from);
-- statement
CREATE INDEX IF NOT EXISTS {ix_to} ON {table} (sys_to);
-- statement
CREATE INDEX IF NOT EXISTS {ix_geom} ON {table} USING gist (geom);
-- statement
CREATE INDEX IF NOT EXISTS {ix_geom_current} ON {table} USING gist (geom) WHERE sys_to = 'infinity';
-- statement
CREATE OR REPLACE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION guard_history();
