-- The store's core tables and its temporal rules. Every statement can run again safely.
-- (The tables of what relates records to the map are made by linking/sql/migrations.sql.)
CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;
-- statement
CREATE SCHEMA IF NOT EXISTS {schema};
-- statement
CREATE TABLE IF NOT EXISTS {schema}.schema_migration (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
-- statement
CREATE TABLE IF NOT EXISTS {schema}.layer (
    id text PRIMARY KEY,
    table_name text NOT NULL UNIQUE,
    key_name text NOT NULL,
    spec jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- statement
CREATE TABLE IF NOT EXISTS {schema}.edition (
    id bigserial PRIMARY KEY,
    layer_id text NOT NULL REFERENCES {schema}.layer (id),
    edition_date date NOT NULL,
    valid_from timestamptz NOT NULL,
    source_name text NOT NULL,
    source_file text NOT NULL,
    checksum text NOT NULL,
    n_features integer NOT NULL,
    n_added integer NOT NULL,
    n_modified integer NOT NULL,
    n_deleted integer NOT NULL,
    n_unchanged integer NOT NULL,
    n_repaired integer NOT NULL DEFAULT 0,
    imported_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (layer_id, edition_date)
);
-- statement
-- History is append-only: a version may only be closed (sys_to from infinity to an instant
-- after its start); nothing else of it changes, and nothing is deleted.
CREATE OR REPLACE FUNCTION {schema}.guard_history() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    closed timestamptz;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'history is append-only: versions cannot be deleted';
    END IF;
    closed := NEW.sys_to;
    NEW.sys_to := OLD.sys_to;  -- the row but its end must be the same row
    -- a generated column is made after this trigger (NULL in NEW until then): the kept
    -- GeoJSON, on a table that has it (a table made before it has not, until it is prepared)
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = TG_RELID AND attname = 'geojson_crs84'
               AND NOT attisdropped) THEN
        NEW.geojson_crs84 := OLD.geojson_crs84;
    END IF;
    IF OLD.sys_to <> 'infinity' OR closed = 'infinity' OR closed <= OLD.sys_from
       OR NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'history is append-only: only a current version can be closed';
    END IF;
    NEW.sys_to := closed;
    RETURN NEW;
END $$;
-- statement
-- One rule for every join of a record to the map (geolocation, links, views, addresses): a
-- layer is read as it was at the record's instant, or at its first version for older records.
CREATE OR REPLACE FUNCTION {schema}.read_at(at timestamptz, first timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT GREATEST(at, first) $$;
-- statement
-- A version alive at an instant: its lifespan is half-open, [sys_from, sys_to).
CREATE OR REPLACE FUNCTION {schema}.alive_at(sys_from timestamptz, sys_to timestamptz,
                                             at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT sys_from <= at AND sys_to > at $$;
-- statement
-- A lifespan's end as served: none while the version is current.
CREATE OR REPLACE FUNCTION {schema}.lifespan_end(sys_to timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT nullif(sys_to, 'infinity') $$;
-- statement
-- The city's wall-clock time of an instant (its day, its month), whatever the session's zone.
CREATE OR REPLACE FUNCTION {schema}.city_time(at timestamptz)
RETURNS timestamp LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT at AT TIME ZONE {city_tz} $$;
-- statement
-- The instant of a wall-clock time of the city.
CREATE OR REPLACE FUNCTION {schema}.city_instant(local timestamp)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT local AT TIME ZONE {city_tz} $$;
-- statement
-- Raster surfaces (derived estimates, e.g. yearly NO2 means interpolated from stations), one
-- row per surface, valid over [valid_from, valid_to); the file lives in the surfaces folder,
-- named by its checksum. Recorded in date order, never replaced (versioning/surfaces.py).
CREATE TABLE IF NOT EXISTS {schema}.surface (
    id bigserial PRIMARY KEY,
    collection text NOT NULL,
    valid_from timestamptz NOT NULL,
    valid_to timestamptz NOT NULL,
    period text NOT NULL,
    source_name text NOT NULL,
    method text NOT NULL,
    cv_rmse double precision NOT NULL,
    cv_mae double precision NOT NULL,
    n_points integer NOT NULL,
    cell_size_m double precision NOT NULL,
    epsg integer NOT NULL,
    bounds double precision[] NOT NULL,
    bands text[] NOT NULL,
    file_name text NOT NULL,
    checksum text NOT NULL,
    metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (collection, valid_from),
    CHECK (valid_to > valid_from)
);
-- statement
CREATE OR REPLACE FUNCTION {schema}.guard_surface() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'surfaces are append-only: a recorded surface is never changed or deleted';
END $$;
-- statement
CREATE OR REPLACE TRIGGER surface_append_only BEFORE UPDATE OR DELETE ON {schema}.surface
    FOR EACH ROW EXECUTE FUNCTION {schema}.guard_surface();
-- statement
-- Where the primary's WAL stood once an edition was committed: a standby that has replayed
-- that far holds the edition (services/replicas.py routes reads by it). NULL until recorded.
ALTER TABLE {schema}.edition ADD COLUMN IF NOT EXISTS lsn pg_lsn;
-- statement
-- 8: linking's views made again (the aggregates' geometry a geometry, not text): nothing to
-- change here, the store is prepared again when its version is below this one
INSERT INTO {schema}.schema_migration (version) VALUES (1), (2), (3), (4), (5), (6), (7), (8)
ON CONFLICT DO NOTHING;
