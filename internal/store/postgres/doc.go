// Package postgres stores sspr's data in PostgreSQL, for several sspr instances sharing one
// database.
//
//	Open(ctx, dsn)  pgxpool → migrations (embedded migrations/*.sql, applied in order, each in a
//	                transaction, listed in schema_migrations) under pg_advisory_lock, so instances
//	                starting together take turns
//	reads           straight from the pool (UserByUPN, ListUsers streaming rows, CountUsers, ...)
//	BeginSync       BEGIN + pg_advisory_xact_lock: one SyncTx at a time across every instance;
//	                the lock ends with the transaction, or with the session if the process dies
//	PutUser         insert: conflict checked against the sets of taken userPrincipalName keys
//	                and anchors (loaded at the first insert), then queued and sent 500 at a time
//	                in one round trip; update: UPDATE ... WHERE NOT EXISTS (clash), at once.
//	                A conflict is found without a server error, so the transaction goes on (no
//	                savepoint per user); any other error aborts the SyncTx, as PostgreSQL does
//	Commit          COMMIT releases the lock; Rollback after Commit is a no-op
//	Update          a plain transaction beside any SyncTx; CreateUser (INSERT ... ON CONFLICT DO
//	                NOTHING) and UpdateUser (the update PutUser uses) find conflicts without a
//	                server error, so fn may go on after ErrConflict
//	CountAttempt    one UPDATE ... WHERE attempts < max_attempts RETURNING: concurrent calls
//	ConsumeCode     queue on the row and re-check the condition; 0 rows: ErrExhausted
//	Hit             transaction: pg_advisory_xact_lock(sspr, hash(key)), insert, count; hits on
//	                one key take turns across instances and each counts those before it
//	ClaimMessages   SELECT ... FOR UPDATE SKIP LOCKED, then lease_until set, in one statement
//	cascade         sessions, codes and security answers reference users ON DELETE CASCADE
//
// userPrincipalName and displayName have lower-cased copies (upn_key, display_name_key, in the
// "C" collation) computed by sspr, so case-insensitive lookups, search and ordering do not depend
// on the database's locale and agree with the SQLite backend. Times are timestamptz (microseconds,
// returned in UTC); a uint64 fingerprint is stored as the bigint with the same bits.
package postgres
