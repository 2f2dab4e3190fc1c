-- sspr schema, version 3 (SQLite): counts of throttle events per key and second, and per key and
-- minute, kept by sspr beside the events, so that Hit and CountEvents count a key's events in a
-- window by reading at most one second of its events and a few counts, however many events the
-- window holds (a busy client IP behind NAT), instead of every event.

CREATE TABLE throttle_counts (
    key    TEXT    NOT NULL,
    span   INTEGER NOT NULL,  -- seconds: 1 or 60
    bucket INTEGER NOT NULL,  -- floor(at / span): the events of key at [bucket, bucket + 1) * span
    n      INTEGER NOT NULL,  -- how many
    PRIMARY KEY (key, span, bucket)
) WITHOUT ROWID;

CREATE INDEX throttle_counts_bucket ON throttle_counts (span, bucket);

-- The events already there (at is in microseconds; floor, also for a time before 1970).
INSERT INTO throttle_counts (key, span, bucket, n)
SELECT key, 1, (at - ((at % 1000000) + 1000000) % 1000000) / 1000000, count(*)
FROM throttle_events GROUP BY 1, 3;

INSERT INTO throttle_counts (key, span, bucket, n)
SELECT key, 60, (at - ((at % 60000000) + 60000000) % 60000000) / 60000000, count(*)
FROM throttle_events GROUP BY 1, 3;
