-- The names an address string is matched against, on the map of an instant: each layer is
-- read at the instant, or at its first edition when the instant precedes it (as geolocate
-- reads it). One row per distinct street name, per district, per municipality and per
-- postcode; the matching itself is done by the caller (versioning/addresses.py).
WITH t AS (
    SELECT layer_id, read_at(%(at)s::timestamptz, min(valid_from)) AS at
    FROM edition WHERE layer_id = ANY(%(layers)s) GROUP BY layer_id
)
SELECT DISTINCT 'street' AS kind, v.name AS label, v.name_fr, v.name_nl, NULL::bigint AS id
FROM {streets} AS v JOIN t ON t.layer_id = %(street_layer)s
WHERE v.sys_from <= t.at AND v.sys_to > t.at AND v.name <> ''
UNION ALL
SELECT DISTINCT 'district', v.name_fr, v.name_fr, v.name_nl, NULL::bigint
FROM {districts} AS v JOIN t ON t.layer_id = %(district_layer)s
WHERE v.sys_from <= t.at AND v.sys_to > t.at AND v.name_fr <> ''
UNION ALL
SELECT 'municipality', v.name_fr, v.name_fr, v.name_nl, v.fid::bigint
FROM {municipalities} AS v JOIN t ON t.layer_id = %(municipality_layer)s
WHERE v.sys_from <= t.at AND v.sys_to > t.at
UNION ALL
SELECT DISTINCT 'postcode', v.postcode::text, NULL, NULL, NULL::bigint
FROM {postcodes} AS v JOIN t ON t.layer_id = %(postcode_layer)s
WHERE v.sys_from <= t.at AND v.sys_to > t.at AND v.postcode IS NOT NULL;
