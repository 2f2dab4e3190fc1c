-- sspr schema, version 6 (PostgreSQL): what the dashboard and the reports read without scanning
-- every user or event. The same tables as SQLite's version 8: readiness_snapshots (the readiness
-- report's totals, one row per day, UTC), audit_daily (the audit log counted per day, flow,
-- outcome and method for the days that are over) and audit_daily_days (the days counted).

CREATE TABLE readiness_snapshots (
    day        date        NOT NULL PRIMARY KEY,
    taken_at   timestamptz NOT NULL,
    users      integer     NOT NULL,
    enabled    integer     NOT NULL,
    ready      integer     NOT NULL,
    not_ready  integer     NOT NULL,
    registered integer     NOT NULL,
    by_method  jsonb       NOT NULL DEFAULT '{}',
    reasons    jsonb       NOT NULL DEFAULT '{}'
);

CREATE TABLE audit_daily (
    day     date    NOT NULL,
    flow    text    NOT NULL,
    outcome text    NOT NULL,
    method  text    NOT NULL DEFAULT '',
    count   integer NOT NULL,
    PRIMARY KEY (day, flow, outcome, method)
);

CREATE TABLE audit_daily_days (
    day        date        NOT NULL PRIMARY KEY,
    counted_at timestamptz NOT NULL
);

CREATE INDEX outbox_messages_created ON outbox_messages (created_at);
