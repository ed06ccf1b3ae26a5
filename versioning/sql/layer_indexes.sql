-- The secondary indexes of a layer table (all but the primary key), with their definitions.
SELECT indexname, indexdef
FROM pg_indexes
WHERE schemaname = current_schema() AND tablename = %(table)s
  AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype = 'p');
