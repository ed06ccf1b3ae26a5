-- Where the named streets (and districts) lie, on the map of an instant (each layer read as
-- in address_names.sql): one row per name, municipality and postcode, with the middle of
-- those pieces (the point of their union nearest its centroid) and their length. A piece
-- belongs to the municipality that contains its middle and takes the postcode of the
-- postcode point nearest its middle, as geolocate derives the postcode of a point.
WITH t AS (
    SELECT layer_id, read_at(%(at)s::timestamptz, min(valid_from)) AS at
    FROM edition WHERE layer_id = ANY(%(layers)s) GROUP BY layer_id
), pieces AS (
    SELECT 'street' AS kind, v.name AS label, v.name_fr, v.name_nl, v.geom,
           ST_ClosestPoint(v.geom, ST_Centroid(v.geom)) AS mid
    FROM {streets} AS v JOIN t ON t.layer_id = %(street_layer)s
    WHERE v.name = ANY(%(streets)s) AND v.sys_from <= t.at AND v.sys_to > t.at
    UNION ALL
    SELECT 'district', v.name_fr, v.name_fr, v.name_nl, v.geom,
           ST_ClosestPoint(v.geom, ST_Centroid(v.geom))
    FROM {districts} AS v JOIN t ON t.layer_id = %(district_layer)s
    WHERE v.name_fr = ANY(%(districts)s) AND v.sys_from <= t.at AND v.sys_to > t.at
), placed AS (
    SELECT p.kind, p.label, p.name_fr, p.name_nl, m.fid AS municipality_id,
           m.name_fr AS municipality_fr, m.name_nl AS municipality_nl, pc.postcode,
           ST_Collect(p.geom) AS geom
    FROM pieces AS p
    LEFT JOIN LATERAL (
        SELECT v.fid, v.name_fr, v.name_nl
        FROM {municipalities} AS v JOIN t ON t.layer_id = %(municipality_layer)s
        WHERE v.sys_from <= t.at AND v.sys_to > t.at AND ST_Intersects(v.geom, p.mid)
        ORDER BY v.fid LIMIT 1
    ) AS m ON true
    LEFT JOIN LATERAL (
        SELECT v.postcode
        FROM {postcodes} AS v JOIN t ON t.layer_id = %(postcode_layer)s
        WHERE v.sys_from <= t.at AND v.sys_to > t.at AND v.postcode IS NOT NULL
        ORDER BY v.geom <-> p.mid LIMIT 1
    ) AS pc ON true
    GROUP BY p.kind, p.label, p.name_fr, p.name_nl, m.fid, m.name_fr, m.name_nl, pc.postcode
)
SELECT kind, label, name_fr, name_nl, municipality_id, municipality_fr, municipality_nl,
       postcode::text, ST_X(mid), ST_Y(mid), ST_Length(geom)
FROM (SELECT *, ST_ClosestPoint(geom, ST_Centroid(geom)) AS mid FROM placed) AS g
ORDER BY kind, label, municipality_id, postcode;
