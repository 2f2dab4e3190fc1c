package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

// backend is a store with a key and a side door to its database, to tamper with it.
type backend struct {
	store.Store
	// exec runs a statement written with ? placeholders directly on the database.
	exec func(t *testing.T, q string, args ...any)
}

var key = []byte("0123456789abcdef0123456789abcdef")

func backends(t *testing.T, fn func(t *testing.T, open func(t *testing.T) backend)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, func(t *testing.T) backend {
			path := filepath.Join(t.TempDir(), "sspr.db")
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			s.SetAuditKey(key)
			db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return backend{s, func(t *testing.T, q string, args ...any) {
				t.Helper()
				if _, err := db.Exec(q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}}
		})
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, func(t *testing.T) backend {
			dsn := testenv.PostgresDSN(t)
			s, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			s.SetAuditKey(key)
			c, err := pgx.Connect(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close(context.Background()) })
			return backend{s, func(t *testing.T, q string, args ...any) {
				t.Helper()
				for i := 1; strings.Contains(q, "?"); i++ {
					q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
				}
				if _, err := c.Exec(t.Context(), q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}}
		})
	})
}

// TestVerifyFindsTampering writes five events, changes the database behind the store's back
// as the case says, and checks the first broken link Verify reports.
func TestVerifyFindsTampering(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		tamper func(t *testing.T, b backend, ev []store.AuditEvent)
		broken int    // index of the event reported; -1: none (ID 0); -2: the chain holds
		says   string // in the problem
	}{
		{"untouched", func(*testing.T, backend, []store.AuditEvent) {}, -2, ""},
		{"a detail edited", func(t *testing.T, b backend, ev []store.AuditEvent) {
			b.exec(t, `UPDATE audit_events SET details = '{"outcome":"done"}' WHERE id = ?`, ev[2].ID)
		}, 2, "does not match its hash"},
		{"the actor edited", func(t *testing.T, b backend, ev []store.AuditEvent) {
			b.exec(t, `UPDATE audit_events SET actor = 'system' WHERE id = ?`, ev[1].ID)
		}, 1, "does not match its hash"},
		{"the user edited", func(t *testing.T, b backend, ev []store.AuditEvent) {
			b.exec(t, `UPDATE audit_events SET user_principal_name = 'mallory@example.org' WHERE id = ?`, ev[3].ID)
		}, 3, "does not match its hash"},
		{"the hash rewritten", func(t *testing.T, b backend, ev []store.AuditEvent) {
			b.exec(t, `UPDATE audit_events SET hash = ? WHERE id = ?`, make([]byte, 32), ev[0].ID)
		}, 0, "does not match its hash"},
		{"an event in the middle deleted", func(t *testing.T, b backend, ev []store.AuditEvent) {
			b.exec(t, `DELETE FROM audit_events WHERE id = ?`, ev[2].ID)
		}, 3, "seq 3 is missing (deleted)"},
		{"the rest renumbered after a delete", func(t *testing.T, b backend, ev []store.AuditEvent) {
			b.exec(t, `DELETE FROM audit_events WHERE id = ?`, ev[2].ID)
			b.exec(t, `UPDATE audit_events SET seq = seq - 1 WHERE seq > 3`)
		}, 3, "does not match its hash"},
		{"the newest deleted", func(t *testing.T, b backend, ev []store.AuditEvent) {
			b.exec(t, `DELETE FROM audit_events WHERE id = ?`, ev[4].ID)
		}, -1, "seq 5 is missing"},
		{"the anchor moved", func(t *testing.T, b backend, ev []store.AuditEvent) {
			b.exec(t, `DELETE FROM audit_events WHERE seq <= 2`)
			b.exec(t, `UPDATE audit_chain SET anchor_seq = 2, anchor_hash = ?, anchor_mac = ?`, ev[1].Hash, make([]byte, 32))
		}, -1, "anchor (seq 2, the last event pruned) is not signed"},
		{"an event inserted around the store", func(t *testing.T, b backend, ev []store.AuditEvent) {
			b.exec(t, `INSERT INTO audit_events (at, type) VALUES (?, 'reset.done')`, t0)
		}, -1, "has no place in the chain"},
	}
	backends(t, func(t *testing.T, open func(t *testing.T) backend) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b := open(t)
				ev := make([]store.AuditEvent, 5)
				for i := range ev {
					ev[i] = store.AuditEvent{Time: t0.Add(time.Duration(i) * time.Minute), Type: "reset.started", Actor: "user",
						UserPrincipalName: "alice@example.org", ClientIP: "192.0.2.7", Details: map[string]string{"outcome": "failedProof"}}
					if err := b.AppendAudit(t.Context(), &ev[i]); err != nil {
						t.Fatal(err)
					}
				}
				c.tamper(t, b, ev)
				r, err := audit.Verify(t.Context(), b, key)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case c.broken == -2:
					if r.Broken != nil || r.Checked != 5 {
						t.Errorf("untouched: checked %d, broken %v", r.Checked, r.Broken)
					}
					return
				case r.Broken == nil:
					t.Fatalf("not found (checked %d)", r.Checked)
				case c.broken >= 0 && (r.Broken.ID != ev[c.broken].ID || !r.Broken.Time.Equal(ev[c.broken].Time)):
					t.Errorf("broken at %+v, want event %d (%d)", r.Broken, c.broken, ev[c.broken].ID)
				case c.broken == -1 && r.Broken.Seq == 0 && r.Broken.ID == 0:
					t.Errorf("broken at %+v: no place given", r.Broken)
				}
				if !strings.Contains(r.Broken.String(), c.says) {
					t.Errorf("problem %q, want it to say %q", r.Broken, c.says)
				}
			})
		}
	})
}

// TestVerifyAfterPrune: the retention's prune keeps the chain verifiable, and an edit after it
// is still found.
func TestVerifyAfterPrune(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	backends(t, func(t *testing.T, open func(t *testing.T) backend) {
		b := open(t)
		var ev []store.AuditEvent
		for i := range 20 {
			e := store.AuditEvent{Time: t0.Add(time.Duration(i) * time.Hour), Type: "reset.started", Actor: "user"}
			if err := b.AppendAudit(t.Context(), &e); err != nil {
				t.Fatal(err)
			}
			ev = append(ev, e)
		}
		if n, err := b.PruneAudit(t.Context(), t0.Add(10*time.Hour)); err != nil || n != 10 {
			t.Fatalf("PruneAudit: %d, %v", n, err)
		}
		r, err := audit.Verify(t.Context(), b, key)
		if err != nil || r.Broken != nil || r.Checked != 10 || r.Chain.AnchorSeq != 10 {
			t.Fatalf("after the prune: %+v %v", r, err)
		}
		b.exec(t, `UPDATE audit_events SET type = 'reset.done' WHERE id = ?`, ev[15].ID)
		if r, err := audit.Verify(t.Context(), b, key); err != nil || r.Broken == nil || r.Broken.ID != ev[15].ID {
			t.Errorf("an edit after the prune: %+v %v", r.Broken, err)
		}
	})
}

func TestDigestSeparatesFields(t *testing.T) {
	base := store.AuditEvent{Time: time.Unix(1, 0), Type: "a", Actor: "b", Details: map[string]string{"k": "v"}}
	moved := base
	moved.Type, moved.Actor = "ab", ""
	if audit.Digest(base) == audit.Digest(moved) {
		t.Error("moving text from one field to the next keeps the digest")
	}
	nilDetails, emptyDetails := base, base
	nilDetails.Details, emptyDetails.Details = nil, map[string]string{}
	if audit.Digest(nilDetails) != audit.Digest(emptyDetails) {
		t.Error("nil and empty details differ (the stores read both back as nil)")
	}
	if audit.Digest(base) != audit.Digest(store.AuditEvent{Time: time.Unix(1, 999), Type: "a", Actor: "b", Details: map[string]string{"k": "v"}}) {
		t.Error("nanoseconds the stores do not keep change the digest")
	}
}
