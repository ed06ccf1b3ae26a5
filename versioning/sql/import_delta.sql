-- Classify every staged feature against the layer's current versions, by key and content
-- hash. Only changes are kept: unchanged = staged - added - modified.
CREATE TEMP TABLE _delta ON COMMIT DROP AS
SELECT coalesce(s.fid, c.fid) AS fid,
       CASE WHEN c.fid IS NULL THEN 'added'
            WHEN s.fid IS NULL THEN 'deleted'
            ELSE 'modified' END AS action
FROM (SELECT fid, content_hash FROM _stage) AS s
FULL JOIN (SELECT fid, content_hash FROM {table} WHERE sys_to = 'infinity') AS c
    ON s.fid = c.fid
WHERE s.content_hash IS DISTINCT FROM c.content_hash;
-- statement
CREATE INDEX ON _delta (fid);
-- statement
ANALYZE _delta;
