-- Open a new version for every added or modified feature.
INSERT INTO {table} (fid, sys_from, sys_to, edition_id, content_hash, {columns}, geom)
SELECT s.fid, %(valid_from)s, 'infinity', %(edition_id)s, s.content_hash, {staged_columns},
       s.geom
FROM _stage AS s
JOIN _delta AS d ON d.fid = s.fid
WHERE d.action IN ('added', 'modified');
