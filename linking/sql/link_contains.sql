-- Per point record, the target feature containing it at the record's instant (or at the
-- layer's first edition, for older records); on a shared boundary, the smaller key.
-- The pieces drive the join (each polygon piece is tested against the points it covers,
-- so PostGIS reuses its prepared form).
{alias} AS (
    SELECT DISTINCT ON (i.rid) i.rid, p.fid, p.label_fr AS name_fr, p.label_nl AS name_nl
    FROM {pieces} AS p
    JOIN {input} AS i ON ST_Intersects(p.geom, i.geom)
     AND alive_at(p.sys_from, p.sys_to, read_at(i.at, {first}))
    ORDER BY i.rid, p.fid
)
