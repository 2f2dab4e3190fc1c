package ldap_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/ldap"
	"github.com/sspr/sspr/internal/ldapconn"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/testenv"
)

// sambaFixture is one test's corner of the shared DC: its own OU with
//
//	alice  enabled, phones, two otherMailbox values    member of scope (direct)
//	bob    disabled                                      member of odd*(name)\
//	carol  adminCount=1                                  member of nested, itself in scope
//	emile  in OU "Sales, EMEA"
//	zoe    in OU "Zürich"
type sambaFixture struct {
	dc     testenv.Samba
	ou     string
	sam    map[string]string // short name → sAMAccountName (unique in the domain)
	dn     map[string]string
	scope  string // group DN: alice direct, carol through "nested"
	nested string
	odd    string // group DN with *()\ in its name: bob
}

func newSambaFixture(t *testing.T) *sambaFixture {
	t.Helper()
	dc := testenv.SambaDC(t)
	f := &sambaFixture{dc: dc, ou: dc.NewOU(t), sam: map[string]string{}, dn: map[string]string{}}
	tag := randomTag()
	sales := dc.AddOU(t, f.ou, "Sales, EMEA")
	zurich := dc.AddOU(t, f.ou, "Zürich")
	add := func(short, ou string, u testenv.SambaUser) {
		u.SAMAccountName = short + "-" + tag
		f.sam[short] = u.SAMAccountName
		f.dn[short] = dc.AddUser(t, ou, u)
	}
	add("alice", f.ou, testenv.SambaUser{DisplayName: "Alice Martin", Mobile: "+33 6 12 34 56 78",
		TelephoneNumber: "+33 1 40 00 00 01", Attrs: map[string][]string{"otherMailbox": {"alice@example.com", "alice.m@example.org"}}})
	add("bob", f.ou, testenv.SambaUser{DisplayName: "Bob Bernard", Disabled: true})
	add("carol", f.ou, testenv.SambaUser{DisplayName: "Carol Dubois", Attrs: map[string][]string{"adminCount": {"1"}}})
	add("emile", sales, testenv.SambaUser{DisplayName: "Émile Zola"})
	add("zoe", zurich, testenv.SambaUser{DisplayName: "Zoé Müller"})
	f.nested = dc.AddGroup(t, f.ou, "nested-"+tag, f.dn["carol"])
	f.scope = dc.AddGroup(t, f.ou, "scope-"+tag, f.dn["alice"], f.nested)
	f.odd = dc.AddGroup(t, f.ou, `odd*(name)\`+tag, f.dn["bob"])
	return f
}

func randomTag() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *sambaFixture) reader(t *testing.T, edit func(*ldap.Config)) *ldap.Reader {
	t.Helper()
	cfg := ldap.Config{
		Kind: directory.ActiveDirectory,
		Endpoint: ldapconn.Endpoint{URL: f.dc.URL, CAFile: f.dc.CAFile, BindDN: f.dc.BindDN,
			BindPassword: secret.Value(f.dc.Password), OperationTimeout: 30 * time.Second},
		BaseDNs:  []string{f.ou},
		Mapping:  directory.Mapping{AlternateEmails: "otherMailbox"},
		PageSize: 2,
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

// names maps the upserted UPNs back to the fixture's short names, sorted.
func (f *sambaFixture) names(rec *recorder) []string {
	var out []string
	for _, u := range rec.upserts {
		out = append(out, f.short(u.UserPrincipalName))
	}
	slices.Sort(out)
	return out
}

func (f *sambaFixture) short(upn string) string {
	for short, sam := range f.sam {
		if strings.EqualFold(upn, sam+"@"+f.dc.Realm()) {
			return short
		}
	}
	return upn
}

func (f *sambaFixture) user(rec *recorder, short string) directory.Record {
	r, _ := rec.byUPN(f.sam[short] + "@" + f.dc.Realm())
	return r
}

func TestSambaFullRead(t *testing.T) {
	f := newSambaFixture(t)
	for _, tt := range []struct {
		name string
		edit func(*ldap.Config)
	}{
		{"LDAPS", nil},
		{"StartTLS", func(c *ldap.Config) {
			c.Endpoint.URL = strings.Replace(strings.Replace(f.dc.URL, "ldaps://", "ldap://", 1), ":636", ":389", 1)
			c.Endpoint.StartTLS = true
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec, res := read(t, f.reader(t, tt.edit), "")
			if !res.Full {
				t.Error("not Full")
			}
			if got, want := f.names(rec), []string{"alice", "bob", "carol", "emile", "zoe"}; !slices.Equal(got, want) {
				t.Fatalf("upserted %v, want %v", got, want)
			}
			alice := f.user(rec, "alice")
			want := directory.Record{DN: f.dn["alice"], Anchor: alice.Anchor, UserPrincipalName: f.sam["alice"] + "@sspr.test",
				DisplayName: "Alice Martin", MobilePhone: "+33 6 12 34 56 78", OfficePhone: "+33 1 40 00 00 01",
				AlternateEmails: []string{"alice.m@example.org", "alice@example.com"}, AccountEnabled: true} // sorted
			slices.Sort(alice.AlternateEmails)
			if !sameDN(alice.DN, want.DN) {
				t.Errorf("alice's DN = %q, want %q", alice.DN, want.DN)
			}
			want.DN = alice.DN
			if !recordEqual(alice, want) {
				t.Errorf("alice = %+v\nwant    %+v", alice, want)
			}
			if bob := f.user(rec, "bob"); bob.AccountEnabled {
				t.Error("bob (userAccountControl ACCOUNTDISABLE) is enabled")
			}
			if carol := f.user(rec, "carol"); !carol.Privileged || !carol.AccountEnabled {
				t.Errorf("carol (adminCount=1): privileged=%v enabled=%v", carol.Privileged, carol.AccountEnabled)
			}
			if emile := f.user(rec, "emile"); !strings.Contains(emile.DN, "Sales") || emile.DisplayName != "Émile Zola" {
				t.Errorf("emile = %q %q", emile.DN, emile.DisplayName)
			}
			if zoe := f.user(rec, "zoe"); !strings.Contains(zoe.DN, "Zürich") {
				t.Errorf("zoe's DN = %q", zoe.DN)
			}
			// The anchor is the objectGUID.
			c := f.dc.Dial(t)
			res2, err := c.Search(goldap.NewSearchRequest(f.dn["alice"], goldap.ScopeBaseObject, goldap.NeverDerefAliases,
				0, 0, false, "(objectClass=*)", []string{"objectGUID"}, nil))
			if err != nil {
				t.Fatal(err)
			}
			if guid := res2.Entries[0].GetRawAttributeValue("objectGUID"); !bytes.Equal(guid, alice.Anchor) {
				t.Errorf("anchor %x, objectGUID %x", alice.Anchor, guid)
			}
		})
	}
}

func TestSambaScope(t *testing.T) {
	f := newSambaFixture(t)
	tests := []struct {
		name string
		edit func(*ldap.Config)
		want []string
	}{
		{"nested group (in-chain rule)", func(c *ldap.Config) { c.Group = f.scope }, []string{"alice", "carol"}},
		{"group with *()\\ in its name", func(c *ldap.Config) { c.Group = f.odd }, []string{"bob"}},
		{"escaped comma base DN", func(c *ldap.Config) { c.BaseDNs = []string{"OU=Sales\\, EMEA," + f.ou} }, []string{"emile"}},
		{"non-ASCII base DN", func(c *ldap.Config) { c.BaseDNs = []string{"OU=Zürich," + f.ou} }, []string{"zoe"}},
		{"filter", func(c *ldap.Config) { c.Filter = "(&(objectClass=user)(mobile=*))" }, []string{"alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, _ := read(t, f.reader(t, tt.edit), "")
			if got := f.names(rec); !slices.Equal(got, tt.want) {
				t.Errorf("upserted %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSambaErrors(t *testing.T) {
	f := newSambaFixture(t)
	plain := strings.Replace(strings.Replace(f.dc.URL, "ldaps://", "ldap://", 1), ":636", ":389", 1)
	tests := []struct {
		name     string
		edit     func(*ldap.Config)
		sentinel error
		message  string
	}{
		{"missing base DN", func(c *ldap.Config) { c.BaseDNs = []string{"OU=nowhere," + f.ou} }, ldap.ErrNotFound, "does not exist"},
		{"missing group", func(c *ldap.Config) { c.Group = "CN=odd*," + f.ou }, ldap.ErrNotFound, "does not exist"},
		{"wrong password", func(c *ldap.Config) { c.Endpoint.BindPassword = "wrong-Secret-42" }, ldap.ErrBind, "failed: invalid credentials"},
		{"plain LDAP bind", func(c *ldap.Config) { c.Endpoint.URL = plain; c.Endpoint.AllowInsecure = true }, ldap.ErrBind, "requires TLS"},
		{"other CA", func(c *ldap.Config) { c.Endpoint.CAFile = writeOtherCA(t) }, ldap.ErrTLS, "TLS: certificate not trusted; check directory.caFile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.reader(t, tt.edit).Read(context.Background(), "", &recorder{})
			if !errors.Is(err, tt.sentinel) || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.sentinel, tt.message)
			}
			if strings.Contains(err.Error(), "wrong-Secret-42") || strings.Contains(err.Error(), f.dc.Password) {
				t.Error("the error shows a password")
			}
		})
	}
}

// With an administrator's bind, a delta reads the changed users and the leavers (tombstones,
// objects changed out of scope), never the whole scope.
func TestSambaDelta(t *testing.T) {
	f := newSambaFixture(t)
	outside := f.dc.NewOU(t)
	f.sam["frank"] = "frank-" + randomTag()
	f.dn["frank"] = f.dc.AddUser(t, outside, testenv.SambaUser{SAMAccountName: f.sam["frank"], DisplayName: "Frank Fischer"})
	r := f.reader(t, func(c *ldap.Config) { c.Filter = "(&(objectClass=user)(!(description=left)))" })
	first, res1 := read(t, r, "")
	anchor := map[string][]byte{}
	for _, u := range first.upserts {
		anchor[f.short(u.UserPrincipalName)] = u.Anchor
	}
	known := func(list [][]byte) []string {
		var out []string
		for _, a := range list {
			for short, b := range anchor {
				if bytes.Equal(a, b) {
					out = append(out, short)
				}
			}
		}
		slices.Sort(out)
		return out
	}

	// Nothing changed: nothing reported, not even present users.
	rec, res := readAny(t, r, res1.Watermark)
	if res.Full || res.Complete || len(rec.upserts) != 0 || len(rec.present) != 0 || len(known(rec.deletes)) != 0 {
		t.Fatalf("unchanged delta: %+v upserts=%v present=%d deletes=%v", res, f.names(rec), len(rec.present), known(rec.deletes))
	}

	c := f.dc.Dial(t)
	mod := goldap.NewModifyRequest(f.dn["alice"], nil)
	mod.Replace("mobile", []string{"+33 6 99 99 99 99"})
	mod.Replace("userAccountControl", []string{"514"}) // disabled
	if err := c.Modify(mod); err != nil {
		t.Fatal(err)
	}
	if err := c.Del(goldap.NewDelRequest(f.dn["bob"], nil)); err != nil {
		t.Fatal(err)
	}
	f.sam["dave"] = "dave-" + randomTag()
	f.dc.AddUser(t, f.ou, testenv.SambaUser{SAMAccountName: f.sam["dave"], DisplayName: "Dave Jensen"})
	// A rename keeps the objectGUID.
	if err := c.ModifyDN(goldap.NewModifyDNRequest(f.dn["carol"], "CN=carol-renamed-"+randomTag(), true, "")); err != nil {
		t.Fatal(err)
	}
	// emile moves out of the base DN, frank into it; zoe no longer matches the filter.
	if err := c.ModifyDN(goldap.NewModifyDNRequest(f.dn["emile"], "CN="+f.sam["emile"], true, outside)); err != nil {
		t.Fatal(err)
	}
	if err := c.ModifyDN(goldap.NewModifyDNRequest(f.dn["frank"], "CN="+f.sam["frank"], true, f.ou)); err != nil {
		t.Fatal(err)
	}
	mod = goldap.NewModifyRequest(f.dn["zoe"], nil)
	mod.Replace("description", []string{"left"})
	if err := c.Modify(mod); err != nil {
		t.Fatal(err)
	}

	rec, res = readAny(t, r, res.Watermark)
	if res.Full || res.Complete {
		t.Errorf("delta: Full %v Complete %v, want neither", res.Full, res.Complete)
	}
	if got, want := f.names(rec), []string{"alice", "carol", "dave", "frank"}; !slices.Equal(got, want) {
		t.Fatalf("delta upserted %v, want %v", got, want)
	}
	if alice := f.user(rec, "alice"); alice.MobilePhone != "+33 6 99 99 99 99" || alice.AccountEnabled || !bytes.Equal(alice.Anchor, anchor["alice"]) {
		t.Errorf("alice = %+v", alice)
	}
	if carol := f.user(rec, "carol"); !strings.Contains(carol.DN, "carol-renamed") || !bytes.Equal(carol.Anchor, anchor["carol"]) {
		t.Errorf("renamed carol = %q %x, want the same anchor %x", carol.DN, carol.Anchor, anchor["carol"])
	}
	if got, want := known(rec.deletes), []string{"bob", "emile", "zoe"}; !slices.Equal(got, want) {
		t.Errorf("deletes = %v, want %v", got, want)
	}
	if len(rec.present) != 0 {
		t.Errorf("%d present", len(rec.present))
	}
}

// Without the right to see tombstones, or from a watermark that may have outlived them, a
// delta enumerates the scope: complete, deletions implied.
func TestSambaDeltaEnumeration(t *testing.T) {
	dc := testenv.SambaDC(t)
	pw := "Sspr-" + randomTag() + "-Aa9!"
	svc := dc.AddUser(t, dc.NewOU(t), testenv.SambaUser{SAMAccountName: "svc-" + randomTag(), Password: pw})
	setAt := func(at any) func(string) string {
		return func(wm string) string {
			var w map[string]any
			if err := json.Unmarshal([]byte(wm), &w); err != nil {
				t.Fatal(err)
			}
			if at == nil {
				delete(w, "at")
			} else {
				w["at"] = at
			}
			b, _ := json.Marshal(w)
			return string(b)
		}
	}
	for _, tt := range []struct {
		name string
		edit func(*ldap.Config)
		wm   func(string) string
	}{
		{"account that may not list Deleted Objects", func(c *ldap.Config) { c.Endpoint.BindDN, c.Endpoint.BindPassword = svc, secret.Value(pw) }, nil},
		{"watermark older than the tombstone lifetime", nil, setAt(time.Now().Add(-200 * 24 * time.Hour).Unix())},
		{"watermark without its time", nil, setAt(nil)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newSambaFixture(t)
			r := f.reader(t, tt.edit)
			first, res1 := read(t, r, "")
			anchor := map[string][]byte{}
			for _, u := range first.upserts {
				anchor[f.short(u.UserPrincipalName)] = u.Anchor
			}
			c := f.dc.Dial(t)
			if err := c.Del(goldap.NewDelRequest(f.dn["bob"], nil)); err != nil {
				t.Fatal(err)
			}
			mod := goldap.NewModifyRequest(f.dn["alice"], nil)
			mod.Replace("mobile", []string{"+33 6 99 99 99 98"})
			if err := c.Modify(mod); err != nil {
				t.Fatal(err)
			}
			wm := res1.Watermark
			if tt.wm != nil {
				wm = tt.wm(wm)
			}
			rec, res := read(t, r, wm)
			if res.Full || !slices.Equal(f.names(rec), []string{"alice"}) {
				t.Errorf("delta: %+v upserts %v", res, f.names(rec))
			}
			var present []string
			for _, a := range rec.present {
				for short, b := range anchor {
					if bytes.Equal(a, b) {
						present = append(present, short)
					}
				}
			}
			slices.Sort(present)
			if want := []string{"carol", "emile", "zoe"}; !slices.Equal(present, want) || len(rec.present) != len(want) {
				t.Errorf("present = %v (%d), want %v: bob deleted, alice upserted", present, len(rec.present), want)
			}
		})
	}
}

func TestSambaDeltaFullWhenNeeded(t *testing.T) {
	f := newSambaFixture(t)
	r := f.reader(t, func(c *ldap.Config) { c.Group = f.scope })
	_, res1 := read(t, r, "")
	rec, res := readAny(t, r, res1.Watermark)
	if res.Full || len(rec.upserts) != 0 {
		t.Fatalf("unchanged delta: full=%v upserts=%v", res.Full, f.names(rec))
	}

	// zoe joins the nested group: zoe did not change, the group did.
	mod := goldap.NewModifyRequest(f.nested, nil)
	mod.Add("member", []string{f.dn["zoe"]})
	if err := f.dc.Dial(t).Modify(mod); err != nil {
		t.Fatal(err)
	}
	rec, res = read(t, r, res.Watermark)
	if !res.Full {
		t.Error("delta after a nested group change was not a full read")
	}
	if got, want := f.names(rec), []string{"alice", "carol", "zoe"}; !slices.Equal(got, want) {
		t.Errorf("upserted %v, want %v", got, want)
	}

	// A watermark of another DC (invocationId): a full read, not an error.
	other := strings.Replace(res.Watermark, `"invocationId":"`, `"invocationId":"00`, 1)
	rec, res = read(t, r, other)
	if !res.Full || len(rec.upserts) != 3 {
		t.Errorf("other DC's watermark: full=%v upserts=%v", res.Full, f.names(rec))
	}
	if _, err := r.Read(context.Background(), `{"v":1,"kind":"openldap","modifyTimestamp":"20200101000000Z"}`, &recorder{}); !errors.Is(err, directory.ErrWatermark) {
		t.Errorf("OpenLDAP watermark on AD: %v", err)
	}
}
