-- sspr schema, version 4 (SQLite): a count of the write transactions committed, which sspr also
-- writes, after each commit, to a file beside the database (sspr.db-commits). A database that
-- holds fewer commits than that file counts lost its last ones (its write-ahead log was deleted
-- or truncated), and Open refuses it instead of sending again codes and messages already sent.

CREATE TABLE store_commits (
    id       INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    store_id TEXT    NOT NULL,  -- random, set once: tells this database from another one
    n        INTEGER NOT NULL   -- write transactions committed since this table was made
);

INSERT INTO store_commits (id, store_id, n) VALUES (1, lower(hex(randomblob(16))), 1);
