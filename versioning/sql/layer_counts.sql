SELECT count(*) FILTER (WHERE sys_to = 'infinity') AS current, count(*) AS versions
FROM {table};
