package storecopy_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/store/storecopy"
	"github.com/sspr/sspr/internal/testenv"
)

// TestCopyKeepsAuditChain: the audit chain (seqs, hashes, the pruned anchor and the head) comes
// over as it was, so that the copy verifies with the same server secret and appends go on.
func TestCopyKeepsAuditChain(t *testing.T) {
	ctx := t.Context()
	key := []byte("0123456789abcdef0123456789abcdef")
	path := filepath.Join(t.TempDir(), "sspr.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.SetAuditKey(key)
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 6 {
		if err := s.AppendAudit(ctx, &store.AuditEvent{Time: t0.Add(time.Duration(i) * time.Hour), Type: "reset.started", Actor: "user",
			Details: map[string]string{"outcome": "done"}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PruneAudit(ctx, t0.Add(2*time.Hour)); err != nil || n != 2 {
		t.Fatalf("prune: %d %v", n, err)
	}
	s.Close()

	dsn := testenv.PostgresDSN(t)
	if _, err := storecopy.SQLiteToPostgres(ctx, path, dsn, storecopy.Options{}); err != nil {
		t.Fatal(err)
	}
	p := openPostgres(t, dsn)
	p.SetAuditKey(key)
	r, err := audit.Verify(ctx, p, key)
	if err != nil || r.Broken != nil || r.Checked != 4 || r.Chain.AnchorSeq != 2 || r.Chain.HeadSeq != 6 {
		t.Fatalf("the copy: %+v %v", r, err)
	}
	e := store.AuditEvent{Type: "reset.done", Actor: "user"}
	if err := p.AppendAudit(ctx, &e); err != nil || e.Seq != 7 {
		t.Fatalf("append after the copy: seq %d, %v", e.Seq, err)
	}
	if r, err := audit.Verify(ctx, p, key); err != nil || r.Broken != nil || r.Checked != 5 {
		t.Errorf("after an append: %+v %v", r.Broken, err)
	}
}
