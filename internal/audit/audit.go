package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// Purpose is the label the chain's key is derived with from the server secret
// (secret.Key.Derive(Purpose)); no other key uses it.
const Purpose = "audit-chain"

// HashSize is the length of a link's hash.
const HashSize = sha256.Size

// Unkeyed is the key of a store opened without the server secret (tests, tools that were given
// none). Anyone can compute it: events hashed with it show accidental edits only, and Verify
// with the real key reports them as changed.
var Unkeyed = func() []byte { h := sha256.Sum256([]byte("sspr audit chain without a server secret")); return h[:] }()

// Genesis is the hash the chain starts from.
var Genesis = make([]byte, HashSize)

// Digest is SHA-256 over e's canonical content: its time (microseconds), type, actor, user ID,
// userPrincipalName, client address, user agent and details (sorted by key), each length-prefixed.
// The ID, which the database assigns, and Seq and Hash are not part of it.
func Digest(e store.AuditEvent) [HashSize]byte {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(e.Time.UnixMicro()))
	h.Write(b[:])
	str := func(s string) {
		binary.BigEndian.PutUint32(b[:4], uint32(len(s)))
		h.Write(b[:4])
		h.Write([]byte(s))
	}
	for _, s := range []string{e.Type, e.Actor, e.UserID, e.UserPrincipalName, e.ClientIP, e.UserAgent} {
		str(s)
	}
	binary.BigEndian.PutUint32(b[:4], uint32(len(e.Details)))
	h.Write(b[:4])
	for _, k := range slices.Sorted(maps.Keys(e.Details)) {
		str(k)
		str(e.Details[k])
	}
	var d [HashSize]byte
	h.Sum(d[:0])
	return d
}

// Link is the hash of the event numbered seq whose content has digest d, after the event whose
// hash is prev: HMAC-SHA256(key, prev ‖ be64(seq) ‖ d).
func Link(key, prev []byte, seq int64, d [HashSize]byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(prev)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seq))
	m.Write(b[:])
	m.Write(d[:])
	return m.Sum(nil)
}

// Pads returns the inner and outer padded keys of HMAC-SHA256 (RFC 2104) for key (at most 64
// bytes), so that a database with only SHA-256 computes Link in the statement that appends:
// sha256(outer ‖ sha256(inner ‖ message)). PostgreSQL does this, which keeps an append one
// statement.
func Pads(key []byte) (inner, outer []byte) {
	if len(key) > sha256.BlockSize {
		panic("audit: key longer than a SHA-256 block")
	}
	inner, outer = make([]byte, sha256.BlockSize), make([]byte, sha256.BlockSize)
	copy(inner, key)
	copy(outer, key)
	for i := range inner {
		inner[i] ^= 0x36
		outer[i] ^= 0x5c
	}
	return inner, outer
}

// AnchorMAC signs an anchor: the last event pruned (seq, its hash) and the time the events
// before it were pruned up to.
func AnchorMAC(key []byte, seq int64, hash []byte, before time.Time) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("anchor"))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seq))
	m.Write(b[:])
	m.Write(hash)
	binary.BigEndian.PutUint64(b[:], uint64(before.UnixMicro()))
	m.Write(b[:])
	return m.Sum(nil)
}

// Chain is what Verify reads from the store.
type Chain interface {
	AuditChain(ctx context.Context) (store.AuditChain, error)
	WalkAuditChain(ctx context.Context, after int64, fn func(store.AuditEvent) error) error
}

// Break is the first broken link Verify found.
type Break struct {
	ID      int64     // the event where the chain breaks; 0 when it breaks at the anchor or the head
	Seq     int64     // its place in the chain
	Time    time.Time // its time; zero with ID 0
	Problem string    // what differs
}

func (b Break) String() string {
	switch {
	case b.ID == 0:
		return b.Problem
	case b.Seq == 0:
		return fmt.Sprintf("event %d: %s", b.ID, b.Problem)
	}
	return fmt.Sprintf("event %d (seq %d, %s): %s", b.ID, b.Seq, b.Time.UTC().Format(time.RFC3339Nano), b.Problem)
}

// Report is the outcome of Verify.
type Report struct {
	Chain   store.AuditChain // anchor and head as the store holds them
	Checked int64            // chained events whose hash was checked
	// Legacy counts the events written before the chain began (not checked).
	Legacy int64
	Broken *Break // nil: the chain holds
}

// errStop ends a walk early.
var errStop = errors.New("audit verify: stop")

// Verify walks the chain from its anchor to its head with key and reports the first broken link.
// An error means the store could not be read, not that the chain is broken. It may run while sspr
// appends and prunes: events appended after it read the head are left for the next run, and a
// walk that a prune overtook (the anchor moved past the first event it expected) starts again.
func Verify(ctx context.Context, c Chain, key []byte) (Report, error) {
	for try := 0; ; try++ {
		r, err := verify(ctx, c, key)
		if err != nil || r.Broken == nil || r.Checked > 0 || try == 2 {
			return r, err
		}
		now, err := c.AuditChain(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("audit verify: %w", err)
		}
		if now.AnchorSeq == r.Chain.AnchorSeq {
			return r, nil
		}
	}
}

func verify(ctx context.Context, c Chain, key []byte) (Report, error) {
	st, err := c.AuditChain(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("audit verify: %w", err)
	}
	r := Report{Chain: st, Legacy: st.Legacy}
	if st.AnchorSeq != 0 && !hmac.Equal(st.AnchorMAC, AnchorMAC(key, st.AnchorSeq, st.AnchorHash, st.AnchorBefore)) {
		r.Broken = &Break{Seq: st.AnchorSeq, Problem: fmt.Sprintf(
			"the chain's anchor (seq %d, the last event pruned) is not signed with this key: it was changed, or the server secret differs", st.AnchorSeq)}
		return r, nil
	}
	prev, want := st.AnchorHash, st.AnchorSeq+1
	var last store.AuditEvent
	err = c.WalkAuditChain(ctx, st.AnchorSeq, func(e store.AuditEvent) error {
		switch {
		case e.Seq > st.HeadSeq && want > st.HeadSeq:
			return errStop // appended since the head was read
		case e.Seq != want:
			r.Broken = &Break{ID: e.ID, Seq: e.Seq, Time: e.Time, Problem: gap(want, e.Seq)}
		case !hmac.Equal(Link(key, prev, e.Seq, Digest(e)), e.Hash):
			r.Broken = &Break{ID: e.ID, Seq: e.Seq, Time: e.Time, Problem: "its content does not match its hash: a field (time, type, actor, user, " +
				"address, user agent or details), its hash or the hash before it was changed after it was written, or the server secret differs"}
		default:
			r.Checked++
			prev, want, last = e.Hash, want+1, e
			return nil
		}
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return Report{}, fmt.Errorf("audit verify: %w", err)
	}
	if r.Broken != nil {
		return r, nil
	}
	switch {
	case want-1 != st.HeadSeq:
		r.Broken = &Break{Seq: want, Problem: fmt.Sprintf("the chain's head says the last event is seq %d, the last one found is seq %d: %s",
			st.HeadSeq, want-1, gap(want, st.HeadSeq+1))}
	case !hmac.Equal(prev, st.HeadHash):
		r.Broken = &Break{ID: last.ID, Seq: last.Seq, Time: last.Time, Problem: "the chain's head holds another hash than this last event"}
	case st.FirstUnchainedID != 0:
		r.Broken = &Break{ID: st.FirstUnchainedID, Problem: fmt.Sprintf(
			"it has no place in the chain (%d such events), though it was written after the chain began: it was inserted around the store, or its seq was cleared",
			st.Unchained)}
	}
	return r, nil
}

// gap describes missing events want to got-1.
func gap(want, got int64) string {
	if got < want {
		return fmt.Sprintf("seq %d comes where seq %d should: events were renumbered or inserted", got, want)
	}
	if got-1 == want {
		return fmt.Sprintf("the event with seq %d is missing (deleted)", want)
	}
	return fmt.Sprintf("the events with seq %d to %d are missing (deleted)", want, got-1)
}
