-- One row of a public view, by its key (compared as text: the key's type is the view's), as
-- GeoJSON text.
SELECT {feature} FROM {view} AS v WHERE v.{key}::text = %(key)s;
