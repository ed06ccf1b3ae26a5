-- Per record, the target feature nearest to it (within a distance) at the record's instant
-- (or at the layer's first edition, for older records); on a tie, the smaller key. The
-- pieces drive the join through the records' spatial index (the bbox test is written out so
-- that the planner cannot turn the join around).
{alias} AS (
    SELECT DISTINCT ON (i.rid) i.rid, p.fid, p.label_fr AS name_fr, p.label_nl AS name_nl,
           ST_Distance(p.geom, i.geom) AS distance_m
    FROM {pieces} AS p
    JOIN {input} AS i ON ST_Expand(p.geom, {within}) && i.geom
     AND _ST_DWithin(p.geom, i.geom, {within})
     AND alive_at(p.sys_from, p.sys_to, read_at(i.at, {first}))
    ORDER BY i.rid, ST_Distance(p.geom, i.geom), p.fid
)
