-- Regional roads, derived from a layer that names its road manager (OSIRIS worksites):
-- a street name (with the commune OSIRIS gives) is regional when at least one current record
-- managed by the region alone names it, and no more records managed by communes alone do.
-- `evidence` collects the regional records' points: only street ways near them count.
DROP MATERIALIZED VIEW IF EXISTS {view};
-- statement
CREATE MATERIALIZED VIEW {view} AS
WITH named AS (
    SELECT w.{manager} AS manager, w.geom, btrim(m[1]) AS street, btrim(m[2]) AS commune
    FROM {source} AS w
    CROSS JOIN LATERAL regexp_split_to_table(w.{streets}, ',\s*\n') AS part
    CROSS JOIN LATERAL regexp_match(btrim(part), '^(.+?)\s*\(([^()]+)\)$') AS m
    WHERE w.sys_to = 'infinity' AND m IS NOT NULL
)
SELECT lower(street) AS street_key, min(street) AS name_fr, commune,
       count(*) FILTER (WHERE manager = {regional}) AS n_regional,
       count(*) FILTER (WHERE strpos(manager, {regional}) = 0) AS n_communal,
       ST_Multi(ST_Collect(geom) FILTER (WHERE manager = {regional}))::geometry(MultiPoint, 31370)
           AS evidence
FROM named
GROUP BY lower(street), commune
HAVING count(*) FILTER (WHERE manager = {regional}) > 0
   AND count(*) FILTER (WHERE manager = {regional})
       >= count(*) FILTER (WHERE strpos(manager, {regional}) = 0);
-- statement
CREATE INDEX ON {view} (street_key);
-- statement
CREATE INDEX ON {view} USING gist (evidence);
