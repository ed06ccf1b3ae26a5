-- First edition of a layer: every staged feature is added.
INSERT INTO {table} (fid, sys_from, sys_to, edition_id, content_hash, {columns}, geom)
SELECT s.fid, %(valid_from)s, 'infinity', %(edition_id)s, {hash}, {staged_columns},
       ST_SetSRID(s.geom, 31370)
FROM _stage AS s;
