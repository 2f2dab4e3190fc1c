package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// BenchmarkCLIUserList measures `sspr user list` over 100,000 users in SQLite, in process: the
// configuration read, the store opened, every user written (to io.Discard) as the format asks.
//
//	go test -run '^$' -bench CLIUserList -benchtime 5x ./cmd/sspr/
func BenchmarkCLIUserList(b *testing.B) {
	dir := b.TempDir()
	db := filepath.Join(dir, "sspr.db")
	const n = 100_000
	st, err := sqlite.Open(b.Context(), db)
	if err != nil {
		b.Fatal(err)
	}
	tx, err := st.BeginSync(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		mobile := fmt.Sprintf("+1 425%03d%04d", 200+i/10000, i%10000)
		u := store.User{Source: store.SourceDirectory, Anchor: fmt.Appendf(nil, "anchor-%08d", i),
			DN: fmt.Sprintf("uid=user%06d,ou=Staff,dc=contoso,dc=com", i), UserPrincipalName: fmt.Sprintf("user%06d@contoso.com", i),
			DisplayName: fmt.Sprintf("User %06d", i), AccountEnabled: true,
			MobilePhone:     store.Phone{Raw: mobile, Number: mobile, Type: "fixedLineOrMobile"},
			OfficePhone:     store.Phone{Raw: "+1 4255550101", Number: "+1 4255550101", Type: "fixedLineOrMobile"},
			AlternateEmails: []string{fmt.Sprintf("user%06d@example.org", i)},
			DirectoryFields: []string{store.FieldUserPrincipalName, store.FieldDisplayName, store.FieldMobilePhone, store.FieldOfficePhone, store.FieldAccountEnabled},
			Fingerprint:     uint64(i)}
		if i%10 == 0 {
			u.MobilePhone, u.OfficePhone, u.AlternateEmails = store.Phone{}, store.Phone{}, nil
		}
		if err := tx.PutUser(b.Context(), &u); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	st.Close()
	cfg := filepath.Join(dir, "sspr.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "store: sqlite://%s\ndirectory:\n  type: openldap\n  file: %s\nlog:\n  level: error\n",
		db, filepath.Join(dir, "none.ldif")), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, args := range [][]string{
		{"-o", "table"},
		{"-o", "csv"},
		{"-o", "json"},
		{"-o", "csv", "--select", "userPrincipalName,mobilePhone"},
		{"-o", "csv", "--readiness", "not-ready"},
	} {
		b.Run(fmt.Sprint(args), func(b *testing.B) {
			for b.Loop() {
				root := newRootCmd()
				root.SetOut(io.Discard)
				root.SetArgs(append([]string{"-c", cfg, "user", "list"}, args...))
				if err := root.ExecuteContext(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(n, "users/op")
		})
	}
}
