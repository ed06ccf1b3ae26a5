-- The service's roles, each with what it needs and no more (their passwords are set by
-- versioning/roles.py): the reader reads the layers and the public views, never a report's
-- contact nor an API key, and creates nothing; the reporter also inserts reports (the one
-- thing the service writes) and checks API keys; the linker reads like the reader and keeps
-- the link's working tables in temporary tables of its session.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_reader') THEN
        CREATE ROLE strata_reader LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_reporter') THEN
        CREATE ROLE strata_reporter LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_linker') THEN
        CREATE ROLE strata_linker LOGIN;
    END IF;
END $$;
-- statement
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- statement
REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC;
-- statement
GRANT TEMPORARY ON DATABASE {database} TO strata_linker;
-- statement
GRANT USAGE ON SCHEMA {schema} TO strata_reader, strata_reporter, strata_linker;
-- statement
GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO strata_reader, strata_reporter, strata_linker;
-- statement
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema}
    GRANT SELECT ON TABLES TO strata_reader, strata_reporter, strata_linker;
-- statement
REVOKE ALL ON {schema}.incident, {schema}.api_key, {schema}.key_failure
    FROM strata_reader, strata_reporter, strata_linker;
-- statement
GRANT SELECT, INSERT, DELETE ON {schema}.key_failure TO strata_reporter;
-- statement
GRANT INSERT, SELECT (id) ON {schema}.incident TO strata_reporter;
-- statement
GRANT SELECT (name, key_sha256) ON {schema}.api_key TO strata_reporter;
-- statement
GRANT USAGE ON SEQUENCE {schema}.incident_id_seq TO strata_reporter;
