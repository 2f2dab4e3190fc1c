// Package audit makes the audit log tamper-evident and checks it.
//
// Every event the store appends gets the next number in the chain (Seq 1, 2, ...) and a keyed
// hash (HMAC-SHA256) over the previous event's hash, its own number and a digest of its content:
//
//	Hash(n) = HMAC(key, Hash(n-1) ‖ be64(n) ‖ SHA-256(canonical content of event n))
//
// The key is derived from the server secret with the purpose label Purpose, so that whoever can
// edit the database but does not hold the secret cannot rewrite an event, remove one or renumber
// the rest without Verify noticing. The store keeps the chain's head (the last Seq and Hash) and
// its anchor (where the chain starts: Seq 0 and 32 zero bytes when the chain began, or the last
// event pruned by the retention, signed with the key) in one row that every append updates in
// the same transaction as its insert, which also serializes appends of several instances.
//
// Events written before the chain existed (before the store's migration) have no Seq; they are
// counted but not checked. Verify walks from the anchor to the head and reports the first broken
// link: a changed event, a gap in the numbers (deleted events), events missing at the end, an
// anchor that the key did not sign, or an event without a place in the chain.
//
// What the chain cannot show alone: someone holding the database who deletes the newest events
// and moves the head back to the last one kept. Keep the head that Verify prints somewhere else
// (a ticket, a log shipped off the host) to close that gap.
package audit
