-- Per record of any kind, the target feature holding most of it at the record's instant (or
-- at the layer's first edition, for older records): most area for a polygon, most length
-- for a line; a point's weight is nil, so it goes to the smaller key among those containing it.
{alias} AS (
    SELECT DISTINCT ON (rid) rid, fid, name_fr, name_nl
    FROM (
        SELECT i.rid, p.fid, min(p.label_fr) AS name_fr, min(p.label_nl) AS name_nl,
               sum(CASE ST_Dimension(i.geom)
                       WHEN 2 THEN ST_Area(ST_Intersection(p.geom, i.geom))
                       WHEN 1 THEN ST_Length(ST_Intersection(p.geom, i.geom))
                       ELSE 0 END) AS weight
        FROM {pieces} AS p
        JOIN {input} AS i ON ST_Intersects(p.geom, i.geom)
         AND alive_at(p.sys_from, p.sys_to, read_at(i.at, {first}))
        GROUP BY i.rid, p.fid
    ) AS w
    ORDER BY rid, weight DESC, fid
)
