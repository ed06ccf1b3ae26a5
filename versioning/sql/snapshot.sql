-- The layer as it was at an instant: the versions alive then.
SELECT v.fid AS {key}, {columns},
       v.sys_from AS "beginLifespanVersion",
       lifespan_end(v.sys_to) AS "endLifespanVersion",
       ST_AsBinary({geom}) AS geom
FROM {table} AS v
WHERE v.sys_from <= %(at)s AND v.sys_to > %(at)s
ORDER BY v.fid;
