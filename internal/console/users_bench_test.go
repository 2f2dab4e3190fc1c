package console

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/store/storetest"
	"github.com/sspr/sspr/internal/testenv"
)

// BenchmarkUsersList measures the server time of GET /admin/users (signed in, over loopback
// HTTP) on a store of SSPR_BENCH_USERS directory users (default 100,000; storetest's bench
// users: all registered, half privileged), on SQLite and on PostgreSQL, with a filter and a page
// per case. Each iteration is one request; p50 and p99 are reported in milliseconds.
//
//	SSPR_INTEGRATION=1 go test ./internal/console -run '^$' -bench UsersList -benchtime 20x
func BenchmarkUsersList(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("SSPR_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	open := map[string]func(b *testing.B) store.Store{
		"sqlite": func(b *testing.B) store.Store {
			st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "sspr.db"))
			if err != nil {
				b.Fatal(err)
			}
			return st
		},
		"postgres": func(b *testing.B) store.Store {
			st, err := postgres.Open(b.Context(), testenv.PostgresDSN(b))
			if err != nil {
				b.Fatal(err)
			}
			return st
		},
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			st := open[backend](b)
			b.Cleanup(func() { st.Close() })
			storetest.PutBenchUsers(b, st, n)
			f := newFixture(b, st)
			ann := f.browser(b)
			ann.signIn("ann@contoso.com", "ann.private@example.net")
			for _, tc := range []struct{ name, query string }{
				{"firstPage", ""},
				{"search", "q=user0999"},
				{"registeredPage2", "registered=yes&after=user00049@example.com"},
				{"notReady", "readiness=notReady"},
				{"registeredNo", "registered=no"}, // every bench user is registered: a full scan
				{"lockedYes", "locked=yes"},       // nobody is locked: no scan
			} {
				b.Run(tc.name, func(b *testing.B) {
					var lat []time.Duration
					for b.Loop() {
						start := time.Now()
						if status, _, _ := ann.get("/admin/users?" + tc.query); status != http.StatusOK {
							b.Fatalf("%s: %d", tc.query, status)
						}
						lat = append(lat, time.Since(start))
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}
