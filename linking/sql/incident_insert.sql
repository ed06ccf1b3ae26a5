INSERT INTO incident (service_code, description, address_string, media_url, requested_at,
                      updated_at, geom, municipality_id, municipality_fr, municipality_nl,
                      district_id, street_id, street_fr, street_nl, postcode, organisation_id,
                      rule, email, first_name, last_name, phone, device_id, account_id,
                      api_key_name)
VALUES (%(service_code)s, %(description)s, %(address_string)s, %(media_url)s, %(at)s, %(at)s,
        ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 31370), %(municipality_id)s,
        %(municipality_fr)s, %(municipality_nl)s, %(district_id)s, %(street_id)s,
        %(street_fr)s, %(street_nl)s, %(postcode)s, %(organisation_id)s, %(rule)s, %(email)s,
        %(first_name)s, %(last_name)s, %(phone)s, %(device_id)s, %(account_id)s,
        %(api_key_name)s)
RETURNING id;
