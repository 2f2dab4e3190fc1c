-- sspr schema, version 7 (SQLite): the audit log's tamper-evident chain (internal/audit), the
-- same as PostgreSQL's version 5.
-- Each event appended from now on gets the next seq and its keyed hash; audit_chain (one row)
-- holds the head (the last seq and hash) and the anchor (where the chain starts: seq 0 and 32
-- zero bytes here, later the last event pruned, signed). Every append updates the head in the
-- same transaction as its insert (on the one writer).
-- Events already here keep no seq: the chain starts at this migration, and legacy_max_id tells
-- them from events written without a seq later (which sspr audit verify reports).
-- The index audit_events_upn (upn_key, at) already ends with the rowid (id): a user's events
-- come newest first from it without a sort.

ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN hash BLOB;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);

CREATE TABLE audit_chain (
    id            INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    head_seq      INTEGER NOT NULL,
    head_hash     BLOB    NOT NULL,
    anchor_seq    INTEGER NOT NULL,
    anchor_hash   BLOB    NOT NULL,
    anchor_before INTEGER,           -- the retention cut-off of the prune that set the anchor
    anchor_mac    BLOB,              -- NULL for the genesis anchor (seq 0)
    legacy_max_id INTEGER NOT NULL   -- events up to this id predate the chain
);

INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash, legacy_max_id)
SELECT 1, 0, zeroblob(32), 0, zeroblob(32), COALESCE((SELECT max(id) FROM audit_events), 0);
