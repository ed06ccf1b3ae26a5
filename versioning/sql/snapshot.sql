-- The layer as it was at an instant: the versions alive then.
SELECT v.fid AS {key}, {columns},
       v.sys_from AS "beginLifespanVersion",
       CASE WHEN v.sys_to = 'infinity' THEN NULL ELSE v.sys_to END AS "endLifespanVersion",
       ST_AsBinary({geom}) AS geom
FROM {table} AS v
WHERE v.sys_from <= %(at)s AND v.sys_to > %(at)s
ORDER BY v.fid;
