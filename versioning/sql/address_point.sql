-- A point for an address string: the current street whose French or Dutch name the string
-- contains (the longest name wins, then the longest street), at the street's middle.
SELECT ST_X(p), ST_Y(p), name_fr, name_nl
FROM (
    SELECT v.name_fr, v.name_nl, ST_ClosestPoint(v.geom, ST_Centroid(v.geom)) AS p,
           greatest(length(v.name_fr), length(v.name_nl)) AS matched
    FROM {streets} AS v
    WHERE v.sys_to = 'infinity'
      AND ((v.name_fr <> '' AND strpos(lower(%(address)s), lower(v.name_fr)) > 0)
        OR (v.name_nl <> '' AND strpos(lower(%(address)s), lower(v.name_nl)) > 0))
    ORDER BY matched DESC, ST_Length(v.geom) DESC, v.fid
    LIMIT 1
) AS found;
