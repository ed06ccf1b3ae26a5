-- Close the current version of every modified or deleted feature at the edition's instant.
UPDATE {table} AS t
SET sys_to = %(valid_from)s
FROM _delta AS d
WHERE t.fid = d.fid AND d.action IN ('modified', 'deleted') AND t.sys_to = 'infinity';
