-- sspr schema, version 5 (PostgreSQL): the audit log's tamper-evident chain (internal/audit),
-- the same as SQLite's version 7.
-- Each event appended from now on gets the next seq and its keyed hash; audit_chain (one row)
-- holds the head (the last seq and hash) and the anchor (where the chain starts: seq 0 and 32
-- zero bytes here, later the last event pruned, signed). Every append updates the head in the
-- same statement as its insert, under the row's lock: that orders appends of every instance.
-- Events already here keep no seq: the chain starts at this migration, and legacy_max_id tells
-- them from events written without a seq later (which sspr audit verify reports).

ALTER TABLE audit_events ADD COLUMN seq bigint, ADD COLUMN hash bytea;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);

-- Listings are newest first by (at, id): with id in the index, a user's events and a page
-- after a cursor are read in order from the index, without a sort.
DROP INDEX audit_events_at;
DROP INDEX audit_events_upn;
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_upn ON audit_events (upn_key, at, id);

CREATE TABLE audit_chain (
    id            smallint    NOT NULL PRIMARY KEY CHECK (id = 1),
    head_seq      bigint      NOT NULL,
    head_hash     bytea       NOT NULL,
    anchor_seq    bigint      NOT NULL,
    anchor_hash   bytea       NOT NULL,
    anchor_before timestamptz,           -- the retention cut-off of the prune that set the anchor
    anchor_mac    bytea,                 -- NULL for the genesis anchor (seq 0)
    legacy_max_id bigint      NOT NULL   -- events up to this id predate the chain
);

INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash, legacy_max_id)
SELECT 1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
       0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
       COALESCE((SELECT max(id) FROM audit_events), 0);
