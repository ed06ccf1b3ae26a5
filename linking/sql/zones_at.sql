-- The zones of a boundary layer (the region, districts, municipalities) as they were at an
-- instant, or at their first version for an older instant: key, names, geometry (WKB, 31370),
-- and the date of the layer's edition in force then.
WITH at AS (
    SELECT read_at(%(at)s, (SELECT min(sys_from) FROM {table})) AS at
)
SELECT z.fid::text AS zone_id, z.name_fr, z.name_nl, ST_AsBinary(z.geom) AS wkb,
       (SELECT max(e.edition_date) FROM edition AS e
        WHERE e.layer_id = %(layer)s AND e.valid_from <= at.at) AS edition_date
FROM {table} AS z
CROSS JOIN at
WHERE alive_at(z.sys_from, z.sys_to, at.at)
ORDER BY z.fid;
