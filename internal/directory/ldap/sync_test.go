package ldap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/ldap"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/testenv"
)

// syncFixture is the fixture on a slapd with the syncprov overlay (sessionLog as
// slapd.Options.SyncProvSessionLog: 0 default, -1 none).
func syncFixture(t *testing.T, sessionLog int) *slapd.Server {
	t.Helper()
	return testenv.Slapd(t, slapd.Options{LDIF: [][]byte{fixtureLDIF()}, PPolicy: true, SyncProv: true, SyncProvSessionLog: sessionLog})
}

// readAny reads without requiring a complete result.
func readAny(t *testing.T, r *ldap.Reader, since string) (*recorder, directory.Result) {
	t.Helper()
	rec := &recorder{}
	res, err := r.Read(context.Background(), since, rec)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return rec, res
}

// anchors maps the fixture's users (and the rejected nouid) to their anchors.
type anchors map[string][]byte

func anchorsOf(rec *recorder) anchors {
	a := anchors{}
	for _, u := range rec.upserts {
		a[u.UserPrincipalName] = u.Anchor
	}
	for _, r := range rec.rejects {
		a[strings.SplitN(strings.TrimPrefix(r.DN, "cn="), ",", 2)[0]] = r.Anchor
	}
	return a
}

// names turns anchors back into names, sorted; unknown ones are "?".
func (a anchors) names(list [][]byte) []string {
	var out []string
	for _, x := range list {
		name := "?"
		for n, y := range a {
			if bytes.Equal(x, y) {
				name = n
			}
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func cookies(t *testing.T, watermark string) map[string]string {
	t.Helper()
	var w struct {
		Cookies map[string]string `json:"cookies"`
	}
	if err := json.Unmarshal([]byte(watermark), &w); err != nil {
		t.Fatal(err)
	}
	return w.Cookies
}

// withCookie returns the watermark with base's cookie replaced.
func withCookie(t *testing.T, watermark, base, cookie string) string {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(watermark), &w); err != nil {
		t.Fatal(err)
	}
	w["cookies"].(map[string]any)[base] = cookie
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func move(t *testing.T, c *goldap.Conn, dn, rdn, parent string) {
	t.Helper()
	if err := c.ModifyDN(goldap.NewModifyDNRequest(dn, rdn, true, parent)); err != nil {
		t.Fatalf("move %s: %v", dn, err)
	}
}

func replace(t *testing.T, c *goldap.Conn, dn, attr string, values ...string) {
	t.Helper()
	m := goldap.NewModifyRequest(dn, nil)
	m.Replace(attr, values)
	if err := c.Modify(m); err != nil {
		t.Fatalf("modify %s: %v", dn, err)
	}
}

// TestOpenLDAPSyncDelta: with syncprov, a delta is a content synchronization per base DN.
// With a session log it reports changes and deletions only; without, the refresh's present
// phase names every unchanged user and the read is complete.
func TestOpenLDAPSyncDelta(t *testing.T) {
	for _, tt := range []struct {
		name       string
		sessionLog int
		complete   bool
		deletes    []string
		present    []string
	}{
		// carol deleted; dave moved out of the base DNs; emile no longer matches the filter;
		// alice moved from one base DN to another: upserted, never deleted.
		{"session log", 0, false, []string{"carol", "dave", "emile"}, nil},
		{"present phase", -1, true, nil, []string{"nouid"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := syncFixture(t, tt.sessionLog)
			r := newReader(t, s, func(c *ldap.Config) {
				c.BaseDNs = []string{people, staff, sales}
				c.Filter = "(&(objectClass=inetOrgPerson)(!(description=left)))"
				c.PageSize = 2
			})
			first, res1 := read(t, r, "")
			if got := first.upns(); !slices.Equal(got, []string{"alice", "bob", "carol", "dave", "emile"}) {
				t.Fatalf("full read upserted %v", got)
			}
			if n := len(cookies(t, res1.Watermark)); n != 3 {
				t.Fatalf("full read's watermark has %d cookies, want one per base DN: %s", n, res1.Watermark)
			}
			a := anchorsOf(first)

			// Nothing changed: syncprov answers at once, with nothing.
			rec, res := readAny(t, r, res1.Watermark)
			if res.Full || res.Complete || len(rec.upserts) != 0 || len(rec.deletes) != 0 || len(rec.present) != 0 {
				t.Fatalf("unchanged delta: %+v, upserts %v, deletes %v", res, rec.upns(), a.names(rec.deletes))
			}

			c := admin(t, s)
			replace(t, c, "uid=bob,"+people, "displayName", "Robert Bernard")
			add := goldap.NewAddRequest("uid=frank,"+people, nil)
			add.Attribute("objectClass", []string{"inetOrgPerson"})
			add.Attribute("uid", []string{"frank"})
			add.Attribute("cn", []string{"Frank"})
			add.Attribute("sn", []string{"Fischer"})
			if err := c.Add(add); err != nil {
				t.Fatal(err)
			}
			if err := c.Del(goldap.NewDelRequest("uid=carol,"+people, nil)); err != nil {
				t.Fatal(err)
			}
			move(t, c, "uid=alice,"+people, "uid=alice", staff)
			move(t, c, "uid=dave,"+staff, "uid=dave", zurich)
			move(t, c, "uid=zoe,"+zurich, "uid=zoe", sales)
			replace(t, c, "uid=emile,"+sales, "description", "left")

			rec, res = readAny(t, r, res.Watermark)
			if res.Full || res.Complete != tt.complete {
				t.Errorf("delta: Full %v Complete %v, want false %v", res.Full, res.Complete, tt.complete)
			}
			if got, want := rec.upns(), []string{"alice", "bob", "frank", "zoe"}; !slices.Equal(got, want) {
				t.Errorf("upserted %v, want %v", got, want)
			}
			if alice, _ := rec.byUPN("alice"); !sameDN(alice.DN, "uid=alice,"+staff) || !bytes.Equal(alice.Anchor, a["alice"]) {
				t.Errorf("moved alice = %q %x", alice.DN, alice.Anchor)
			}
			if bob, _ := rec.byUPN("bob"); bob.DisplayName != "Robert Bernard" {
				t.Errorf("bob's displayName = %q", bob.DisplayName)
			}
			if got := a.names(rec.deletes); !slices.Equal(got, tt.deletes) {
				t.Errorf("deletes = %v, want %v", got, tt.deletes)
			}
			if got := a.names(rec.present); !slices.Equal(got, tt.present) {
				t.Errorf("present = %v, want %v", got, tt.present)
			}

			// From the new cookies: nothing new.
			rec, res = readAny(t, r, res.Watermark)
			if len(rec.upserts) != 0 || len(rec.deletes) != 0 || len(rec.present) != 0 || res.Complete {
				t.Errorf("next delta: %+v, upserts %v, deletes %v", res, rec.upns(), a.names(rec.deletes))
			}
		})
	}
}

// A cookie the server refuses (here: newer than its state, as after a restore) makes a full
// read of that base DN, not an error; a watermark whose cookie is not one is ErrWatermark.
func TestOpenLDAPSyncRefused(t *testing.T) {
	s := syncFixture(t, 0)
	r := newReader(t, s, nil)
	_, res1 := read(t, r, "")
	ck := cookies(t, res1.Watermark)[suffix]
	if ck == "" {
		t.Fatalf("no cookie for %s in %s", suffix, res1.Watermark)
	}
	future := withCookie(t, res1.Watermark, suffix, "rid=000,csn=20991231235959.999999Z#000000#000#000000")
	rec, res := read(t, r, future)
	if !res.Full || !slices.Equal(rec.upns(), everyone) {
		t.Errorf("refused cookie: %+v, upserted %v; want a full read", res, rec.upns())
	}
	if next := cookies(t, res.Watermark)[suffix]; next == "" || strings.Contains(next, "2099") {
		t.Errorf("cookie after the full read = %q", next)
	}

	// Two base DNs, one refused: that one is read in full, so the read is complete and the
	// other, synchronized from the session log, is enumerated too.
	r2 := newReader(t, s, func(c *ldap.Config) { c.BaseDNs = []string{people, staff} })
	first, res2 := read(t, r2, "")
	a := anchorsOf(first)
	replace(t, admin(t, s), "uid=bob,"+people, "displayName", "Robert")
	rec, res = read(t, r2, withCookie(t, res2.Watermark, "ou=staff,dc=example,dc=com", "rid=000,csn=20991231235959.999999Z#000000#000#000000"))
	if res.Full || !slices.Equal(rec.upns(), []string{"bob", "dave"}) {
		t.Errorf("one base DN refused: %+v upserts %v, want bob (changed) and dave (read in full)", res, rec.upns())
	}
	if got, want := a.names(rec.present), []string{"alice", "carol", "nouid"}; !slices.Equal(got, want) {
		t.Errorf("present = %v, want %v", got, want)
	}

	for _, bad := range []string{"garbage", "rid=000", "rid=000,csn=yesterday"} {
		wm := withCookie(t, res1.Watermark, suffix, bad)
		if _, err := r.Read(context.Background(), wm, &recorder{}); !errors.Is(err, directory.ErrWatermark) {
			t.Errorf("cookie %q: err = %v, want ErrWatermark", bad, err)
		}
	}
}

// With a scope group, a changed user outside the group is reported gone (he may have left
// it by a rename); a change of the member set is a full read, as without syncprov.
func TestOpenLDAPSyncGroupScope(t *testing.T) {
	s := syncFixture(t, 0)
	r := newReader(t, s, func(c *ldap.Config) { c.Group = "cn=all-staff," + groups })
	first, res1 := read(t, r, "")
	a := anchorsOf(first)
	everyone, _ := readAny(t, newReader(t, s, nil), "")
	for k, v := range anchorsOf(everyone) {
		a[k] = v
	}
	c := admin(t, s)
	replace(t, c, "uid=alice,"+people, "displayName", "Alice M.")
	replace(t, c, "uid=bob,"+people, "displayName", "Robert")
	rec, res := readAny(t, r, res1.Watermark)
	if res.Full || res.Complete || !slices.Equal(rec.upns(), []string{"alice"}) || !slices.Equal(a.names(rec.deletes), []string{"bob"}) {
		t.Errorf("delta: %+v upserts %v deletes %v, want alice upserted and bob gone", res, rec.upns(), a.names(rec.deletes))
	}

	m := goldap.NewModifyRequest("cn=nested,"+groups, nil)
	m.Add("uniqueMember", []string{"uid=bob," + people})
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
	rec, res = read(t, r, res.Watermark)
	if !res.Full || !slices.Equal(rec.upns(), []string{"alice", "bob", "dave"}) {
		t.Errorf("after a group change: %+v upserts %v, want a full read", res, rec.upns())
	}
}

// A watermark without cookies (written before syncprov was loaded) is read by enumeration,
// and the next watermark has the cookies; a server without syncprov writes none.
func TestOpenLDAPSyncFromOldWatermark(t *testing.T) {
	s := syncFixture(t, 0)
	r := newReader(t, s, nil)
	_, res1 := read(t, r, "")
	var w map[string]any
	if err := json.Unmarshal([]byte(res1.Watermark), &w); err != nil {
		t.Fatal(err)
	}
	delete(w, "cookies")
	old, _ := json.Marshal(w)
	replace(t, admin(t, s), "uid=bob,"+people, "displayName", "Robert")
	rec, res := read(t, r, string(old))
	if res.Full || !slices.Contains(rec.upns(), "bob") || len(rec.present) < 5 {
		t.Errorf("delta from an old watermark: %+v, upserts %v, %d present", res, rec.upns(), len(rec.present))
	}
	if len(cookies(t, res.Watermark)) != 1 {
		t.Errorf("no cookie in %s", res.Watermark)
	}

	plain := fixture(t, false)
	_, res = read(t, newReader(t, plain, nil), "")
	if len(cookies(t, res.Watermark)) != 0 {
		t.Errorf("a server without syncprov gave cookies: %s", res.Watermark)
	}
}
