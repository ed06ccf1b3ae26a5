-- The net changes of one layer in the window (t1, t2] that show in one tile, encoded by
-- ST_AsMVT as one Mapbox Vector Tile layer.
-- touched: the features whose version alive at t1 (retired inside the window) or at t2
-- (created inside it) lies in the tile's area, found under the GiST index. Their net changes
-- come from changes.sql itself, run over every version of those features only: the action of
-- a feature is the one /changes gives. Each change is drawn with its new geometry (the old one
-- for a deletion), simplified, brought to Web Mercator, clipped and quantised as tile.sql does.
WITH touched AS MATERIALIZED (
    SELECT v.fid FROM {table} AS v
    WHERE v.geom && ST_MakeEnvelope(%(xmin)s, %(ymin)s, %(xmax)s, %(ymax)s, 31370)
      AND v.sys_to > %(t1)s AND v.sys_to <= %(t2)s AND v.sys_from <= %(t1)s
    UNION
    SELECT v.fid FROM {table} AS v
    WHERE v.geom && ST_MakeEnvelope(%(xmin)s, %(ymin)s, %(xmax)s, %(ymax)s, 31370)
      AND v.sys_from > %(t1)s AND v.sys_from <= %(t2)s AND v.sys_to > %(t2)s
),
changed AS (
    {changes}
),
picked AS (
    SELECT c.*, ST_GeomFromWKB(coalesce(c.new_geom, c.old_geom), 31370) AS shape
    FROM changed AS c
    LIMIT %(cap)s + 1
),
bounds AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile
),
shaped AS (
    SELECT {feature_id}p.fid AS {key}, p.action, p.geometry_changed{properties},
           to_char(p.old_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
               AS "old_begin_lifespan",
           to_char(p.new_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
               AS "new_begin_lifespan",
           coalesce({quick}ST_AsMVTGeom({mercator}, b.tile, 4096, 64, true),
                    ST_AsMVTGeom(ST_PointOnSurface({mercator}), b.tile, 4096, 64, true))
               AS geom
    FROM (SELECT * FROM picked LIMIT %(cap)s) AS p, bounds AS b
)
SELECT coalesce((SELECT ST_AsMVT(s, %(name)s, 4096, 'geom', %(id_name)s ORDER BY s.{key})
                 FROM shaped AS s), ''::bytea),
       (SELECT count(*) FROM picked);
