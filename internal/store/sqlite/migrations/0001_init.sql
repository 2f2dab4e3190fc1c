-- sspr schema, version 1 (SQLite).
-- Times are INTEGER microseconds since the Unix epoch, UTC. Booleans are 0/1.
-- String lists are JSON arrays in TEXT. fingerprint holds the uint64 bit pattern as a signed INTEGER.

CREATE TABLE users (
    id                               TEXT    NOT NULL PRIMARY KEY,  -- UUID
    source                           TEXT    NOT NULL CHECK (source IN ('directory', 'cloud')),
    anchor                           BLOB    UNIQUE,                -- objectGUID / entryUUID; NULL for cloud users
    dn                               TEXT    NOT NULL DEFAULT '',
    user_principal_name              TEXT    NOT NULL,
    upn_key                          TEXT    NOT NULL UNIQUE,       -- lower-cased user_principal_name
    display_name                     TEXT    NOT NULL DEFAULT '',
    display_name_key                 TEXT    NOT NULL DEFAULT '',   -- lower-cased display_name, for search
    mobile_phone_raw                 TEXT    NOT NULL DEFAULT '',
    mobile_phone_number              TEXT    NOT NULL DEFAULT '',
    mobile_phone_type                TEXT    NOT NULL DEFAULT '',
    mobile_phone_problem             TEXT    NOT NULL DEFAULT '',
    office_phone_raw                 TEXT    NOT NULL DEFAULT '',
    office_phone_number              TEXT    NOT NULL DEFAULT '',
    office_phone_type                TEXT    NOT NULL DEFAULT '',
    office_phone_problem             TEXT    NOT NULL DEFAULT '',
    alternate_emails                 TEXT    NOT NULL DEFAULT '[]',
    account_enabled                  INTEGER NOT NULL DEFAULT 0,
    privileged                       INTEGER NOT NULL DEFAULT 0,
    authentication_phone             TEXT    NOT NULL DEFAULT '',
    authentication_email             TEXT    NOT NULL DEFAULT '',
    directory_fields                 TEXT    NOT NULL DEFAULT '[]',
    directory_mobile_phone           TEXT    NOT NULL DEFAULT '',
    mobile_phone_overridden          INTEGER NOT NULL DEFAULT 0,
    fingerprint                      INTEGER NOT NULL DEFAULT 0,
    security_questions_count         INTEGER NOT NULL DEFAULT 0,
    security_questions_registered_at INTEGER,
    version                          INTEGER NOT NULL,
    created_at                       INTEGER NOT NULL,
    updated_at                       INTEGER NOT NULL
);

CREATE TABLE sync_state (
    key        TEXT    NOT NULL PRIMARY KEY,
    watermark  TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sync_runs (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    mode        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    added       INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    errors      TEXT    NOT NULL DEFAULT '[]'
);

CREATE INDEX sync_runs_running ON sync_runs (status) WHERE status = 'running';
