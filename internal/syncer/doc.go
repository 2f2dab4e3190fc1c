// Package syncer runs full and delta syncs from a directory.Reader into the store.
//
// One run:
//
//	StartRun (recorded outside the transaction, so failures are recorded too)
//	BeginSync → load every stored directory user's (anchor, fingerprint) into a sorted index, on
//	            its own goroutine while Reader.Read connects and receives its first pages
//	Reader.Read streams records (the first waits for the index):
//	    Upsert  → fingerprint unchanged: nothing written; else validate, normalize phones,
//	              merge what the directory does not own, PutUser
//	    Present → mark seen (delta reads)
//	    Reject  → report; a known anchor is kept, never deleted
//	deletions = reported deletes + (complete read) stored users not seen
//	accidental-delete guard: more than DeleteThreshold → roll back, status refused
//	SetSyncState(watermark) → RecordRun(succeeded, counts) → Commit (or Rollback for a dry run)
//	FinishRun only when the run did not commit (failed, refused, dry run)
//
// Any error rolls the whole run back: a directory that fails midway or a killed process leaves
// the store as it was. The run's record says what was committed: a success is recorded in the
// transaction of its changes (a process killed after the commit leaves "succeeded" with its
// counts); a failed or refused run records zero changes (its rejections still count), and a
// process killed before the commit leaves "running", which the next run marks interrupted.
package syncer
