package storecopy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/store/storecopy"
	"github.com/sspr/sspr/internal/testenv"
)

// BenchmarkCopy measures sspr store copy of a large SQLite store into PostgreSQL: users
// (SSPR_COPY_BENCH_USERS, default 100000) synced from a directory, a tenth of them with two
// security answers, two audit events per user, and a queued message per hundred users; b.N
// copies (scripts/storecopy-bench.sh: -benchtime 3x) into new databases, each printed with the
// load average before and after, then the median. The store is made once per process.
func BenchmarkCopy(b *testing.B) {
	ctx := b.Context()
	path := filepath.Join(b.TempDir(), "sspr.db")
	if keep := os.Getenv("SSPR_COPY_BENCH_STORE"); keep != "" {
		path = keep // kept, e.g. to time sspr store copy itself; made when missing
	}
	if _, err := os.Stat(path); err != nil {
		if err := makeStore(ctx, b, path, envInt(b, "SSPR_COPY_BENCH_USERS", 100000)); err != nil {
			b.Fatal(err)
		}
	}
	var times []time.Duration
	for b.Loop() {
		b.StopTimer()
		dsn := testenv.PostgresDSN(b)
		before := loadavg()
		b.StartTimer()
		res, err := storecopy.SQLiteToPostgres(ctx, path, dsn, storecopy.Options{})
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		var per []string
		for _, c := range res.Tables {
			rows += c.Target
			if c.Duration >= 100*time.Millisecond {
				per = append(per, fmt.Sprintf("%s %s", c.Table, c.Duration.Round(10*time.Millisecond)))
			}
		}
		b.Logf("run %d: %s for %d rows (%s; load average before %s, after %s)", len(times)+1, res.Duration.Round(time.Millisecond), rows,
			strings.Join(per, ", "), before, loadavg())
		times = append(times, res.Duration)
	}
	slices.Sort(times)
	b.Logf("median of %d: %s (range %s to %s)", len(times), times[len(times)/2].Round(time.Millisecond),
		times[0].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
}

// makeStore makes the SQLite store that BenchmarkCopy copies.
func makeStore(ctx context.Context, b *testing.B, path string, users int) error {
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	tx, err := s.BeginSync(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, users)
	for i := range users {
		u := store.User{Source: store.SourceDirectory, Anchor: []byte(fmt.Sprintf("anchor-%08d", i)),
			DN: fmt.Sprintf("uid=user%d,ou=Staff,dc=contoso,dc=com", i), UserPrincipalName: fmt.Sprintf("user%d@contoso.com", i),
			DisplayName: fmt.Sprintf("User %d", i), AccountEnabled: true, Fingerprint: uint64(i) * 2654435761,
			MobilePhone:     store.Phone{Raw: fmt.Sprintf("+1 425 555 %04d", i%10000), Number: fmt.Sprintf("+1 425555%04d", i%10000), Type: "mobile"},
			AlternateEmails: []string{fmt.Sprintf("user%d@example.net", i)}, DirectoryFields: []string{"officePhone", "mobilePhone"}}
		if err := tx.PutUser(ctx, &u); err != nil {
			return err
		}
		ids[i] = u.ID
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < users; i += 10 {
		if err := s.SetSecurityAnswers(ctx, ids[i], []store.SecurityAnswer{
			{QuestionKey: "firstPet", Hash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"},
			{QuestionKey: "birthCity", Hash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdDJzYWx0MnM$aGFzaDJoYXNoMmhhc2gyaGFzaDJoYXNoMmhhc2gyaA"}}, at); err != nil {
			return err
		}
	}
	const batch = 10000
	for from := 0; from < 2*users; from += batch {
		if err := s.Update(ctx, func(tx store.UsersTx) error {
			for i := from; i < min(from+batch, 2*users); i++ {
				u := i % users
				if err := tx.AppendAudit(ctx, &store.AuditEvent{Time: at.Add(time.Duration(i) * time.Second), Type: "reset.code.sent",
					Actor: "user", UserID: ids[u], UserPrincipalName: fmt.Sprintf("user%d@contoso.com", u), ClientIP: "192.0.2.7",
					UserAgent: "Mozilla/5.0", Details: map[string]string{"method": "sms", "to": "+1 ••••••0100"}}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	for i := 0; i < users; i += 100 {
		if err := s.Enqueue(ctx, &store.Message{Channel: "sms", To: "+14255550100", Body: make([]byte, 200), NextAttemptAt: at}); err != nil {
			return err
		}
	}
	if err := s.Close(); err != nil {
		return err
	}
	st, _ := os.Stat(path)
	b.Logf("source: %d users, %d with security answers, %d audit events, %d messages; %.1f MB; made in %s",
		users, (users+9)/10, 2*users, (users+99)/100, float64(st.Size())/1e6, time.Since(start).Round(time.Millisecond))
	return nil
}

func envInt(t testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// loadavg is the first three fields of /proc/loadavg ("?" where there is none).
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
