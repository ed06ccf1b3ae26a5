-- Every version of a target layer cut into small pieces (few vertices each): point-in-polygon
-- and distance tests then touch a few dozen vertices instead of a whole commune.
CREATE TEMP TABLE {pieces} AS
SELECT v.fid, v.sys_from, v.sys_to, {labels}, ST_Subdivide(v.geom, {max_vertices}) AS geom
FROM {table} AS v
WHERE v.geom IS NOT NULL;
-- statement
CREATE INDEX ON {pieces} USING gist (geom);
-- statement
ANALYZE {pieces};
