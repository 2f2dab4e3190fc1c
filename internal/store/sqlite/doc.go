// Package sqlite stores sspr's data in one SQLite file (modernc.org/sqlite, pure Go): the
// default store of a single sspr instance.
//
//	Open(ctx, path)  path is a plain file path (the caller turns a store URL such as
//	                 sqlite:///var/lib/sspr/sspr.db into /var/lib/sspr/sspr.db); WAL journal,
//	                 synchronous=NORMAL, foreign keys, 10 s busy timeout; embedded
//	                 migrations/*.sql applied in order, each in a transaction, listed in
//	                 schema_migrations
//	writer           one connection, which the Store keeps checked out of its pool for its whole
//	                 life (writer.go): whoever holds the writer lock uses it, and the statements
//	                 prepared on it once serve every later transaction
//	readers          a pool of query_only connections: UserByUPN, ListUsers (streams rows),
//	                 CountUsers, SyncState, ListRuns, Session, ActiveCode, ...; with WAL they
//	                 never wait for the writer and see only committed data. Their queries are
//	                 prepared once per connection (readStmts); a one-row read checks ctx first and
//	                 then runs without it (the driver would watch a cancellable context with a
//	                 goroutine per statement), a listing runs with ctx
//	BeginSync        takes the writer lock (waits while a group commit, another SyncTx or an
//	                 Update has it, until ctx is done) and runs BEGIN IMMEDIATE (retried while another
//	                 process holds the write lock, until ctx is done)
//	Commit/Rollback  COMMIT or ROLLBACK, then the writer lock goes back; a process killed before
//	                 COMMIT leaves the file as it was (SQLite ignores uncommitted WAL frames)
//	Update           the same kind of transaction as BeginSync (same code, PutUser's user writes
//	                 shared with CreateUser/UpdateUser); commits when fn returns nil
//	flows            sessions, codes, throttles, outbox, tokens, audit, answers, runs: reads on the
//	                 readers; writes are group-committed (writer.go): a caller queues its write and
//	                 waits for its outcome or the writer lock; the caller that gets the lock takes
//	                 every queued write (up to 256), runs them in ONE transaction (one BEGIN and
//	                 COMMIT, one set of WAL frames, for many small writes), answers each caller
//	                 once the COMMIT is done, and goes on until its own write is answered. A write
//	                 that finds the writer free thus runs at once on its caller's goroutine. A
//	                 write of several statements runs in a SAVEPOINT, so that a failing write
//	                 leaves the others; a write of one changing statement needs none (SQLite undoes
//	                 a failed statement by itself). A failure that may have ended the transaction
//	                 (an I/O error, a panic, raised again in its caller) goes to its caller, and
//	                 the other writes run again in a new transaction. A caller whose ctx ends while
//	                 its write waits leaves and the write is not run; once taken, the write is
//	                 waited for. The writes run one after the other on the one connection, each
//	                 seeing the ones before: CountAttempt, ConsumeCode and ClaimMessages (one
//	                 UPDATE ... RETURNING each) and Hit (insert + count) stay atomic
//	throttle counts  Hit and CountEvents count a key's events at or after since from the events of
//	                 since's second and per-second and per-minute counts (throttle_counts, kept
//	                 with the events by Hit, DeleteExpired and ClearThrottles): the cost of a
//	                 count does not grow with the events in the window (a busy IP behind NAT)
//	cascade          sessions, codes and security answers reference users ON DELETE CASCADE
//	                 (codes also their session): DeleteUser and a sync's DeleteUserByAnchor
//	                 remove them
//	commit log       every write transaction counts itself in store_commits before its COMMIT, and
//	                 the count goes to sspr.db-commits after it (commits.go); Open refuses, with
//	                 ErrCommitsLost, a database that holds fewer commits than that file counts
//	                 (its WAL was deleted or truncated): a clean shutdown and a killed process
//	                 keep every commit the file counts; removing the file accepts the loss
//	files            a new database is created 0600 (SQLite gives -wal and -shm its mode), a
//	                 missing folder 0700; Open warns about store files others may read, and an
//	                 I/O error at Open says which file system failed and whether it is full
//	Close            fails the writes still queued, closes the writer connection (a SyncTx still
//	                 open is rolled back by SQLite; its next call fails) and the readers
//
// Because the SyncTx holds the writer, record runs (StartRun, FinishRun) before BeginSync and after
// Commit or Rollback, not in between: a call in between waits for the SyncTx. Every other write
// (Update, the flows' writes) waits for it too, up to its context: SQLite has one writer per file.
//
// Times are INTEGER microseconds since the epoch (UTC); a uint64 fingerprint is the INTEGER with
// the same bits; string lists are JSON arrays, audit details JSON objects. userPrincipalName and
// displayName have lower-cased copies (upn_key, display_name_key) computed by sspr, for
// case-insensitive lookups, search (instr, so '%' and '_' are plain characters) and ordering.
package sqlite
