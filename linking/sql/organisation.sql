-- A Fix My Street organisation by id.
SELECT organisation_id, name_fr, name_nl, kind FROM fms_organisation WHERE organisation_id = %s;
