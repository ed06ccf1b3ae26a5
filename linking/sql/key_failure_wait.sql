-- Seconds an address must wait before it may try a key again: with `limit` failures or more
-- within the window, until the oldest of its last `limit` failures leaves the window (at
-- least 1). No row: it may try now.
SELECT greatest(1, ceil(extract(epoch FROM
           f.failed_at + make_interval(secs => %(window_s)s) - clock_timestamp())))::int
FROM (
    SELECT failed_at
    FROM key_failure
    WHERE address = %(address)s
      AND failed_at > clock_timestamp() - make_interval(secs => %(window_s)s)
    ORDER BY failed_at DESC
    OFFSET %(limit)s - 1
    LIMIT 1
) AS f;
