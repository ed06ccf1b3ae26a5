-- One layer as it was at an instant (or every version alive in an interval), cut to one tile
-- and encoded by ST_AsMVT as one Mapbox Vector Tile layer.
-- The tile's area comes in storage CRS, so the GiST index answers the bounding-box test and no
-- geometry is reprojected before it is picked (that box is a little larger than the tile: a
-- feature in its corners is read, counted against the cap, and drawn nowhere). Picked
-- geometries are simplified in storage units, brought to Web Mercator (the projection itself,
-- or the affine map that matches it within two tile units inside this tile), then clipped and
-- quantised by ST_AsMVTGeom (extent 4096, buffer 64), or by the quick way of tile_quick.sql
-- for a small polygon wholly inside. A feature too small for the tile's grid (a street
-- shorter than a tile unit) stays in the tile as a point: nothing of the map of a date
-- vanishes at a zoom by being small. Features are encoded in key order, so a tile's bytes
-- depend on its content only. ST_AsMVT skips the rows whose geometry is NULL (outside the
-- tile): no filter on it, which would compute every geometry twice. One feature more than the
-- cap is read, in one pass: it is counted (the second column, the features read, tells
-- whether the cap was reached) and not drawn (its geometry is NULL). Lifespans are written
-- once per edition instant (every version starts and ends at one), not once per feature.
WITH picked AS (
    SELECT v.fid, v.sys_from, v.sys_to{attributes}, v.geom, row_number() OVER () AS n
    FROM {table} AS v
    WHERE v.geom && ST_MakeEnvelope(%(xmin)s, %(ymin)s, %(xmax)s, %(ymax)s, 31370)
      AND {alive}
    LIMIT %(cap)s + 1
),
bounds AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile
),
instants AS (
    SELECT DISTINCT e.valid_from AS at,
           to_char(e.valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS iso
    FROM edition AS e
    WHERE e.layer_id = ANY(%(layers)s)
),
shaped AS (
    SELECT {feature_id}p.fid AS {key}{properties},
           coalesce(f.iso, to_char(p.sys_from AT TIME ZONE 'UTC',
                                   'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS "beginLifespanVersion",
           coalesce(t.iso, to_char(lifespan_end(p.sys_to) AT TIME ZONE 'UTC',
                                   'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS "endLifespanVersion",
           CASE WHEN p.n <= %(cap)s
                THEN coalesce({quick}ST_AsMVTGeom({mercator}, b.tile, 4096, 64, true),
                              ST_AsMVTGeom(ST_PointOnSurface({mercator}), b.tile, 4096, 64,
                                           true))
           END AS geom
    FROM picked AS p
    CROSS JOIN bounds AS b
    LEFT JOIN instants AS f ON f.at = p.sys_from
    LEFT JOIN instants AS t ON t.at = p.sys_to
)
SELECT coalesce(ST_AsMVT(s, %(name)s, 4096, 'geom', %(id_name)s
                         ORDER BY s.{key}, s."beginLifespanVersion"), ''::bytea),
       count(*)
FROM shaped AS s;
