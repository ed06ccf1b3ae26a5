-- One more wrong key from an address; failures older than the window go.
WITH gone AS (
    DELETE FROM key_failure
    WHERE failed_at < clock_timestamp() - make_interval(secs => %(window_s)s)
)
INSERT INTO key_failure (address) VALUES (%(address)s);
