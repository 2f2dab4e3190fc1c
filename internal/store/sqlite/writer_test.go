package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// insertSession is a write that stores session id.
func insertSession(id string) func(wconn) error {
	return func(c wconn) error {
		_, err := c.exec(`INSERT INTO sessions (`+sessionColumns+`) VALUES (?, 'reset', NULL, x'', 0, 1, 1)`, id)
		return err
	}
}

// sessions returns which of ids are stored.
func sessions(t *testing.T, s *Store, ids ...string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	for _, id := range ids {
		var one int
		err := s.readRow(t.Context(), `SELECT 1 FROM sessions WHERE id = ?`, id).Scan(&one)
		got[id] = err == nil
	}
	return got
}

func newOp(fn func(wconn) error, many bool) *op {
	o := &op{fn: fn, many: many, done: make(chan error, 1)}
	o.state.Store(opWaiting)
	return o
}

// runBatch runs ops as one batch of the combiner, holding the writer as the combiner does, and
// returns each op's answer.
func runBatch(t *testing.T, s *Store, ops ...*op) []error {
	t.Helper()
	if err := s.wr.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	for pending := ops; len(pending) > 0; {
		pending = s.wr.runTx(pending)
	}
	s.wr.release()
	errs := make([]error, len(ops))
	for i, o := range ops {
		select {
		case errs[i] = <-o.done:
		default:
			t.Fatalf("op %d not answered", i)
		}
	}
	return errs
}

func TestBatchFailuresStayApart(t *testing.T) {
	s := openStore(t)
	if err := s.wr.write(t.Context(), insertSession("taken")); err != nil {
		t.Fatal(err)
	}
	errFn := errors.New("fn failed")
	for _, tc := range []struct {
		name    string
		op      *op
		wantErr func(error) bool
		kept    bool // what the failing op wrote before failing is kept
	}{
		{"constraint", newOp(insertSession("taken"), false), isUniqueViolation, false},
		{"several statements, then an error", newOp(func(c wconn) error {
			if err := insertSession("partial")(c); err != nil {
				return err
			}
			return errFn
		}, true), func(err error) bool { return errors.Is(err, errFn) }, false},
		{"ErrNotFound from a statement that changed nothing", newOp(func(c wconn) error {
			res, err := c.exec(`DELETE FROM sessions WHERE id = 'nobody'`)
			if n, _ := res.RowsAffected(); err == nil && n == 0 {
				return store.ErrNotFound
			}
			return err
		}, false), func(err error) bool { return errors.Is(err, store.ErrNotFound) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, after := "before "+tc.name, "after "+tc.name
			errs := runBatch(t, s, newOp(insertSession(before), false), tc.op, newOp(insertSession(after), true))
			if errs[0] != nil || errs[2] != nil || !tc.wantErr(errs[1]) {
				t.Fatalf("answers %v", errs)
			}
			got := sessions(t, s, before, after, "partial")
			if !got[before] || !got[after] || got["partial"] != tc.kept {
				t.Errorf("stored: %v", got)
			}
		})
	}
}

// TestBatchBrokenTransaction: a write failing with an error that may have ended the transaction
// gets it; the writes run before it in the batch are run again in a new transaction, with those
// after it, and kept.
func TestBatchBrokenTransaction(t *testing.T) {
	s := openStore(t)
	runs := 0
	first := newOp(func(c wconn) error { runs++; return insertSession("first")(c) }, false)
	broken := newOp(func(c wconn) error { _, err := c.exec(`INSERT INTO no_such_table VALUES (1)`); return err }, false)
	last := newOp(insertSession("last"), false)
	errs := runBatch(t, s, first, broken, last)
	if errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("answers %v", errs)
	}
	if runs != 2 {
		t.Errorf("the first write ran %d times, want 2", runs)
	}
	if got := sessions(t, s, "first", "last"); !got["first"] || !got["last"] {
		t.Errorf("stored: %v", got)
	}
}

// TestWriteAbandoned: a caller whose context ends while its write waits gets ctx.Err(), and the
// write is never run.
func TestWriteAbandoned(t *testing.T) {
	s := openStore(t)
	if err := s.wr.acquire(t.Context()); err != nil { // the combiner waits
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- s.wr.write(ctx, insertSession("abandoned")) }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("abandoned write: %v", err)
	}
	s.wr.release()
	if err := s.wr.write(t.Context(), insertSession("later")); err != nil {
		t.Fatal(err)
	}
	if got := sessions(t, s, "abandoned", "later"); got["abandoned"] || !got["later"] {
		t.Errorf("stored: %v", got)
	}
}

// TestWritePanics: a write's panic is raised in its caller; the writes batched with it are kept
// and the store goes on.
func TestWritePanics(t *testing.T) {
	s := openStore(t)
	for _, many := range []bool{false, true} {
		t.Run(fmt.Sprint("many=", many), func(t *testing.T) {
			errs := runBatch(t, s, newOp(insertSession(fmt.Sprint("a", many)), false),
				newOp(func(c wconn) error { insertSession(fmt.Sprint("p", many))(c); panic("boom") }, many),
				newOp(insertSession(fmt.Sprint("b", many)), false))
			var p panicked
			if errs[0] != nil || !errors.As(errs[1], &p) || p.v != "boom" || errs[2] != nil {
				t.Fatalf("answers %v", errs)
			}
			got := sessions(t, s, fmt.Sprint("a", many), fmt.Sprint("p", many), fmt.Sprint("b", many))
			if !got[fmt.Sprint("a", many)] || got[fmt.Sprint("p", many)] || !got[fmt.Sprint("b", many)] {
				t.Errorf("stored: %v", got)
			}
		})
	}
	defer func() {
		if v := recover(); v != "again" {
			t.Errorf("recovered %v, want the write's panic", v)
		}
		if _, err := s.Hit(t.Context(), "k", t0, t0); err != nil {
			t.Errorf("Hit after a panic: %v", err)
		}
	}()
	s.wr.write(t.Context(), func(wconn) error { panic("again") })
}

var t0 = time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)

// TestCloseFailsQueuedWrites: writes waiting when the store closes fail with errClosed, later
// ones at once.
func TestCloseFailsQueuedWrites(t *testing.T) {
	s := openStore(t)
	if err := s.wr.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.wr.write(t.Context(), insertSession("queued")) }()
	for {
		s.wr.qmu.Lock()
		n := len(s.wr.queue)
		s.wr.qmu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	if err := <-errc; !errors.Is(err, errClosed) {
		t.Errorf("queued write: %v", err)
	}
	s.wr.release()
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := s.Hit(t.Context(), "k", t0, t0); !errors.Is(err, errClosed) {
		t.Errorf("Hit after Close: %v", err)
	}
	if _, err := s.BeginSync(t.Context()); !errors.Is(err, errClosed) {
		t.Errorf("BeginSync after Close: %v", err)
	}
}

// TestWritesWaitForSyncTx: the flows' writes wait while a SyncTx holds the writer, and go
// through once it commits.
func TestWritesWaitForSyncTx(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	tx, err := s.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	done := make(chan error, 1)
	go func() {
		_, err := s.Hit(ctx, "k", t0, t0)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Hit returned (%v) while a SyncTx held the writer", err)
	case <-time.After(50 * time.Millisecond):
	}
	u := store.User{Source: store.SourceDirectory, Anchor: []byte("a"), UserPrincipalName: "a@example.com"}
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Hit after the SyncTx: %v", err)
	}
}
