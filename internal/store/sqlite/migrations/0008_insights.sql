-- sspr schema, version 8 (SQLite): what the dashboard and the reports read without scanning every
-- user or event. readiness_snapshots: the readiness report's totals, one row per day (UTC).
-- audit_daily: the audit log counted per day, flow, outcome and method by housekeeping for the
-- days that are over; audit_daily_days: the days counted (also those without any event).

CREATE TABLE readiness_snapshots (
    day        TEXT    NOT NULL PRIMARY KEY,  -- YYYY-MM-DD, UTC
    taken_at   INTEGER NOT NULL,              -- microseconds since the Unix epoch, UTC
    users      INTEGER NOT NULL,
    enabled    INTEGER NOT NULL,
    ready      INTEGER NOT NULL,
    not_ready  INTEGER NOT NULL,
    registered INTEGER NOT NULL,
    by_method  TEXT    NOT NULL DEFAULT '{}',  -- JSON object: method -> users
    reasons    TEXT    NOT NULL DEFAULT '{}'   -- JSON object: reason -> users not ready
);

CREATE TABLE audit_daily (
    day     TEXT    NOT NULL,
    flow    TEXT    NOT NULL,
    outcome TEXT    NOT NULL,
    method  TEXT    NOT NULL DEFAULT '',
    count   INTEGER NOT NULL,
    PRIMARY KEY (day, flow, outcome, method)
);

CREATE TABLE audit_daily_days (
    day        TEXT    NOT NULL PRIMARY KEY,
    counted_at INTEGER NOT NULL
);

CREATE INDEX outbox_messages_created ON outbox_messages (created_at);
