package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/report"
)

// TestExplain runs `sspr explain` for a ready user, a user who is not ready, a locked-out user
// and an unknown name, on both stores.
func TestExplain(t *testing.T) {
	storeBackends(t, func(t *testing.T, d *testDir) {
		mustRun(t, d.cfg, "sync")

		r := mustRun(t, d.cfg, "explain", "alice")
		for _, want := range []string{"1. In scope", "2. Enabled", "Privileged", `mobilePhone "+1 425 555 0100" → +1 4255550100`,
			"officePhone \"+1 (425) 555-0101 x2345\" → +1 4255550101", "Methods the flow offers", "sms to +1", "Throttles",
			"failed proofs: 0 of 5", "READY: a reset started now can be completed"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("explain alice lacks %q:\n%s", want, r.stdout)
			}
		}

		r = mustRun(t, d.cfg, "explain", "mallory")
		if !strings.Contains(r.stdout, "NOT READY: needs 1 method, has 0") {
			t.Errorf("explain mallory:\n%s", r.stdout)
		}

		// Locked out: five failed proofs lock the user (what the reset flow writes).
		st := d.openAdminStore(t)
		u, err := st.UserByUPN(context.Background(), "carol")
		if err != nil {
			t.Fatal(err)
		}
		until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		if err := st.Lock(context.Background(), "u:"+u.ID+":failed", until); err != nil {
			t.Fatal(err)
		}
		r = mustRun(t, d.cfg, "explain", "carol", "-o", "json")
		var x report.Explanation
		if err := json.Unmarshal([]byte(r.stdout), &x); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if x.Ready || !strings.Contains(x.Missing, "locked out") || !strings.Contains(r.stdout, "LOCKED until "+until.Format(time.RFC3339)) {
			t.Errorf("explain carol (locked): %+v", x)
		}

		r = run(t, d.cfg, "explain", "nobody@contoso.com")
		if r.code != exitError || !strings.Contains(r.stderr, `no user "nobody@contoso.com"`) {
			t.Errorf("explain of an unknown name:\n%s", r)
		}
	})
}
