// Package storecopy copies an sspr store from the embedded SQLite backend to PostgreSQL (sspr
// store copy), so that a site that started on the default can move to a shared database when it
// grows to several instances.
//
// The copy reads the SQLite store in one read transaction (a consistent snapshot) and writes the
// PostgreSQL store in one transaction with COPY, table by table, keeping every row's identifier
// (user IDs, audit event and outbox message numbers), then moves the identity sequences past the
// copied rows, counts every table on both sides, and commits only when the counts agree. A
// target that holds any row is refused unless Options.Force, which empties the copied tables
// first. Every table that both schemas have is copied (an unknown column or table that both
// have fails the copy instead of being left behind); the tables only SQLite has are derived or
// its own: throttle_counts (PostgreSQL counts throttle events from the events themselves),
// store_commits (SQLite's count of commits, see package sqlite) and schema_migrations (each
// store's own). The audit chain comes over as it is (each event's seq and hash, and the one
// audit_chain row, whose target row the migration wrote is replaced and not counted among the
// tables), so the copy verifies with the same server secret.
package storecopy
