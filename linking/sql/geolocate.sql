-- Where a point is, on the map of an instant: each layer is read at the instant, or at its
-- first edition when the instant precedes it (`*_edition` says which edition answered;
-- `first_editions` names those layers, "layer date").
WITH t AS (
    SELECT l.layer_id, l.at,
           (SELECT max(e.edition_date) FROM edition AS e
            WHERE e.layer_id = l.layer_id AND e.valid_from <= l.at) AS edition
    FROM (SELECT layer_id, read_at(%(at)s::timestamptz, min(valid_from)) AS at
          FROM edition WHERE layer_id = ANY(%(layers)s) GROUP BY layer_id) AS l
), q AS (
    SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), %(epsg)s), 31370) AS geom,
           -- the point as given, in longitude / latitude (not through Lambert 72, whose
           -- plane is no measure far from Belgium: longitude 180 came back as -20.6)
           ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), %(epsg)s), 4326) AS lonlat,
           tm.at AS tm, tm.edition AS tm_edition, td.at AS td, td.edition AS td_edition,
           ts.at AS ts, ts.edition AS ts_edition, tr.at AS tr, tp.at AS tp
    FROM (SELECT 1) AS one
    LEFT JOIN t AS tm ON tm.layer_id = %(municipality_layer)s
    LEFT JOIN t AS td ON td.layer_id = %(district_layer)s
    LEFT JOIN t AS ts ON ts.layer_id = %(street_layer)s
    LEFT JOIN t AS tr ON tr.layer_id = %(region_layer)s
    LEFT JOIN t AS tp ON tp.layer_id = %(postcode_layer)s
)
SELECT ST_X(q.geom) AS x, ST_Y(q.geom) AS y,
       ARRAY(SELECT t.layer_id || ' ' || t.edition FROM t WHERE t.at > %(at)s::timestamptz
             ORDER BY t.layer_id) AS first_editions,
       ST_X(q.lonlat) AS lon, ST_Y(q.lonlat) AS lat,
       coalesce(r.inside, false) AS inside, r.distance_m AS region_distance_m,
       r.boundary_m AS region_boundary_m,
       m.fid AS municipality_id, m.name_fr AS municipality_fr, m.name_nl AS municipality_nl,
       m.nat_code, q.tm_edition AS municipality_edition, m.boundary_m AS municipality_boundary_m,
       m.gap_m AS municipality_gap_m,
       coalesce(near.neighbours, '[]'::jsonb) AS neighbours,
       d.fid AS district_id, d.name_fr AS district_fr, d.name_nl AS district_nl,
       q.td_edition AS district_edition,
       s.fid AS street_id, s.name AS street_name, s.name_fr AS street_fr,
       s.name_nl AS street_nl, s.d AS street_m, q.ts_edition AS street_edition,
       rr.fid AS regional_id, rr.name_fr AS regional_fr, rr.d AS regional_m,
       pc.postcode
FROM q
LEFT JOIN LATERAL (
    -- far out (over 10 km), the distance on the ellipsoid: Lambert 72's plane gave more than
    -- any distance on Earth for a point across the world
    SELECT p.inside, p.boundary_m,
           CASE WHEN p.distance_m > 10000
                THEN (SELECT min(ST_Distance(ST_Transform(v.geom, 4326)::geography,
                                             q.lonlat::geography))
                      FROM {region} AS v
                      WHERE v.sys_from <= q.tr AND v.sys_to > q.tr)
                ELSE p.distance_m
           END AS distance_m
    FROM (SELECT bool_or(ST_Intersects(v.geom, q.geom)) AS inside,
                 min(ST_Distance(v.geom, q.geom)) AS distance_m,
                 min(ST_Distance(ST_Boundary(v.geom), q.geom)) AS boundary_m
          FROM {region} AS v
          WHERE v.sys_from <= q.tr AND v.sys_to > q.tr) AS p
) AS r ON true
LEFT JOIN LATERAL (
    -- the municipality the point is in; inside the region but in none (the municipalities'
    -- polygons leave slivers between them, up to some metres wide), the nearest one
    SELECT v.fid, v.name_fr, v.name_nl, v.nat_code,
           ST_Distance(ST_Boundary(v.geom), q.geom) AS boundary_m,
           ST_Distance(v.geom, q.geom) AS gap_m
    FROM {municipalities} AS v
    WHERE v.sys_from <= q.tm AND v.sys_to > q.tm
      AND (r.inside OR ST_Intersects(v.geom, q.geom))
    ORDER BY v.geom <-> q.geom, v.fid LIMIT 1
) AS m ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
               'id', v.fid, 'name_fr', v.name_fr, 'name_nl', v.name_nl,
               'distance_m', round(ST_Distance(v.geom, q.geom)::numeric, 1)) ORDER BY v.fid)
               AS neighbours
    FROM {municipalities} AS v
    WHERE v.sys_from <= q.tm AND v.sys_to > q.tm AND ST_DWithin(v.geom, q.geom, %(margin_m)s)
      AND v.fid IS DISTINCT FROM m.fid
) AS near ON true
LEFT JOIN LATERAL (
    SELECT v.fid, v.name_fr, v.name_nl
    FROM {districts} AS v
    WHERE v.sys_from <= q.td AND v.sys_to > q.td AND ST_Intersects(v.geom, q.geom)
    ORDER BY v.fid LIMIT 1
) AS d ON true
LEFT JOIN LATERAL (
    SELECT v.fid, v.name, v.name_fr, v.name_nl, ST_Distance(v.geom, q.geom) AS d
    FROM {streets} AS v
    -- the edition test as a filter ("IS TRUE"), never an index condition: the few streets
    -- the GiST finds near the point are cheaper to test than two bitmaps of every version
    WHERE (v.sys_from <= q.ts AND v.sys_to > q.ts) IS TRUE
      AND ST_DWithin(v.geom, q.geom, %(street_m)s)
    ORDER BY v.geom <-> q.geom, v.fid LIMIT 1
) AS s ON true
LEFT JOIN LATERAL (
    SELECT v.fid, v.name_fr, ST_Distance(v.geom, q.geom) AS d
    FROM {streets} AS v
    WHERE v.sys_from <= q.ts AND v.sys_to > q.ts AND ST_DWithin(v.geom, q.geom, %(regional_m)s)
      AND EXISTS (SELECT FROM {regional} AS rr
                  WHERE rr.street_key = lower(v.name_fr)
                    AND ST_DWithin(v.geom, rr.evidence, %(match_m)s))
    ORDER BY ST_Distance(v.geom, q.geom), v.fid LIMIT 1
) AS rr ON true
LEFT JOIN LATERAL (
    SELECT v.postcode
    FROM {postcodes} AS v
    WHERE v.sys_from <= q.tp AND v.sys_to > q.tp AND v.postcode IS NOT NULL
    ORDER BY v.geom <-> q.geom LIMIT 1
) AS pc ON true;
