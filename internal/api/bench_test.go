package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// SeedUsers stores n directory users as a sync would: a mobile, an office phone, an alternate
// email; every tenth user has an unusable mobile, no office phone and no email (not ready).
func SeedUsers(tb testing.TB, st store.Store, n int) {
	tb.Helper()
	ctx := tb.Context()
	tx, err := st.BeginSync(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	for i := range n {
		u := store.User{Source: store.SourceDirectory, Anchor: fmt.Appendf(nil, "anchor-%08d", i),
			DN: fmt.Sprintf("uid=user%06d,ou=Staff,dc=contoso,dc=com", i), UserPrincipalName: fmt.Sprintf("user%06d@contoso.com", i),
			DisplayName: fmt.Sprintf("User %06d", i), AccountEnabled: true,
			MobilePhone:          store.Phone{Raw: fmt.Sprintf("+1 425 %03d %04d", 200+i/10000, i%10000), Number: fmt.Sprintf("+1 425%03d%04d", 200+i/10000, i%10000), Type: "fixedLineOrMobile"},
			OfficePhone:          store.Phone{Raw: "+1 425 555 0101", Number: "+1 4255550101", Type: "fixedLineOrMobile"},
			AlternateEmails:      []string{fmt.Sprintf("user%06d@example.org", i)},
			DirectoryFields:      []string{store.FieldUserPrincipalName, store.FieldDisplayName, store.FieldMobilePhone, store.FieldOfficePhone, store.FieldAccountEnabled},
			DirectoryMobilePhone: fmt.Sprintf("+1 425 %03d %04d", 200+i/10000, i%10000), Fingerprint: uint64(i)}
		if i%10 == 0 {
			u.MobilePhone = store.Phone{Raw: "call me", Problem: "invalid character"}
			u.OfficePhone, u.AlternateEmails = store.Phone{}, nil
		}
		if err := tx.PutUser(ctx, &u); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// discard is a ResponseWriter that counts bytes: the benchmark measures the server, not a client.
type discard struct {
	h     http.Header
	n     int
	code  int
	calls int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(b []byte) (int, error) { d.n += len(b); d.calls++; return len(b), nil }

// BenchmarkAPIListUsers measures GET /api/v1/users over 100,000 users on SQLite, token check
// included:
//
//	go test -run '^$' -bench APIListUsers -benchtime 10x ./internal/api/
func BenchmarkAPIListUsers(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "sspr.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	const n = 100_000
	SeedUsers(b, st, n)
	norm, _ := phone.NewNormalizer("")
	a := api.New(st, admin.New(st, norm, nil), nil, api.Config{})
	secret, tok, err := api.NewToken("bench", []string{api.ScopeUsersRead}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateToken(b.Context(), &tok); err != nil {
		b.Fatal(err)
	}
	// The store's own share: the same listing with nothing done per user.
	b.Run("store-only", func(b *testing.B) {
		for b.Loop() {
			if err := st.ListUsers(b.Context(), store.UserFilter{}, func(store.User) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(n, "users/op")
	})
	for _, bc := range []struct {
		name, query string
		users       int
	}{
		{"all", "", n},
		{"select=userPrincipalName,mobilePhone", "?select=userPrincipalName,mobilePhone", n},
		{"readiness=notReady", "?readiness=notReady", n / 10},
		{"limit=1000", "?limit=1000&after=user050000@contoso.com", 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var bytes int
			for b.Loop() {
				req := httptest.NewRequest("GET", "/api/v1/users"+bc.query, nil)
				req.Header.Set("Authorization", "Bearer "+secret)
				w := &discard{h: http.Header{}}
				a.ServeHTTP(w, req)
				if w.code != 0 && w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
				bytes = w.n
			}
			b.ReportMetric(float64(bc.users), "users/op")
			b.ReportMetric(float64(bytes)/1e6, "MB/op")
		})
	}
}
