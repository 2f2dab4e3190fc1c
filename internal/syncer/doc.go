// Package syncer runs full and delta syncs from a directory.Reader into the store.
//
// One run:
//
//	StartRun (recorded outside the transaction, so failures are recorded too)
//	BeginSync → load every stored directory user's (anchor, fingerprint) into a sorted index
//	Reader.Read streams records:
//	    Upsert  → fingerprint unchanged: nothing written; else validate, normalize phones,
//	              merge what the directory does not own, PutUser
//	    Present → mark seen (delta reads)
//	    Reject  → report; a known anchor is kept, never deleted
//	deletions = reported deletes + (complete read) stored users not seen
//	accidental-delete guard: more than DeleteThreshold → roll back, status refused
//	SetSyncState(watermark) → Commit (or Rollback for a dry run)
//	FinishRun
//
// Any error rolls the whole run back: a directory that fails midway or a killed process leaves
// the store as it was.
package syncer
