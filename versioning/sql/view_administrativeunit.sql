-- INSPIRE AdministrativeUnit over the versions of municipalities and region.
-- inspireId and nationalCode are stable across versions: a version whose source lacked
-- them (the 2015 municipalities) takes those of the same feature in another edition.
CREATE OR REPLACE VIEW {table} AS
SELECT m.vid, 'MU.' || m.fid AS fid, m.sys_from, m.sys_to, m.edition_id, m.content_hash,
       coalesce(m.inspire_id, ids.inspire_id) AS inspire_id,
       coalesce(m.nat_code, ids.nat_code) AS national_code,
       '5thOrder'::text AS national_level, 'Gemeente / Commune'::text AS national_level_name,
       'BE'::text AS country,
       jsonb_build_array(
           jsonb_build_object('language', 'fre', 'spelling', m.name_fr),
           jsonb_build_object('language', 'dut', 'spelling', m.name_nl)) AS name,
       m.name_fr, m.name_nl, m.geom
FROM layer_municipalities AS m
LEFT JOIN (SELECT fid, max(inspire_id) AS inspire_id, max(nat_code) AS nat_code
           FROM layer_municipalities GROUP BY fid) AS ids ON ids.fid = m.fid
UNION ALL
SELECT r.vid, 'RE.' || r.fid, r.sys_from, r.sys_to, r.edition_id, r.content_hash,
       r.inspire_id, r.nat_code, '2ndOrder', 'Gewest / Région', coalesce(r.country, 'BE'),
       jsonb_build_array(
           jsonb_build_object('language', 'fre', 'spelling', r.name_fr),
           jsonb_build_object('language', 'dut', 'spelling', r.name_nl)),
       r.name_fr, r.name_nl, r.geom
FROM layer_region AS r;
