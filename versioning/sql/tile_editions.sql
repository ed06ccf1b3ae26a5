-- For each layer named and each instant given: the edition in force then (none before the
-- first), and the layer's newest edition. A tile is made of the first (its features) and of
-- the second (the end of the lifespan of features that a later edition retired); the newest
-- also tells whether the tile can still change (a new edition is dated after the newest).
-- Layers and instants come as comma-separated text (bound: one text value each, where
-- arrays cost a tile request more to send than the query takes).
SELECT l.layer_id, t.n, f.id, f.imported_at, newest.id, newest.imported_at, newest.valid_from
FROM unnest(string_to_array(%(layers)s, ',')) AS l(layer_id)
CROSS JOIN unnest(string_to_array(%(instants)s, ',')::timestamptz[]) WITH ORDINALITY AS t(at, n)
LEFT JOIN LATERAL (
    SELECT e.id, e.imported_at FROM edition AS e
    WHERE e.layer_id = l.layer_id AND e.valid_from <= t.at
    ORDER BY e.valid_from DESC LIMIT 1
) AS f ON true
LEFT JOIN LATERAL (
    SELECT e.id, e.imported_at, e.valid_from FROM edition AS e
    WHERE e.layer_id = l.layer_id
    ORDER BY e.valid_from DESC LIMIT 1
) AS newest ON true
ORDER BY l.layer_id, t.n;
