package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/testenv"
)

// roundTrips counts what the store sends PostgreSQL: each statement outside a batch and each
// batch is one round trip; "begin" statements are the explicit transactions.
type roundTrips struct {
	mu                    sync.Mutex
	queries, batches, txs int
	sent                  []string
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries++
	sql := strings.Join(strings.Fields(d.SQL), " ")
	if strings.EqualFold(sql, "begin") || strings.HasPrefix(strings.ToLower(sql), "begin ") {
		r.txs++
	}
	r.sent = append(r.sent, sql[:min(len(sql), 70)])
	return ctx
}

func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches++
	var b strings.Builder
	fmt.Fprintf(&b, "batch of %d:", d.Batch.Len())
	for _, q := range d.Batch.QueuedQueries {
		sql := strings.Join(strings.Fields(q.SQL), " ")
		fmt.Fprintf(&b, " [%s]", sql[:min(len(sql), 40)])
	}
	r.sent = append(r.sent, b.String())
	return ctx
}

func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// take returns the counts since the last take and starts again.
func (r *roundTrips) take() (queries, batches, txs int, sent []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	queries, batches, txs, sent = r.queries, r.batches, r.txs, r.sent
	r.queries, r.batches, r.txs, r.sent = 0, 0, 0, nil
	return
}

// TestPostgresRoundTripsPerStep counts the round trips each request of a reset sends
// PostgreSQL (round trips are deterministic, unlike time) and holds each step to an upper bound,
// so that none creeps back up. The outbox is the real one; the directory a fake.
//
// Round trips per request, before → after the store's step methods (issue 14):
//
//	first step, known name     9 → 4 → 2 (throttle: lock check + begin/batch/commit → one batch;
//	first step, unknown name   8 → 3 → 2  session and both audit events → one batch; then the
//	                                       name looked up and its recent contact changes read
//	                                       in the throttle's batch: alike for every name)
//	methods page               2 → 1   (session and user → one batch, in every step below too)
//	send                      16 → 6 → 3 (locks of two keys → one statement; code: begin,
//	                                     lock, retire, insert, commit → one batch; session saved
//	                                     with its audit event in one batch; then the code, the
//	                                     outbox message and the audit event written with the
//	                                     session's save, and the locks read in the send
//	                                     throttle's batch)
//	code                       9 → 5   (locks → one statement; the code found and its attempt
//	                                     counted in one batch; session saved with its audit)
//	complete                   9 → 4   (audit, throttles cleared, session ended → one batch)
//
// What is left: code's consumption of the code (after the comparison, which the store cannot
// do); complete's claim of the session before the password write, which must be its own commit.
func TestPostgresRoundTripsPerStep(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	// One connection: every statement is prepared once on it by the warm-up flow, so the
	// measured flow sends no preparation round trips.
	if strings.Contains(dsn, "?") {
		dsn += "&pool_max_conns=1"
	} else if strings.Contains(dsn, "://") {
		dsn += "?pool_max_conns=1"
	} else {
		dsn += " pool_max_conns=1"
	}
	rt := &roundTrips{}
	st, err := postgres.Open(context.Background(), dsn, postgres.WithTracer(rt))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := newStressSite(t, st, 3, time.Millisecond)

	type step struct {
		name, method, path string
		form               func(csrf, code string) url.Values
		want               int // status
		max                int // round trips allowed
	}
	steps := []step{
		{"first step (known name)", "POST", "/reset", func(c, _ string) url.Values {
			return url.Values{"csrf": {c}, "username": {"user0001@contoso.com"}}
		}, http.StatusSeeOther, 2},
		{"methods page", "GET", "/reset/verify", nil, http.StatusOK, 1},
		{"send", "POST", "/reset/send", func(c, _ string) url.Values {
			return url.Values{"csrf": {c}, "option": {"email"}}
		}, http.StatusSeeOther, 3},
		{"code", "POST", "/reset/code", func(c, code string) url.Values {
			return url.Values{"csrf": {c}, "option": {"email"}, "code": {code}}
		}, http.StatusSeeOther, 5},
		{"complete", "POST", "/reset/complete", func(c, _ string) url.Values {
			return url.Values{"csrf": {c}, "password": {"Round-Trips-1!x"}, "confirm": {"Round-Trips-1!x"}}
		}, http.StatusSeeOther, 4},
		{"first step (unknown name)", "POST", "/reset", func(c, _ string) url.Values {
			return url.Values{"csrf": {c}, "username": {"nobody@contoso.com"}}
		}, http.StatusSeeOther, 2},
	}
	run := func(measure bool, user string) {
		jar, _ := cookiejar.New(nil)
		b := &stressBrowser{ctx: t.Context(), url: s.ts.URL, c: &http.Client{Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		_, page, err := b.do("GET", "/reset", nil, http.StatusOK)
		if err != nil {
			t.Fatal(err)
		}
		csrf := html.UnescapeString(csrfRE.FindStringSubmatch(page)[1])
		rt.take()
		for _, sp := range steps {
			var form url.Values
			if sp.form != nil {
				form = sp.form(csrf, s.sent.code(user+"@example.net"))
				if sp.path == "/reset" && !strings.HasPrefix(form.Get("username"), "nobody") {
					form.Set("username", user+"@contoso.com")
				}
			}
			if _, _, err := b.do(sp.method, sp.path, form, sp.want); err != nil {
				t.Fatalf("%s: %v", sp.name, err)
			}
			q, bt, tx, sent := rt.take()
			if !measure {
				continue
			}
			t.Logf("%-26s %2d round trips (%d statements, %d batches), %d explicit transactions:\n    %s",
				sp.name, q+bt, q, bt, tx, strings.Join(sent, "\n    "))
			if q+bt > sp.max {
				t.Errorf("%s: %d round trips, at most %d allowed", sp.name, q+bt, sp.max)
			}
		}
	}
	run(false, "user0000") // warm-up: prepares every statement on the one connection
	s.sent.mu.Lock()
	s.sent.codes = map[string]string{}
	s.sent.mu.Unlock()
	run(true, "user0001")
}
