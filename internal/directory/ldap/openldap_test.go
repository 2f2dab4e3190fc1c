package ldap_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

const (
	suffix   = "dc=example,dc=com"
	people   = "ou=people," + suffix
	staff    = "ou=staff," + suffix
	groups   = "ou=groups," + suffix
	sales    = `ou=Sales\, EMEA,` + suffix
	zurich   = "ou=Zürich," + suffix
	oddGroup = `cn=odd*(name)\5C,` + groups // a group whose name holds the filter metacharacters *()\
	nonUTF8  = "ab\xff\xfecd"
)

// old: fixture entries are backdated, so that deltas see what a test changes.
var old = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// fixtureLDIF: 7 inetOrgPersons (one without uid: rejected), groups with nesting.
func fixtureLDIF() []byte {
	var b strings.Builder
	day := 0
	entry := func(dn string, attrs ...string) {
		b.WriteString(slapd.Line("dn", dn))
		for i := 0; i+1 < len(attrs); i += 2 {
			b.WriteString(slapd.Line(attrs[i], attrs[i+1]))
		}
		// Backdated, one day apart: zoe, last, is the most recently modified user.
		day++
		b.WriteString(slapd.Line("modifyTimestamp", old.AddDate(0, 0, day).Format("20060102150405Z")))
		b.WriteString("\n")
	}
	for _, ou := range []string{people, staff, groups, sales, zurich} {
		dn, _ := goldap.ParseDN(ou)
		entry(ou, "objectClass", "organizationalUnit", "ou", dn.RDNs[0].Attributes[0].Value)
	}
	person := []string{"objectClass", "inetOrgPerson"}
	entry("uid=alice,"+people, append(person, "uid", "alice", "cn", "Alice Martin", "sn", "Martin",
		"displayName", "Alice Martin", "mobile", "+33 6 12 34 56 78", "telephoneNumber", "+33 1 40 00 00 01",
		"mail", "alice@example.com", "mail", "alice.martin@example.org", "preferredLanguage", "fr-FR")...)
	entry("uid=bob,"+people, append(person, "uid", "bob", "cn", "Bob", "sn", "Bernard", "displayName", "Bob Bernard",
		"telephoneNumber", "+33 1 40 00 00 02")...)
	entry("uid=carol,"+people, append(person, "uid", "carol", "cn", "Carol", "sn", "Dubois", "displayName", "Carol Dubois",
		"mobile", "+33 6 00 00 00 03", "pwdAccountLockedTime", "000001010000Z")...)
	entry("cn=nouid,"+people, append(person, "cn", "nouid", "sn", "Nobody")...)
	entry("uid=dave,"+staff, append(person, "uid", "dave", "cn", "Dave", "sn", "Jensen", "mobile", "+33 6 00 00 00 04")...)
	entry("uid=emile,"+sales, append(person, "uid", "emile", "cn", "Émile", "sn", "Zola", "displayName", "Émile Zola")...)
	entry("uid=zoe,"+zurich, append(person, "uid", "zoe", "cn", "Zoé", "sn", "Müller", "displayName", "Zoé Müller",
		"audio", nonUTF8)...)
	entry("cn=all-staff,"+groups, "objectClass", "groupOfNames", "cn", "all-staff",
		"member", "uid=alice,"+people, "member", "cn=nested,"+groups)
	entry("cn=nested,"+groups, "objectClass", "groupOfUniqueNames", "cn", "nested",
		"uniqueMember", "UID=Dave,OU=Staff,DC=example,DC=com#'0101'B", "uniqueMember", "cn=all-staff,"+groups)
	entry(oddGroup, "objectClass", "groupOfNames", "cn", `odd*(name)\`, "member", "uid=zoe,"+zurich)
	return []byte(b.String())
}

func fixture(t *testing.T, tls bool) *slapd.Server {
	t.Helper()
	return testenv.Slapd(t, slapd.Options{LDIF: [][]byte{fixtureLDIF()}, PPolicy: true, TLS: tls})
}

func newReader(t *testing.T, s *slapd.Server, edit func(*ldap.Config)) *ldap.Reader {
	t.Helper()
	cfg := ldap.Config{
		Kind: directory.OpenLDAP,
		Endpoint: ldapconn.Endpoint{URL: s.URL, AllowInsecure: true, BindDN: s.AdminDN,
			BindPassword: secret.Value(s.AdminPassword), OperationTimeout: 30 * time.Second},
		BaseDNs: []string{suffix},
		Mapping: directory.Mapping{AlternateEmails: "mail"},
	}
	if edit != nil {
		edit(&cfg)
	}
	r, err := ldap.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func read(t *testing.T, r *ldap.Reader, since string) (*recorder, directory.Result) {
	t.Helper()
	rec := &recorder{}
	res, err := r.Read(context.Background(), since, rec)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !res.Complete {
		t.Error("Result.Complete = false")
	}
	return rec, res
}

func admin(t *testing.T, s *slapd.Server) *goldap.Conn {
	t.Helper()
	c, err := goldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return c
}

var everyone = []string{"alice", "bob", "carol", "dave", "emile", "zoe"}

func TestOpenLDAPFullRead(t *testing.T) {
	s := fixture(t, false)
	rec, res := read(t, newReader(t, s, nil), "")
	if !res.Full || res.Watermark == "" {
		t.Errorf("result = %+v, want Full with a watermark", res)
	}
	if got := rec.upns(); !slices.Equal(got, everyone) {
		t.Fatalf("upserted %v, want %v", got, everyone)
	}
	if len(rec.rejects) != 1 || rec.rejects[0].DN != "cn=nouid,"+people || len(rec.rejects[0].Anchor) != 16 {
		t.Errorf("rejects = %+v, want cn=nouid with its anchor", rec.rejects)
	}
	if len(rec.present) != 0 || len(rec.deletes) != 0 {
		t.Errorf("full read reported present %d, deletes %d", len(rec.present), len(rec.deletes))
	}
	alice, _ := rec.byUPN("alice")
	want := directory.Record{DN: "uid=alice," + people, Anchor: alice.Anchor, UserPrincipalName: "alice",
		DisplayName: "Alice Martin", MobilePhone: "+33 6 12 34 56 78", OfficePhone: "+33 1 40 00 00 01",
		AlternateEmails: []string{"alice@example.com", "alice.martin@example.org"}, AccountEnabled: true}
	if !recordEqual(alice, want) {
		t.Errorf("alice = %+v\nwant    %+v", alice, want)
	}
	if bob, _ := rec.byUPN("bob"); alice.PreferredLanguage != "fr-FR" || bob.PreferredLanguage != "" {
		t.Errorf("preferredLanguage: alice %q, bob %q", alice.PreferredLanguage, bob.PreferredLanguage)
	}
	if carol, _ := rec.byUPN("carol"); carol.AccountEnabled {
		t.Error("carol (pwdAccountLockedTime 000001010000Z) is enabled")
	}
	if emile, _ := rec.byUPN("emile"); !sameDN(emile.DN, "uid=emile,"+sales) || emile.DisplayName != "Émile Zola" {
		t.Errorf("emile = %q %q", emile.DN, emile.DisplayName)
	}
	if zoe, _ := rec.byUPN("zoe"); !sameDN(zoe.DN, "uid=zoe,"+zurich) {
		t.Errorf("zoe's DN = %q", zoe.DN)
	}
	anchors := map[string]bool{}
	for _, u := range rec.upserts {
		if len(u.Anchor) != 16 || anchors[string(u.Anchor)] {
			t.Errorf("%s: bad or duplicate anchor %x", u.UserPrincipalName, u.Anchor)
		}
		anchors[string(u.Anchor)] = true
	}
}

// sameDN compares DNs as the directory does: slapd returns "ou=Sales\2C EMEA" for
// "ou=Sales\, EMEA".
func sameDN(a, b string) bool {
	x, err1 := goldap.ParseDN(a)
	y, err2 := goldap.ParseDN(b)
	return err1 == nil && err2 == nil && x.EqualFold(y)
}

func recordEqual(a, b directory.Record) bool {
	return a.DN == b.DN && bytes.Equal(a.Anchor, b.Anchor) && a.UserPrincipalName == b.UserPrincipalName &&
		a.DisplayName == b.DisplayName && a.MobilePhone == b.MobilePhone && a.OfficePhone == b.OfficePhone &&
		slices.Equal(a.AlternateEmails, b.AlternateEmails) && a.AccountEnabled == b.AccountEnabled && a.Privileged == b.Privileged
}

func TestOpenLDAPScope(t *testing.T) {
	s := fixture(t, false)
	tests := []struct {
		name    string
		edit    func(*ldap.Config)
		want    []string
		rejects int
	}{
		{"page size 2", func(c *ldap.Config) { c.PageSize = 2 }, everyone, 1},
		{"page size 1", func(c *ldap.Config) { c.PageSize = 1 }, everyone, 1},
		{"two base DNs", func(c *ldap.Config) { c.BaseDNs = []string{people, staff} }, []string{"alice", "bob", "carol", "dave"}, 1},
		{"overlapping base DNs", func(c *ldap.Config) { c.BaseDNs = []string{people, suffix, strings.ToUpper(suffix)} }, everyone, 1},
		{"escaped comma base DN", func(c *ldap.Config) { c.BaseDNs = []string{sales} }, []string{"emile"}, 0},
		{"non-ASCII base DN", func(c *ldap.Config) { c.BaseDNs = []string{zurich} }, []string{"zoe"}, 0},
		{"filter", func(c *ldap.Config) { c.Filter = "(&(objectClass=inetOrgPerson)(mobile=*))" }, []string{"alice", "carol", "dave"}, 0},
		{"nested group", func(c *ldap.Config) { c.Group = "cn=all-staff," + groups }, []string{"alice", "dave"}, 0},
		{"nested group, other case", func(c *ldap.Config) { c.Group = "CN=Nested,OU=Groups,DC=Example,DC=Com" }, []string{"alice", "dave"}, 0},
		{"group with *()\\ in its name", func(c *ldap.Config) { c.Group = oddGroup }, []string{"zoe"}, 0},
		{"group scope and base DN", func(c *ldap.Config) { c.Group = "cn=all-staff," + groups; c.BaseDNs = []string{staff} }, []string{"dave"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, _ := read(t, newReader(t, s, tt.edit), "")
			if got := rec.upns(); !slices.Equal(got, tt.want) {
				t.Errorf("upserted %v, want %v", got, tt.want)
			}
			if len(rec.rejects) != tt.rejects {
				t.Errorf("rejects = %+v, want %d", rec.rejects, tt.rejects)
			}
		})
	}
}

func TestOpenLDAPNonUTF8PassesThrough(t *testing.T) {
	s := fixture(t, false)
	rec, _ := read(t, newReader(t, s, func(c *ldap.Config) {
		c.BaseDNs = []string{zurich}
		c.Mapping.DisplayName = "audio" // octet string: the directory accepts any bytes
	}), "")
	if len(rec.upserts) != 1 || rec.upserts[0].DisplayName != nonUTF8 {
		t.Fatalf("upserts = %+v, want zoe with the raw bytes", rec.upserts)
	}
}

func TestOpenLDAPErrors(t *testing.T) {
	s := fixture(t, false)
	tests := []struct {
		name     string
		edit     func(*ldap.Config)
		sentinel error
		message  string
	}{
		{"missing base DN", func(c *ldap.Config) { c.BaseDNs = []string{people, "ou=nowhere," + suffix} }, ldap.ErrNotFound, "base DN ou=nowhere,dc=example,dc=com does not exist"},
		{"missing group", func(c *ldap.Config) { c.Group = "cn=odd*," + groups }, ldap.ErrNotFound, `group cn=odd*,ou=groups,dc=example,dc=com does not exist`},
		{"group that is not a group", func(c *ldap.Config) { c.Group = "uid=alice," + people }, ldap.ErrNotFound, "is not a group"},
		{"wrong password", func(c *ldap.Config) { c.Endpoint.BindPassword = "wrong-Secret-42" }, ldap.ErrBind, "bind as cn=admin,dc=example,dc=com failed: invalid credentials"},
		{"unreachable", func(c *ldap.Config) { c.Endpoint.URL = "ldap://127.0.0.1:1" }, ldap.ErrUnreachable, "cannot reach ldap://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			_, err := newReader(t, s, tt.edit).Read(context.Background(), "", rec)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err = %q, want it to say %q", err, tt.message)
			}
			if strings.Contains(err.Error(), "wrong-Secret-42") {
				t.Error("the error shows the password")
			}
		})
	}
}

func TestOpenLDAPDelta(t *testing.T) {
	s := fixture(t, false)
	r := newReader(t, s, nil)
	first, res1 := read(t, r, "")
	anchorOf := map[string][]byte{}
	for _, u := range first.upserts {
		anchorOf[u.UserPrincipalName] = u.Anchor
	}
	anchorOf["nouid"] = first.rejects[0].Anchor

	c := admin(t, s)
	mod := goldap.NewModifyRequest("uid=bob,"+people, nil)
	mod.Replace("displayName", []string{"Robert Bernard"})
	if err := c.Modify(mod); err != nil {
		t.Fatal(err)
	}
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
	// A move keeps the anchor (entryUUID).
	if err := c.ModifyDN(goldap.NewModifyDNRequest("uid=alice,"+people, "uid=alice", true, staff)); err != nil {
		t.Fatal(err)
	}

	rec, res := read(t, r, res1.Watermark)
	if res.Full {
		t.Error("delta read reported Full")
	}
	if got, want := rec.upns(), []string{"alice", "bob", "frank"}; !slices.Equal(got, want) {
		t.Fatalf("delta upserted %v, want %v", got, want)
	}
	if alice, _ := rec.byUPN("alice"); alice.DN != "uid=alice,"+staff || !bytes.Equal(alice.Anchor, anchorOf["alice"]) {
		t.Errorf("moved alice = %q %x, want new DN and anchor %x", alice.DN, alice.Anchor, anchorOf["alice"])
	}
	if bob, _ := rec.byUPN("bob"); bob.DisplayName != "Robert Bernard" {
		t.Errorf("bob's displayName = %q", bob.DisplayName)
	}
	var present []string
	for _, a := range rec.present {
		for upn, b := range anchorOf {
			if bytes.Equal(a, b) {
				present = append(present, upn)
			}
		}
	}
	slices.Sort(present)
	if want := []string{"dave", "emile", "nouid", "zoe"}; !slices.Equal(present, want) || len(rec.present) != len(want) {
		t.Errorf("present = %v (%d anchors), want %v: carol deleted, changed users upserted only", present, len(rec.present), want)
	}

	// The next delta starts from the new watermark, which never goes back. The changes are
	// recent: within the safety margin (read's duration + 60 s), so they are read again.
	rec3, res3 := read(t, r, res.Watermark)
	if res3.Full || res3.Watermark < res.Watermark {
		t.Errorf("third read: %+v after %q", res3, res.Watermark)
	}
	if got, want := rec3.upns(), []string{"alice", "bob", "frank"}; !slices.Equal(got, want) {
		t.Errorf("third read upserted %v, want %v", got, want)
	}
}

func TestOpenLDAPDeltaAfterGroupChangeIsFull(t *testing.T) {
	s := fixture(t, false)
	r := newReader(t, s, func(c *ldap.Config) { c.Group = "cn=all-staff," + groups })
	_, res1 := read(t, r, "")
	rec, res := read(t, r, res1.Watermark)
	if res.Full || len(rec.upserts) != 0 || len(rec.present) != 2 {
		t.Fatalf("unchanged delta: full=%v upserts=%v present=%d", res.Full, rec.upns(), len(rec.present))
	}
	// bob joins the nested group: bob did not change, the group did.
	mod := goldap.NewModifyRequest("cn=nested,"+groups, nil)
	mod.Add("uniqueMember", []string{"uid=bob," + people})
	if err := admin(t, s).Modify(mod); err != nil {
		t.Fatal(err)
	}
	rec, res = read(t, r, res.Watermark)
	if !res.Full {
		t.Error("delta after a group change was not a full read")
	}
	if got, want := rec.upns(), []string{"alice", "bob", "dave"}; !slices.Equal(got, want) {
		t.Errorf("upserted %v, want %v", got, want)
	}
}

func TestOpenLDAPWatermarkErrors(t *testing.T) {
	s := fixture(t, false)
	r := newReader(t, s, nil)
	for _, wm := range []string{"garbage", `{"v":2,"kind":"openldap","modifyTimestamp":"20200101000000Z"}`,
		`{"v":1,"kind":"activedirectory","usn":5,"invocationId":"00"}`, `{"v":1,"kind":"openldap","modifyTimestamp":"yesterday"}`} {
		_, err := r.Read(context.Background(), wm, &recorder{})
		if !errors.Is(err, directory.ErrWatermark) {
			t.Errorf("watermark %s: err = %v, want ErrWatermark", wm, err)
		}
	}
}

// A server that dies in the middle of a paged read fails the read: never a short Complete one.
// The reader reads ahead of the Handler, so the directory must be larger than what it and
// the sockets hold for the kill to cut the answer off: 20,000 users in pages of 100.
func TestOpenLDAPServerKilledMidRead(t *testing.T) {
	s := testenv.Slapd(t, slapd.Options{LDIF: [][]byte{slapd.UsersLDIF(suffix, slapd.SampleUsers(20000, "example.com"))}})
	rec := &recorder{onUpsert: func(n int) error {
		if n == 1 {
			if err := s.Kill(); err != nil {
				t.Error(err)
			}
		}
		return nil
	}}
	res, err := newReader(t, s, func(c *ldap.Config) { c.PageSize = 100 }).Read(context.Background(), "", rec)
	if err == nil {
		t.Fatalf("Read succeeded after the server died: %+v with %d upserts", res, len(rec.upserts))
	}
	t.Logf("error after %d upserts: %v", len(rec.upserts), err)
	if res.Complete {
		t.Error("Complete after an error")
	}
	if n := ldap.LiveStreams(); n != 0 {
		t.Errorf("%d stream goroutines left", n)
	}
}

// A connection cut anywhere in the answer fails the read: never a short Complete one.
func TestOpenLDAPConnectionCut(t *testing.T) {
	s := fixture(t, false)
	p := cutProxy(t, s.URL, -1)
	if _, err := newReader(t, s, func(c *ldap.Config) { c.Endpoint.URL, c.PageSize = p.url, 2 }).Read(context.Background(), "", &recorder{}); err != nil {
		t.Fatal(err)
	}
	total := p.wait()
	t.Logf("a full read is %d bytes from the server", total)
	for _, cut := range []float64{0.1, 0.3, 0.5, 0.7, 0.9, 0.99} {
		p := cutProxy(t, s.URL, int(cut*float64(total)))
		rec := &recorder{}
		res, err := newReader(t, s, func(c *ldap.Config) { c.Endpoint.URL, c.PageSize = p.url, 2 }).Read(context.Background(), "", rec)
		if err == nil || res.Complete {
			t.Errorf("cut at %.0f%% of %d bytes: %+v, %v after %d upserts", 100*cut, total, res, err, len(rec.upserts))
		}
		if n := ldap.LiveStreams(); n != 0 {
			t.Errorf("%d stream goroutines left", n)
		}
	}
}

// proxy forwards one connection to a server and closes it after limit bytes from the server
// (-1: no limit): the server's answer is cut off there.
type proxy struct {
	url string
	n   chan int
}

func cutProxy(t *testing.T, target string, limit int) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &proxy{url: "ldap://" + l.Addr().String(), n: make(chan int, 1)}
	go func() {
		c, err := l.Accept()
		if err != nil {
			p.n <- 0
			return
		}
		defer c.Close()
		srv, err := net.Dial("tcp", strings.TrimPrefix(target, "ldap://"))
		if err != nil {
			p.n <- 0
			return
		}
		defer srv.Close()
		go func() { _, _ = io.Copy(srv, c) }()
		var w io.Writer = c
		var from io.Reader = srv
		if limit >= 0 {
			from = io.LimitReader(srv, int64(limit))
		}
		n, _ := io.Copy(w, from)
		p.n <- int(n)
	}()
	return p
}

// wait returns how many bytes the server sent through the proxy.
func (p *proxy) wait() int { return <-p.n }

func TestOpenLDAPCancel(t *testing.T) {
	s := fixture(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{onUpsert: func(n int) error {
		if n == 1 {
			cancel()
		}
		return nil
	}}
	_, err := newReader(t, s, func(c *ldap.Config) { c.PageSize = 2 }).Read(ctx, "", rec)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(rec.upserts) > 3 {
		t.Errorf("%d upserts after cancel", len(rec.upserts))
	}
}

func TestOpenLDAPHandlerErrorStops(t *testing.T) {
	s := fixture(t, false)
	stop := errors.New("store full")
	rec := &recorder{onUpsert: func(n int) error { return stop }}
	_, err := newReader(t, s, nil).Read(context.Background(), "", rec)
	if !errors.Is(err, stop) || len(rec.upserts) != 1 {
		t.Fatalf("err = %v after %d upserts, want the handler's error after 1", err, len(rec.upserts))
	}
}

func TestOpenLDAPTLS(t *testing.T) {
	s := fixture(t, true)
	otherCA := writeOtherCA(t)
	tests := []struct {
		name     string
		edit     func(*ldap.Config)
		sentinel error
		message  string
	}{
		{"ldaps", func(c *ldap.Config) {
			c.Endpoint.URL = s.LDAPSURL
			c.Endpoint.AllowInsecure = false
			c.Endpoint.CAFile = s.CAFile
		}, nil, ""},
		{"StartTLS", func(c *ldap.Config) {
			c.Endpoint.StartTLS = true
			c.Endpoint.AllowInsecure = false
			c.Endpoint.CAFile = s.CAFile
		}, nil, ""},
		{"ldaps, other CA", func(c *ldap.Config) { c.Endpoint.URL = s.LDAPSURL; c.Endpoint.CAFile = otherCA }, ldap.ErrTLS, "TLS: certificate not trusted; check directory.caFile"},
		{"ldaps, system CAs", func(c *ldap.Config) { c.Endpoint.URL = s.LDAPSURL }, ldap.ErrTLS, "TLS: certificate not trusted; check directory.caFile"},
		{"StartTLS, other CA", func(c *ldap.Config) { c.Endpoint.StartTLS = true; c.Endpoint.CAFile = otherCA }, ldap.ErrTLS, "TLS: certificate not trusted; check directory.caFile"},
		{"ldaps on the ldap port", func(c *ldap.Config) {
			c.Endpoint.URL = strings.Replace(s.URL, "ldap://", "ldaps://", 1)
			c.Endpoint.CAFile = s.CAFile
		}, ldap.ErrTLS, "an ldap:// port used as ldaps://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			_, err := newReader(t, s, tt.edit).Read(context.Background(), "", rec)
			if tt.sentinel == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got := rec.upns(); !slices.Equal(got, everyone) {
					t.Errorf("upserted %v", got)
				}
				return
			}
			if !errors.Is(err, tt.sentinel) || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.sentinel, tt.message)
			}
		})
	}
}

// writeOtherCA writes a CA that signed nothing the server has.
func writeOtherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
