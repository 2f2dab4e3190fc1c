package reminder_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/reminder"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

const publicURL = "https://sspr.example.com/"

var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// claim is one reminder a runner claimed (and so queued).
type claim struct {
	User      string
	ExpiresAt time.Time
	Threshold int
}

// recorder wraps a store and records the claims that won, with the time they were made.
type recorder struct {
	reminder.Store
	mu     sync.Mutex
	claims []claim
	at     []time.Time
}

func (r *recorder) ClaimReminder(ctx context.Context, id string, exp time.Time, th int, at time.Time) (bool, error) {
	ok, err := r.Store.ClaimReminder(ctx, id, exp, th, at)
	if ok {
		r.mu.Lock()
		r.claims = append(r.claims, claim{id, exp.UTC(), th})
		r.at = append(r.at, at)
		r.mu.Unlock()
	}
	return ok, err
}

// outbox records the queued messages.
type outbox struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (o *outbox) Send(_ context.Context, m notify.Message) (int64, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return int64(len(o.msgs)), nil
}

func (o *outbox) to(addr string) []notify.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []notify.Message
	for _, m := range o.msgs {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

var start = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func day(d float64) time.Time { return start.Add(time.Duration(d * float64(24*time.Hour))) }

func ptr[T any](v T) *T { return &v }

func user(n string, enabled bool, exp *time.Time) store.User {
	return store.User{Source: store.SourceDirectory, Anchor: []byte("anchor-" + n), DN: "cn=" + n + ",dc=example,dc=com",
		UserPrincipalName: n + "@example.com", DisplayName: n, AccountEnabled: enabled, PasswordExpiresAt: exp,
		AuthenticationEmail: n + "@mail.example.org"}
}

func putUsers(t *testing.T, s store.Store, users ...*store.User) {
	t.Helper()
	tx, err := s.BeginSync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, u := range users {
		if err := tx.PutUser(t.Context(), u); err != nil {
			t.Fatalf("PutUser %s: %v", u.UserPrincipalName, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func policy() reminder.Policy {
	return reminder.Policy{Channels: []string{"email", "sms"}, QuietHours: "21:00-08:00", TimeZone: "Europe/Berlin"}
}

func newRunner(t *testing.T, s reminder.Store, o *outbox) *reminder.Runner {
	t.Helper()
	r, err := reminder.New(s, o, policy(), publicURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const step = 10 * time.Minute

// TestThirtyDays runs reminders every 10 minutes over 30 simulated days, restarting the runner
// half-way: each threshold is sent once per user and expiry, none in quiet hours, none for the
// old expiry after a password change, none to disabled users or passwords that do not expire or
// have expired.
func TestThirtyDays(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	aliceExp := time.Date(2026, 12, 21, 23, 30, 0, 0, berlin) // thresholds reached in quiet hours
	alice := user("alice", true, &aliceExp)
	alice.AlternateEmails = []string{"Alice@Mail.Example.org", "alice@home.example.net"} // a repeat and one more
	bob := user("bob", false, ptr(day(10)))                                              // disabled
	carol := user("carol", true, nil)                                                    // never expires
	dave := user("dave", true, ptr(day(-1)))                                             // expired
	erin := user("erin", true, ptr(day(10).Add(9*time.Hour)))                            // sms only
	erin.AuthenticationEmail = ""
	erin.AuthenticationPhone = "+49 1511234567"
	frank := user("frank", true, ptr(day(15).Add(12*time.Hour)))
	putUsers(t, s, &alice, &bob, &carol, &dave, &erin, &frank)
	frankOld := *frank.PasswordExpiresAt
	frankNew := day(25).Add(12 * time.Hour)

	rec := &recorder{Store: s}
	o := &outbox{}
	r := newRunner(t, rec, o)
	for now := start; now.Before(day(30)); now = now.Add(step) {
		if now.Equal(day(5)) { // frank changes his password: the sync reads a new expiry
			frank.PasswordExpiresAt = &frankNew
			frank.Version = 0
			putUsers(t, s, &frank)
		}
		if now.Equal(day(15)) { // a restart
			r = newRunner(t, rec, o)
		}
		if _, err := r.Run(ctx, now); err != nil {
			t.Fatalf("Run at %v: %v", now, err)
		}
	}

	var want []claim
	for _, th := range []int{14, 7, 3, 1} {
		want = append(want, claim{alice.ID, aliceExp.UTC(), th}, claim{erin.ID, erin.PasswordExpiresAt.UTC(), th},
			claim{frank.ID, frankNew, th})
	}
	want = append(want, claim{frank.ID, frankOld, 14})
	key := func(c claim) string { return fmt.Sprintf("%s %d %d", c.User, c.ExpiresAt.Unix(), c.Threshold) }
	var got, wantKeys []string
	for _, c := range rec.claims {
		got = append(got, key(c))
	}
	for _, c := range want {
		wantKeys = append(wantKeys, key(c))
	}
	slices.Sort(got)
	slices.Sort(wantKeys)
	if !slices.Equal(got, wantKeys) {
		t.Errorf("claims\n got %q\nwant %q", got, wantKeys)
	}
	for _, at := range rec.at {
		if h := at.In(berlin).Hour(); h >= 21 || h < 8 {
			t.Errorf("a reminder at %v, in quiet hours", at.In(berlin))
		}
	}

	tests := []struct {
		to       string
		subjects []string // email; nil for sms
		n        int
	}{
		{"alice@mail.example.org", []string{"in 14 days", "in 7 days", "in 3 days", "in 1 day"}, 4},
		{"alice@home.example.net", nil, 4},
		{"Alice@Mail.Example.org", nil, 0}, // the same address as the authentication email
		{"bob@mail.example.org", nil, 0},
		{"carol@mail.example.org", nil, 0},
		{"dave@mail.example.org", nil, 0},
		{"+491511234567", nil, 4},
		{"frank@mail.example.org", []string{"in 14 days", "in 14 days", "in 7 days", "in 3 days", "in 1 day"}, 5},
	}
	for _, tc := range tests {
		ms := o.to(tc.to)
		if len(ms) != tc.n {
			t.Errorf("%s: %d messages, want %d", tc.to, len(ms), tc.n)
			continue
		}
		for i, m := range ms {
			if !strings.Contains(m.Body, "https://sspr.example.com/change") {
				t.Errorf("%s: message %d has no link to /change: %q", tc.to, i, m.Body)
			}
			if tc.subjects != nil && !strings.HasSuffix(m.Subject, tc.subjects[i]) {
				t.Errorf("%s: message %d subject %q, want ...%s", tc.to, i, m.Subject, tc.subjects[i])
			}
		}
	}
}

// TestTwoInstancesOnePostgres: two runners on two connections to one PostgreSQL database,
// running concurrently over the same 30 days, send each reminder exactly once between them.
func TestTwoInstancesOnePostgres(t *testing.T) {
	ctx := t.Context()
	dsn := testenv.PostgresDSN(t)
	var stores [2]*postgres.Store
	for i := range stores {
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	var users []*store.User
	for i := range 20 {
		u := user(fmt.Sprintf("u%02d", i), true, ptr(day(5+float64(i)).Add(time.Duration(i)*time.Hour)))
		users = append(users, &u)
	}
	putUsers(t, stores[0], users...)

	o := &outbox{}
	var wg sync.WaitGroup
	recs := [2]*recorder{{Store: stores[0]}, {Store: stores[1]}}
	for i := range 2 {
		r := newRunner(t, recs[i], o)
		wg.Go(func() {
			for now := start; now.Before(day(30)); now = now.Add(step) {
				if _, err := r.Run(ctx, now); err != nil {
					t.Errorf("runner %d at %v: %v", i, now, err)
					return
				}
			}
		})
	}
	wg.Wait()
	seen := map[claim]bool{}
	for _, rec := range recs {
		for _, c := range rec.claims {
			if seen[c] {
				t.Errorf("claimed twice: %+v", c)
			}
			seen[c] = true
		}
	}
	// Every user's expiry is 5 to 24 days away at the start: each reaches every threshold
	// not already passed at the first run out of quiet hours (08:00 in Berlin), except that
	// those reached by then count once.
	first := time.Date(2026, 12, 1, 8, 0, 0, 0, berlin)
	want := 0
	for _, u := range users {
		left := u.PasswordExpiresAt.Sub(first)
		n := 0
		passed := false
		for _, th := range []int{1, 3, 7, 14} {
			if left > time.Duration(th)*24*time.Hour {
				n++
			} else if !passed {
				n++ // the nearest threshold reached at the start
				passed = true
			}
		}
		want += n
		got := 0
		for c := range seen {
			if c.User == u.ID {
				got++
			}
		}
		if got != n {
			t.Logf("%s exp %v: %d claims, want %d", u.UserPrincipalName, u.PasswordExpiresAt, got, n)
		}
	}
	if len(seen) != want || len(o.msgs) != want {
		t.Errorf("%d reminders claimed, %d queued, want %d each", len(seen), len(o.msgs), want)
	}
}
