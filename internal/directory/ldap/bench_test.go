package ldap_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/ldap"
	"github.com/sspr/sspr/internal/ldapconn"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/testenv"
)

// counter is a Handler that only counts (the reader's own cost).
type counter struct{ upserts, present, rejects int }

func (c *counter) Upsert(context.Context, directory.Record) error { c.upserts++; return nil }
func (c *counter) Present(context.Context, []byte) error          { c.present++; return nil }
func (c *counter) Delete(context.Context, []byte) error           { return nil }
func (c *counter) Reject(context.Context, directory.Rejection) error {
	c.rejects++
	return nil
}

// BenchmarkOpenLDAP reads N users (SSPR_BENCH_USERS, default 100000) from a throwaway slapd:
//
//	go test ./internal/directory/ldap -run '^$' -bench OpenLDAP -benchtime 3x
//
// The slapd runs the syncprov overlay. full: a full read; sync0 and sync100: a delta by
// content synchronization (RFC 4533) with no change and with 100 changed users; enum0 and
// enum100: the same deltas from a watermark without cookies (the path of a server without
// syncprov: changed users by modifyTimestamp, then an enumeration of every anchor);
// ldapsearch: the same attributes dumped by `ldapsearch -E pr=1000/noprompt` to /dev/null,
// for comparison.
func BenchmarkOpenLDAP(b *testing.B) {
	n := 100000
	if v := os.Getenv("SSPR_BENCH_USERS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	users := slapd.SampleUsers(n, "example.com")
	for i := range users {
		users[i].Attrs = map[string][]string{"modifyTimestamp": {"20200101000000Z"}}
	}
	t0 := time.Now()
	s := testenv.Slapd(b, slapd.Options{LDIF: [][]byte{slapd.UsersLDIF(suffix, users)}, NoSync: true, SyncProv: true})
	b.Logf("%d users loaded and slapd started in %s", n, time.Since(t0).Round(time.Millisecond))

	r, err := ldap.New(ldap.Config{Kind: directory.OpenLDAP,
		Endpoint: ldapconn.Endpoint{URL: s.URL, AllowInsecure: true, BindDN: s.AdminDN, BindPassword: secret.Value(s.AdminPassword)},
		BaseDNs:  []string{suffix}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	full, err := r.Read(ctx, "", &counter{})
	if err != nil {
		b.Fatal(err)
	}

	b.Run("ldapsearch", func(b *testing.B) {
		if _, err := exec.LookPath("ldapsearch"); err != nil {
			b.Skip("no ldapsearch")
		}
		args := []string{"-x", "-LLL", "-H", s.URL, "-D", s.AdminDN, "-w", s.AdminPassword, "-b", suffix,
			"-E", "pr=1000/noprompt", "(objectClass=inetOrgPerson)", "entryUUID", "pwdAccountLockedTime", "uid",
			"displayName", "mobile", "telephoneNumber", "modifyTimestamp"}
		for i := 0; i < b.N; i++ {
			cmd := exec.Command("ldapsearch", args...)
			cmd.Stdout = nil // /dev/null
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			c := &counter{}
			if _, err := r.Read(ctx, "", c); err != nil {
				b.Fatal(err)
			}
			if c.upserts != n {
				b.Fatalf("%d upserts", c.upserts)
			}
		}
	})
	// The watermark of a server without syncprov: no cookies.
	var w map[string]any
	if err := json.Unmarshal([]byte(full.Watermark), &w); err != nil {
		b.Fatal(err)
	}
	delete(w, "cookies")
	noCookies, _ := json.Marshal(w)
	delta := func(name, watermark string, changed int) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c := &counter{}
				res, err := r.Read(ctx, watermark, c)
				if err != nil {
					b.Fatal(err)
				}
				present := n - changed
				if res.Complete != (c.present > 0) || (res.Complete && c.present != present) || c.upserts != changed || res.Full {
					b.Fatalf("%+v %+v", c, res)
				}
			}
		})
	}
	delta("sync0", full.Watermark, 0)
	delta("enum0", string(noCookies), 0)
	conn, err := goldap.DialURL(s.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(s.AdminDN, s.AdminPassword); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		m := goldap.NewModifyRequest(slapd.UserDN(suffix, users[i*(n/100)].UID), nil)
		m.Replace("displayName", []string{fmt.Sprintf("Changed %d", i)})
		if err := conn.Modify(m); err != nil {
			b.Fatal(err)
		}
	}
	delta("sync100", full.Watermark, 100)
	delta("enum100", string(noCookies), 100)
}
