-- The records to link: an id, the record's own instant, its geometry in EPSG:31370.
CREATE TEMP TABLE {input} (
    rid bigint NOT NULL,
    at timestamptz NOT NULL,
    geom geometry(Geometry, 31370) NOT NULL
) ON COMMIT DROP;
