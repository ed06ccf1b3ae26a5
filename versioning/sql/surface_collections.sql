-- The collections that hold at least one surface.
SELECT DISTINCT collection FROM surface ORDER BY collection;
