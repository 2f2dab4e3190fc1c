-- sspr schema, version 11 (SQLite): a covering index of the directory users' anchors and
-- fingerprints, the one scan every sync starts with (SyncTx.Fingerprints). Read from the table,
-- that scan reads every page of every user (some 56 MB at 100,000 users, 0.2 CPU-seconds of a
-- sync that changes nothing); the index holds 100,000 users in about 4 MB, in anchor order.

CREATE INDEX users_fingerprints ON users (anchor, fingerprint) WHERE source = 'directory';
