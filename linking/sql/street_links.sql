-- Each record of the source layer tied, as the map was at the record's date (or at the first
-- edition, for older records), to its nearest street within the configured distance, checked against the street
-- names the record itself gives; and to the municipality and district that contain it.
-- Rendered once per source by linking/views.py, as a materialized view (the nearest street of
-- every record is costly to find on each read): refreshed after every edition or reference
-- table it reads (linking.views.refresh_views).
CREATE MATERIALIZED VIEW {view} AS
SELECT w.fid AS id, {columns}, {named} AS named_streets,
       s.fid AS street_id, s.name_fr AS street_fr, s.name_nl AS street_nl,
       round(s.distance::numeric, 1)::double precision AS street_distance_m,
       coalesce(strpos(lower({named}), lower(s.name_fr)) > 0
                OR strpos(lower({named}), lower(s.name_nl)) > 0, false) AS name_agrees,
       m.fid AS municipality_id, m.name_fr AS municipality_fr, m.name_nl AS municipality_nl,
       d.fid AS district_id, d.name_fr AS district_fr, d.name_nl AS district_nl, w.geom
FROM {source} AS w
CROSS JOIN LATERAL (SELECT coalesce({date}::timestamptz, w.sys_from) AS at) AS r
LEFT JOIN LATERAL (
    SELECT v.fid, v.name_fr, v.name_nl, ST_Distance(v.geom, w.geom) AS distance
    FROM {streets} AS v
    WHERE alive_at(v.sys_from, v.sys_to, read_at(r.at, (SELECT min(sys_from) FROM {streets})))
      AND ST_DWithin(v.geom, w.geom, {within})
    ORDER BY v.geom <-> w.geom, v.fid LIMIT 1
) AS s ON true
LEFT JOIN LATERAL (
    SELECT v.fid, v.name_fr, v.name_nl FROM {municipalities} AS v
    WHERE alive_at(v.sys_from, v.sys_to, read_at(r.at, (SELECT min(sys_from) FROM {municipalities})))
      AND ST_Intersects(v.geom, w.geom)
    ORDER BY CASE WHEN ST_Dimension(w.geom) = 2 THEN -ST_Area(ST_Intersection(v.geom, w.geom))
                  ELSE 0 END, v.fid LIMIT 1
) AS m ON true
LEFT JOIN LATERAL (
    SELECT v.fid, v.name_fr, v.name_nl FROM {districts} AS v
    WHERE alive_at(v.sys_from, v.sys_to, read_at(r.at, (SELECT min(sys_from) FROM {districts})))
      AND ST_Intersects(v.geom, w.geom)
    ORDER BY CASE WHEN ST_Dimension(w.geom) = 2 THEN -ST_Area(ST_Intersection(v.geom, w.geom))
                  ELSE 0 END, v.fid LIMIT 1
) AS d ON true
WHERE w.sys_to = 'infinity';
