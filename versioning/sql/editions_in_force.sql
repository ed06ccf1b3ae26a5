-- For each layer named, the edition in force at an instant (the newest not after it).
SELECT DISTINCT ON (layer_id) id, layer_id, n_features, valid_from, imported_at
FROM edition
WHERE layer_id = ANY(%(layers)s) AND valid_from <= %(at)s
ORDER BY layer_id, valid_from DESC;
