-- What relates records to the map: reference tables, Open311 reports and API keys. Every
-- statement can run again safely; run after the store's own migrations.
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
-- Wrong Open311 API keys per client address, for the limit of failures a minute: in the
-- database, so that every instance of the service counts the same (rows older than the
-- window are deleted as new ones come). Unlogged: a crash may forget them, nothing more.
CREATE UNLOGGED TABLE IF NOT EXISTS {schema}.key_failure (
    address text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- statement
CREATE INDEX IF NOT EXISTS key_failure_address ON {schema}.key_failure (address, failed_at);
-- statement
CREATE INDEX IF NOT EXISTS key_failure_failed_at ON {schema}.key_failure (failed_at);
