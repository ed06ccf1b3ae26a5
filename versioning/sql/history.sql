-- Every version of one feature, oldest first, with its lifespan and edition.
SELECT v.vid, v.fid, v.sys_from AS "beginLifespanVersion",
       lifespan_end(v.sys_to) AS "endLifespanVersion",
       e.edition_date, encode(v.content_hash, 'hex') AS content_hash, {columns},
       ST_AsBinary({geom}) AS geom
FROM {table} AS v
JOIN edition AS e ON e.id = v.edition_id
WHERE v.fid = %(fid)s
ORDER BY v.sys_from;
