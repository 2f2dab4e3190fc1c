package csv

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/directory"
)

// recorder is a directory.Handler that records what it receives.
type recorder struct {
	upserts   []directory.Record
	rejects   []directory.Rejection
	fail      error
	failAfter int // the call (1-based) that returns fail
	calls     int
	onCall    func()
}

func (r *recorder) call() error {
	r.calls++
	if r.onCall != nil {
		r.onCall()
	}
	if r.fail != nil && r.calls == r.failAfter {
		return r.fail
	}
	return nil
}

func (r *recorder) Upsert(_ context.Context, rec directory.Record) error {
	r.upserts = append(r.upserts, rec)
	return r.call()
}

func (r *recorder) Present(context.Context, []byte) error { panic("Present called by a full read") }
func (r *recorder) Delete(context.Context, []byte) error  { panic("Delete called by an export reader") }

func (r *recorder) Reject(_ context.Context, rej directory.Rejection) error {
	r.rejects = append(r.rejects, rej)
	return r.call()
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func adSchema() directory.Schema {
	m := directory.DefaultMapping(directory.ActiveDirectory)
	m.AlternateEmails = "otherMailbox"
	return directory.Schema{Kind: directory.ActiveDirectory, Mapping: m}
}

func ldapSchema() directory.Schema {
	m := directory.DefaultMapping(directory.OpenLDAP)
	m.AlternateEmails = "mail"
	return directory.Schema{Kind: directory.OpenLDAP, Mapping: m}
}

func writeFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func read(t *testing.T, path string, s directory.Schema, o Options) (*recorder, directory.Result, error) {
	t.Helper()
	h := &recorder{}
	res, err := New(path, s, o).Read(t.Context(), "", h)
	return h, res, err
}

func TestReadExports(t *testing.T) {
	smith := directory.Record{
		DN:                `CN=Smith\, John,OU=Staff,DC=corp,DC=example,DC=com`,
		Anchor:            mustHex(t, "b7e88c871327a941a7655e3905ab5ef2"),
		UserPrincipalName: "jsmith@corp.example.com",
		DisplayName:       "John Smith",
		MobilePhone:       "+1 425-555-0199",
		OfficePhone:       "+1 (425) 555-0100 x123",
		AlternateEmails:   []string{"john.smith@gmail.example", "jsmith@private.example"},
		AccountEnabled:    true,
	}
	mueller := directory.Record{
		DN:                `CN=Müller\, Jürgen,OU=Staff,DC=corp,DC=example,DC=com`,
		Anchor:            mustHex(t, "ad3d0e1f90995a4c8b6a2d1c4e8f7a01"),
		UserPrincipalName: "jmueller@corp.example.com",
		DisplayName:       "Jürgen Müller",
		MobilePhone:       "0171 1234567",
		AccountEnabled:    false, // userAccountControl 514
	}
	admin := directory.Record{
		DN:                   "CN=Administrator Two,OU=Staff,DC=corp,DC=example,DC=com",
		Anchor:               mustHex(t, "00eeffc03412bc4a9def0123456789ab"),
		UserPrincipalName:    "admin2@corp.example.com",
		DisplayName:          `Administrator "Two"`,
		MobilePhone:          "004930 1234 5678",
		AccountEnabled:       true,
		Privileged:           true,
		PasswordNeverExpires: true, // DONT_EXPIRE_PASSWORD
	}
	noUPN := directory.Rejection{
		DN:     "CN=No UPN,OU=Staff,DC=corp,DC=example,DC=com",
		Anchor: mustHex(t, "5a5a5a5a000011418222333344445555"),
		Reason: "row 6 (line 6): no userPrincipalName (attribute userPrincipalName is empty)",
	}
	jdoe := directory.Record{
		DN:                "uid=jdoe,ou=people,dc=example,dc=org",
		Anchor:            mustHex(t, "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
		UserPrincipalName: "jdoe",
		DisplayName:       "Jane Doe",
		MobilePhone:       "+44 7700 900123",
		OfficePhone:       "020 7946 0000",
		AlternateEmails:   []string{"jane.doe@example.org"},
		AccountEnabled:    true,
	}
	bsmith := directory.Record{
		DN:                "uid=bsmith,ou=people,dc=example,dc=org",
		Anchor:            mustHex(t, "7c9e6679-7425-40de-944b-e07fc1f90ae7"),
		UserPrincipalName: "bsmith",
		DisplayName:       "Björn Smith",
		MobilePhone:       "0046 70 123 45 67",
		AccountEnabled:    false, // pwdAccountLockedTime 000001010000Z
	}
	bad := directory.Rejection{
		DN:     "uid=bad,ou=people,dc=example,dc=org",
		Reason: `row 5 (line 5): entryUUID "not-a-uuid" is not a UUID`,
	}
	tests := []struct {
		name    string
		file    string
		schema  directory.Schema
		opts    Options
		upserts []directory.Record
		rejects []directory.Rejection
	}{
		{"csvde, class user", "csvde.csv", adSchema(), Options{ObjectClass: "user"},
			[]directory.Record{smith, mueller, admin}, []directory.Rejection{noUPN}},
		{"csvde, no class", "csvde.csv", adSchema(), Options{},
			[]directory.Record{smith, mueller, admin}, nil},
		{"csvde -u (UTF-16)", "csvde-unicode.csv", adSchema(), Options{ObjectClass: "User"},
			[]directory.Record{smith, mueller, admin}, []directory.Rejection{noUPN}},
		{"OpenLDAP, entryUUID as text", "openldap.csv", ldapSchema(), Options{ObjectClass: "inetOrgPerson"},
			[]directory.Record{jdoe, bsmith}, []directory.Rejection{bad}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, res, err := read(t, filepath.Join("testdata", tt.file), tt.schema, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if want := (directory.Result{Full: true, Complete: true}); res != want {
				t.Errorf("result = %+v, want %+v", res, want)
			}
			if !reflect.DeepEqual(h.upserts, tt.upserts) {
				t.Errorf("upserts:\n got %+v\nwant %+v", h.upserts, tt.upserts)
			}
			if !reflect.DeepEqual(h.rejects, tt.rejects) {
				t.Errorf("rejects:\n got %+v\nwant %+v", h.rejects, tt.rejects)
			}
		})
	}
}

func TestReadVariants(t *testing.T) {
	const guid = "X'b7e88c871327a941a7655e3905ab5ef2'"
	base := directory.Record{DN: "CN=a,DC=x", Anchor: mustHex(t, "b7e88c871327a941a7655e3905ab5ef2"), UserPrincipalName: "a@x", AccountEnabled: true}
	with := func(f func(*directory.Record)) directory.Record {
		r := base
		f(&r)
		return r
	}
	tests := []struct {
		name    string
		content string
		want    directory.Record
	}{
		{"minimal", "DN,objectClass,objectGUID,userPrincipalName\n\"CN=a,DC=x\",user," + guid + ",a@x\n", base},
		{"header in any case, CRLF, BOM", "\uFEFFdn,OBJECTCLASS,ObjectGuid,USERPRINCIPALNAME,Mobile\r\n\"CN=a,DC=x\",top;User," + guid + ",a@x,+1 555\r\n",
			with(func(r *directory.Record) { r.MobilePhone = "+1 555" })},
		{"distinguishedName as DN", "distinguishedName,objectClass,objectGUID,userPrincipalName\n\"CN=a,DC=x\",user," + guid + ",a@x\n", base},
		{"DN preferred over distinguishedName", "distinguishedName,DN,objectClass,objectGUID,userPrincipalName\nwrong,\"CN=a,DC=x\",user," + guid + ",a@x\n", base},
		{"spaces and options in the header", " DN , objectClass,objectGUID;binary , userPrincipalName,userCertificate;binary\n\"CN=a,DC=x\",user," + guid + ",a@x,X'00'\n", base},
		{"lower-case x and hex", "DN,objectClass,objectGUID,userPrincipalName\n\"CN=a,DC=x\",user,x'B7E88C871327A941A7655E3905AB5EF2',a@x\n", base},
		{"GUID as text", "DN,objectClass,objectGUID,userPrincipalName\n\"CN=a,DC=x\",user,878ce8b7-2713-41a9-a765-5e3905ab5ef2,a@x\n", base},
		{"alternate emails split, spaces and empty parts dropped", "DN,objectClass,objectGUID,userPrincipalName,otherMailbox\n\"CN=a,DC=x\",user," + guid + ",a@x, b@x ;;c@x;\n",
			with(func(r *directory.Record) { r.AlternateEmails = []string{"b@x", "c@x"} })},
		{"single-valued fields keep ';'", "DN,objectClass,objectGUID,userPrincipalName,displayName\n\"CN=a,DC=x\",user," + guid + ",a@x,A;B\n",
			with(func(r *directory.Record) { r.DisplayName = "A;B" })},
		{"quoted field over two lines", "DN,objectClass,objectGUID,userPrincipalName,displayName\n\"CN=a,DC=x\",user," + guid + ",a@x,\"A\nB\"\n",
			with(func(r *directory.Record) { r.DisplayName = "A\nB" })},
		{"text that looks almost binary", "DN,objectClass,objectGUID,userPrincipalName,displayName\n\"CN=a,DC=x\",user," + guid + ",a@x,X'abc'\n",
			with(func(r *directory.Record) { r.DisplayName = "X'abc'" })},
		{"empty field is absent", "DN,objectClass,objectGUID,userPrincipalName,mobile,userAccountControl\n\"CN=a,DC=x\",user," + guid + ",a@x,,\n", base},
		{"blank lines skipped", "\nDN,objectClass,objectGUID,userPrincipalName\n\n\"CN=a,DC=x\",user," + guid + ",a@x\n\n", base},
		{"disabled, privileged", "DN,objectClass,objectGUID,userPrincipalName,userAccountControl,adminCount\n\"CN=a,DC=x\",user," + guid + ",a@x,66050,1\n",
			with(func(r *directory.Record) { r.AccountEnabled, r.Privileged, r.PasswordNeverExpires = false, true, true })}, // 66050: DONT_EXPIRE_PASSWORD too
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, err := read(t, writeFile(t, tt.content), adSchema(), Options{ObjectClass: "user"})
			if err != nil {
				t.Fatal(err)
			}
			if len(h.rejects) != 0 || len(h.upserts) != 1 {
				t.Fatalf("got upserts %+v rejects %+v, want one upsert", h.upserts, h.rejects)
			}
			if !reflect.DeepEqual(h.upserts[0], tt.want) {
				t.Errorf("got  %+v\nwant %+v", h.upserts[0], tt.want)
			}
		})
	}
}

func TestReadMalformed(t *testing.T) {
	const header = "DN,objectClass,objectGUID,userPrincipalName,mobile\r\n"
	const row = "\"CN=a,DC=x\",user,X'b7e88c871327a941a7655e3905ab5ef2',a@x,+1 555\r\n"
	tests := []struct {
		name      string
		content   string
		kind      error
		row, line int // 0: no row (ErrEmpty)
		msg       string
	}{
		{"too few fields", header + row + "\"CN=b,DC=x\",user,X'00',b@x\r\n", ErrSyntax, 3, 3, "4 fields, the header has 5"},
		{"too many fields", header + row + row + "CN=c,user,X'00',c@x,1,2\r\n", ErrSyntax, 4, 4, "6 fields"},
		{"bare quote", header + "CN=a,us\"er,X'00',a@x,1\r\n", ErrSyntax, 2, 2, "bare"},
		{"quote never closed", header + row + "\"CN=b,DC=x,user,X'00',b@x,1\r\n", ErrSyntax, 3, 3, "quote"},
		{"cut mid-row", header + row + "\"CN=b,DC=x\",user,X'00',b@x,+1 5", ErrSyntax, 3, 3, "line break"},
		{"cut after the header", strings.TrimSuffix(header, "\r\n"), ErrSyntax, 1, 1, "line break"},
		{"row over 16 MiB", header + "\"CN=b" + strings.Repeat("x,", maxRecord/2+1<<20) + "\r\n", ErrSyntax, 2, 2, "longer"},
		{"no DN column", "objectClass,objectGUID,userPrincipalName\r\nuser,X'00',a@x\r\n", ErrColumns, 1, 1, "no DN column"},
		{"no anchor column", "DN,objectClass,userPrincipalName\r\nCN=a,user,a@x\r\n", ErrColumns, 1, 1, "objectGUID"},
		{"no UPN column", "DN,objectClass,objectGUID\r\nCN=a,user,X'00'\r\n", ErrColumns, 1, 1, "userPrincipalName"},
		{"two mobile columns", "DN,objectClass,objectGUID,userPrincipalName,mobile,Mobile\r\n", ErrColumns, 1, 1, "two mobile columns"},
		{"two DN columns", "DN,dn,objectClass,objectGUID,userPrincipalName\r\n", ErrColumns, 1, 1, "two DN"},
		{"empty file", "", ErrEmpty, 0, 0, "no entries"},
		{"blank lines only", "\r\n\r\n", ErrEmpty, 0, 0, "no entries"},
		{"header only", header, ErrEmpty, 0, 0, "no entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			_, res, err := read(t, path, adSchema(), Options{ObjectClass: "user"})
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if res != (directory.Result{}) {
				t.Errorf("result %+v on error", res)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file and %q", err, tt.msg)
			}
			var re *RowError
			switch {
			case tt.row == 0:
				if errors.As(err, &re) {
					t.Errorf("unexpected row error %v", err)
				}
			case !errors.As(err, &re):
				t.Errorf("error %q is not a *RowError", err)
			case re.Row != tt.row || re.Line != tt.line:
				t.Errorf("error %q at row %d line %d, want row %d line %d", err, re.Row, re.Line, tt.row, tt.line)
			case !strings.Contains(err.Error(), fmt.Sprintf("row %d (line %d)", tt.row, tt.line)):
				t.Errorf("error %q does not name row %d", err, tt.row)
			}
		})
	}
}

func TestReadStops(t *testing.T) {
	path := filepath.Join("testdata", "csvde.csv")
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		h := &recorder{}
		_, err := New(path, adSchema(), Options{ObjectClass: "user"}).Read(ctx, "", h)
		if !errors.Is(err, context.Canceled) || h.calls != 0 {
			t.Errorf("err %v after %d calls, want context.Canceled before any", err, h.calls)
		}
	})
	t.Run("cancelled between rows", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		h := &recorder{onCall: cancel}
		_, err := New(path, adSchema(), Options{ObjectClass: "user"}).Read(ctx, "", h)
		if !errors.Is(err, context.Canceled) || h.calls != 1 {
			t.Errorf("err %v after %d calls, want context.Canceled after 1", err, h.calls)
		}
	})
	t.Run("handler error", func(t *testing.T) {
		errStop := errors.New("stop")
		h := &recorder{fail: errStop, failAfter: 2}
		_, err := New(path, adSchema(), Options{ObjectClass: "user"}).Read(t.Context(), "", h)
		if !errors.Is(err, errStop) || h.calls != 2 {
			t.Errorf("err %v after %d calls, want errStop after 2", err, h.calls)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := New(filepath.Join(t.TempDir(), "none.csv"), adSchema(), Options{}).Read(t.Context(), "", &recorder{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err %v, want not exist", err)
		}
	})
	t.Run("watermark ignored", func(t *testing.T) {
		h := &recorder{}
		res, err := New(path, adSchema(), Options{ObjectClass: "user"}).Read(t.Context(), "w", h)
		if err != nil || res != (directory.Result{Full: true, Complete: true}) || len(h.upserts) != 3 {
			t.Errorf("res %+v err %v upserts %d", res, err, len(h.upserts))
		}
	})
}

func TestKey(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	k := New("testdata/csvde.csv", adSchema(), Options{ObjectClass: "user"}).Key()
	if !strings.HasPrefix(k, "csv:"+filepath.Join(wd, "testdata", "csvde.csv")+"?") {
		t.Errorf("key %q does not hold the absolute path", k)
	}
	other := adSchema()
	other.Mapping.AlternateEmails = ""
	for name, r := range map[string]*Reader{
		"other file":    New("testdata/openldap.csv", adSchema(), Options{ObjectClass: "user"}),
		"other mapping": New("testdata/csvde.csv", other, Options{ObjectClass: "user"}),
		"other class":   New("testdata/csvde.csv", adSchema(), Options{}),
	} {
		if r.Key() == k {
			t.Errorf("%s: same key %q", name, k)
		}
	}
}

// FuzzRead reads arbitrary bytes as a CSV export: no panic, and a syntax error is a
// *RowError.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"csvde.csv", "csvde-unicode.csv", "openldap.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("DN,objectGUID,userPrincipalName,otherMailbox\n\"a\",x'00',u,;;\n"))
	readers := []*Reader{New("fuzz", adSchema(), Options{ObjectClass: "user"}), New("fuzz", ldapSchema(), Options{})}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range readers {
			_, err := r.read(t.Context(), bytes.NewReader(data), &recorder{})
			if errors.Is(err, ErrSyntax) || errors.Is(err, ErrColumns) {
				var re *RowError
				if !errors.As(err, &re) || re.Row < 1 || re.Line < 1 {
					t.Fatalf("error %v without a row", err)
				}
			}
		}
	})
}

type count struct{ upserts int }

func (c *count) Upsert(context.Context, directory.Record) error    { c.upserts++; return nil }
func (c *count) Present(context.Context, []byte) error             { return nil }
func (c *count) Delete(context.Context, []byte) error              { return nil }
func (c *count) Reject(context.Context, directory.Rejection) error { return nil }

// BenchmarkRead100k reads a generated csvde export of 100k users.
func BenchmarkRead100k(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	buf.WriteString("DN,objectClass,cn,displayName,userPrincipalName,mobile,telephoneNumber,otherMailbox,userAccountControl,objectGUID,memberOf\r\n")
	for i := range n {
		fmt.Fprintf(&buf, "\"CN=User %d\\, Test,OU=Staff,DC=corp,DC=example,DC=com\",top;person;organizationalPerson;user,\"User %d, Test\",Test User %d,user%d@corp.example.com,+1 425 555 %04d,+1 (425) 555-%04d,user%d@private.example,512,X'%08x000011418222333344445555',\"CN=Staff,OU=Groups,DC=corp,DC=example,DC=com;CN=VPN,OU=Groups,DC=corp,DC=example,DC=com\"\r\n",
			i, i, i, i, i%10000, (i+1)%10000, i, i)
	}
	path := filepath.Join(b.TempDir(), "big.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	r := New(path, adSchema(), Options{ObjectClass: "user"})
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		c := &count{}
		if _, err := r.Read(b.Context(), "", c); err != nil || c.upserts != n {
			b.Fatalf("err %v, %d upserts", err, c.upserts)
		}
	}
	runtime.ReadMemStats(&after)
	entries := float64(b.N) * n
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/entries, "ns/entry")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/entries, "allocs/entry")
}
