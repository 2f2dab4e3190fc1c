// Package sqlite stores sspr's data in one SQLite file (modernc.org/sqlite, pure Go): the
// default store of a single sspr instance.
//
//	Open(ctx, path)  path is a plain file path (the caller turns a store URL such as
//	                 sqlite:///var/lib/sspr/sspr.db into /var/lib/sspr/sspr.db); WAL journal,
//	                 synchronous=NORMAL, foreign keys, 10 s busy timeout; embedded
//	                 migrations/*.sql applied in order, each in a transaction, listed in
//	                 schema_migrations
//	writer           one connection (MaxOpenConns 1): BeginSync, StartRun, FinishRun, migrations
//	readers          a pool of query_only connections: UserByUPN, ListUsers (streams rows),
//	                 CountUsers, SyncState, ListRuns; with WAL they never wait for the writer and
//	                 see only committed data
//	BeginSync        takes the writer connection (waits while another SyncTx holds it) and runs
//	                 BEGIN IMMEDIATE (retried while another process holds the write lock, until
//	                 ctx is done); statements prepared at first use, once per SyncTx
//	Commit/Rollback  COMMIT or ROLLBACK, then the connection goes back; a process killed before
//	                 COMMIT leaves the file as it was (SQLite ignores uncommitted WAL frames)
//	Update           the same kind of transaction as BeginSync (same code, PutUser's user writes
//	                 shared with CreateUser/UpdateUser); commits when fn returns nil
//	flows            sessions, codes, throttles, outbox, tokens, audit, answers: writes on the
//	                 writer (one statement, or a short BEGIN IMMEDIATE transaction), reads on the
//	                 readers. The single writer makes CountAttempt, ConsumeCode and ClaimMessages
//	                 (one UPDATE ... RETURNING each) and Hit (insert + count) atomic
//	cascade          sessions, codes and security answers reference users ON DELETE CASCADE
//	                 (codes also their session): DeleteUser and a sync's DeleteUserByAnchor
//	                 remove them
//
// Because the SyncTx holds the only writer connection, record runs (StartRun, FinishRun) before
// BeginSync and after Commit or Rollback, not in between: a call in between waits for the SyncTx.
// Every other write (Update, the flows' writes) waits for it too, up to its context: SQLite has
// one writer per file.
//
// Times are INTEGER microseconds since the epoch (UTC); a uint64 fingerprint is the INTEGER with
// the same bits; string lists are JSON arrays, audit details JSON objects. userPrincipalName and displayName have lower-cased
// copies (upn_key, display_name_key) computed by sspr, for case-insensitive lookups, search
// (instr, so '%' and '_' are plain characters) and ordering.
package sqlite
