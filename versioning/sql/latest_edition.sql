-- The newest edition among the layers named (a derived layer's are its sources').
SELECT id, valid_from
FROM edition
WHERE layer_id = ANY(%(layers)s)
ORDER BY valid_from DESC
LIMIT 1;
