-- The store's core tables. Every statement can run again safely.
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
-- Reference tables (not versioned): Fix My Street categories and organisations,
-- IRCEL-CELINE yearly NO2 means per station.
CREATE TABLE IF NOT EXISTS {schema}.fms_category (
    category_id integer NOT NULL,
    family_fr text, family_nl text, family_en text,
    type_fr text, type_nl text, type_en text,
    subtype_fr text, subtype_nl text, subtype_en text,
    place_fr text,
    PRIMARY KEY (category_id)
);
-- statement
CREATE TABLE IF NOT EXISTS {schema}.fms_organisation (
    organisation_id integer PRIMARY KEY,
    name_fr text NOT NULL,
    name_nl text NOT NULL,
    kind text NOT NULL
);
-- statement
CREATE TABLE IF NOT EXISTS {schema}.no2_annual_mean (
    station text NOT NULL,
    year integer NOT NULL,
    no2_ug_m3 double precision,
    n_hours integer,
    PRIMARY KEY (station, year)
);
-- statement
-- Open311 reports (operational data, not versioned). Public columns are served through the
-- view incident_public; the reporter's contact never leaves this table.
CREATE TABLE IF NOT EXISTS {schema}.incident (
    id bigserial PRIMARY KEY,
    service_code integer NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    description text,
    address_string text,
    media_url text,
    requested_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    geom geometry(Point, 31370) NOT NULL,
    municipality_id bigint,
    municipality_fr text,
    municipality_nl text,
    district_id text,
    street_id bigint,
    street_fr text,
    street_nl text,
    postcode text,
    organisation_id integer,
    rule text,
    email text,
    first_name text,
    last_name text,
    phone text,
    device_id text,
    account_id text,
    api_key_name text NOT NULL
);
-- statement
CREATE INDEX IF NOT EXISTS incident_requested_at ON {schema}.incident (requested_at);
-- statement
CREATE INDEX IF NOT EXISTS incident_geom ON {schema}.incident USING gist (geom);
-- statement
-- API keys of the Open311 clients: only a SHA-256 of each key is kept.
CREATE TABLE IF NOT EXISTS {schema}.api_key (
    name text PRIMARY KEY,
    key_sha256 text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- statement
INSERT INTO {schema}.schema_migration (version) VALUES (1), (2), (3), (4) ON CONFLICT DO NOTHING;
