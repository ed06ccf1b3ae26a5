-- Net changes in the window (t1, t2]: for every feature touched inside it, the version alive
-- at t1 (old) and at t2 (new); equal content (A -> B -> A) is no change.
-- Versions of one feature never overlap, so a touched feature's t1-version ends inside the
-- window and its t2-version starts inside it: both come from range scans of the lifespan
-- indexes, and the cost follows the number of changes, not the size of the layer.
WITH old AS (
    SELECT v.* FROM {table} AS v
    WHERE v.sys_to > %(t1)s AND v.sys_to <= %(t2)s AND v.sys_from <= %(t1)s
),
new AS (
    SELECT v.* FROM {table} AS v
    WHERE v.sys_from > %(t1)s AND v.sys_from <= %(t2)s AND v.sys_to > %(t2)s
)
SELECT coalesce(o.fid, n.fid) AS fid,
       CASE WHEN o.fid IS NULL THEN 'added' WHEN n.fid IS NULL THEN 'deleted'
            ELSE 'modified' END AS action,
       o.sys_from AS old_from, n.sys_from AS new_from,
       {old_columns}, {new_columns},
       ST_AsBinary({old_geom}) AS old_geom, ST_AsBinary({new_geom}) AS new_geom,
       (o.geom IS DISTINCT FROM n.geom) AS geometry_changed
FROM old AS o
FULL JOIN new AS n ON o.fid = n.fid
WHERE o.content_hash IS DISTINCT FROM n.content_hash
ORDER BY 1;
