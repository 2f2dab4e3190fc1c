package ldif

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/directory"
)

// recorder is a directory.Handler that records what it receives.
type recorder struct {
	upserts []directory.Record
	rejects []directory.Rejection
	// fail, when set, is returned by the call with that number (1-based).
	fail      error
	failAfter int
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

// writeFile writes content to a file in a fresh directory and returns its path.
func writeFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.ldf")
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
		UserPrincipalName:    "administrator.two.with.a.rather.long.name.to.fold@corp.example.com", // folded
		DisplayName:          "Administrator Two",
		MobilePhone:          "004930 1234 5678",
		AccountEnabled:       true, // 66048 = NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
		Privileged:           true,
		PasswordNeverExpires: true, // DONT_EXPIRE_PASSWORD
	}
	noUPN := directory.Rejection{
		DN:     "CN=No UPN,OU=Staff,DC=corp,DC=example,DC=com",
		Anchor: mustHex(t, "5a5a5a5a000011418222333344445555"),
		Reason: "line 70: no userPrincipalName (attribute userPrincipalName is empty)",
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
	svc := directory.Record{
		DN:                "uid=svc-backup,ou=people,dc=example,dc=org",
		Anchor:            mustHex(t, "9b2f1a3c-0000-4000-8000-000000000001"),
		UserPrincipalName: "svc-backup",
		AccountEnabled:    true,
	}
	noUUID := directory.Rejection{
		DN:     "uid=nouuid,ou=people,dc=example,dc=org",
		Reason: "line 59: no anchor (attribute entryUUID is empty)",
	}
	aase := directory.Record{
		DN:                `CN=Ødegård\, Åse,OU=Staff,DC=corp,DC=example,DC=com`,
		Anchor:            mustHex(t, "67452301ab89de4c8f0123456789abcd"),
		UserPrincipalName: "aodegard@corp.example.com",
		DisplayName:       "Åse Ødegård",
		MobilePhone:       "+47 412 34 567",
		AccountEnabled:    true,
	}

	tests := []struct {
		name    string
		file    string
		schema  directory.Schema
		opts    Options
		upserts []directory.Record
		rejects []directory.Rejection
	}{
		{"ldifde, class user", "ldifde.ldf", adSchema(), Options{ObjectClass: "user"},
			[]directory.Record{smith, mueller, admin}, []directory.Rejection{noUPN}},
		{"ldifde, class in another case", "ldifde.ldf", adSchema(), Options{ObjectClass: "USER"},
			[]directory.Record{smith, mueller, admin}, []directory.Rejection{noUPN}},
		// Without a class, the user without userPrincipalName is skipped, not rejected.
		{"ldifde, no class", "ldifde.ldf", adSchema(), Options{},
			[]directory.Record{smith, mueller, admin}, nil},
		{"ldifde -u (UTF-16)", "ldifde-unicode.ldf", adSchema(), Options{ObjectClass: "user"},
			[]directory.Record{aase}, nil},
		{"slapcat, class inetOrgPerson", "slapcat.ldif", ldapSchema(), Options{ObjectClass: "inetOrgPerson"},
			[]directory.Record{jdoe, bsmith}, []directory.Rejection{noUUID}},
		// Without a class, every entry with a uid is in scope: the service account too.
		{"slapcat, no class", "slapcat.ldif", ldapSchema(), Options{},
			[]directory.Record{jdoe, bsmith, svc}, []directory.Rejection{noUUID}},
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

// TestReadVariants covers syntax an export may use, on small inline files.
func TestReadVariants(t *testing.T) {
	const guid = "objectGUID:: t+iMhxMnqUGnZV45Bate8g==\n"
	anchor := mustHex(t, "b7e88c871327a941a7655e3905ab5ef2")
	base := directory.Record{DN: "CN=a,DC=x", Anchor: anchor, UserPrincipalName: "a@x", AccountEnabled: true}
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
		{"plain", "dn: CN=a,DC=x\nobjectClass: user\n" + guid + "userPrincipalName: a@x\n", base},
		{"UTF-8 BOM, version, CRLF", "\uFEFFversion: 1\r\n\r\ndn: CN=a,DC=x\r\nobjectClass: user\r\n" +
			strings.TrimSuffix(guid, "\n") + "\r\nuserPrincipalName: a@x\r\n\r\n", base},
		{"version directly followed by dn", "version: 1\ndn: CN=a,DC=x\nobjectClass: user\n" + guid + "userPrincipalName: a@x\n", base},
		{"no space after colon, several spaces", "dn:CN=a,DC=x\nobjectClass:user\nobjectGUID::    t+iMhxMnqUGnZV45Bate8g==\nuserPrincipalName:a@x\n", base},
		{"names in any case", "DN: CN=a,DC=x\nOBJECTCLASS: USER\nObjectGuid:: t+iMhxMnqUGnZV45Bate8g==\nUSERPRINCIPALNAME: a@x\nMOBILE: 1\n",
			with(func(r *directory.Record) { r.MobilePhone = "1" })},
		{"options stripped", "dn: CN=a,DC=x\nobjectClass: user\nobjectGUID;binary:: t+iMhxMnqUGnZV45Bate8g==\nuserPrincipalName: a@x\ndisplayName;lang-en: A\n",
			with(func(r *directory.Record) { r.DisplayName = "A" })},
		{"dn and values in base64", "dn:: Q049w6ksREM9eA==\nobjectClass: user\n" + guid + "userPrincipalName:: w6lAeA==\n",
			with(func(r *directory.Record) { r.DN, r.UserPrincipalName = "CN=é,DC=x", "é@x" })},
		{"folding keeps spaces after the first", "dn: CN=a,\n DC=x\nobjectClass: user\n" + guid + "userPrincipalName: a@x\ndisplayName: Ann\n  Lee\n",
			with(func(r *directory.Record) { r.DisplayName = "Ann Lee" })},
		{"fold in base64", "dn: CN=a,DC=x\nobjectClass: user\nobjectGUID:: t+iMhxMnqU\n GnZV45Bate8g==\nuserPrincipalName: a@x\n", base},
		{"comments everywhere", "# exported\n#  folded comment\n  more\ndn: CN=a,DC=x\n# inside\nobjectClass: user\n" + guid + "userPrincipalName: a@x\n\n# trailing\n", base},
		{"changetype add", "dn: CN=a,DC=x\nchangetype: add\nobjectClass: user\n" + guid + "userPrincipalName: a@x\n", base},
		{"several blank lines", "\n\n\ndn: CN=a,DC=x\nobjectClass: user\n" + guid + "userPrincipalName: a@x\n\n\n\n", base},
		{"GUID as text", "dn: CN=a,DC=x\nobjectClass: user\nobjectGUID: {878ce8b7-2713-41a9-a765-5e3905ab5ef2}\nuserPrincipalName: a@x\n", base},
		{"trailing spaces kept", "dn: CN=a,DC=x\nobjectClass: user\n" + guid + "userPrincipalName: a@x\nmobile: 1 \n",
			with(func(r *directory.Record) { r.MobilePhone = "1 " })},
		{"empty value", "dn: CN=a,DC=x\nobjectClass: user\n" + guid + "userPrincipalName: a@x\nmobile:\n", base},
		{"disabled", "dn: CN=a,DC=x\nobjectClass: user\n" + guid + "userPrincipalName: a@x\nuserAccountControl: 546\n",
			with(func(r *directory.Record) { r.AccountEnabled = false })},
		{"userCertificate folded over more than 1 MiB", "dn: CN=a,DC=x\nobjectClass: user\n" + guid + "userPrincipalName: a@x\nuserCertificate;binary:: " +
			strings.Repeat(strings.Repeat("QUJD", 1000)+"\n ", 400) + "QUJD\n", base},
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
	const entry = "dn: CN=a,DC=x\nobjectClass: user\nobjectGUID:: t+iMhxMnqUGnZV45Bate8g==\nuserPrincipalName: a@x\n"
	tests := []struct {
		name    string
		content string
		kind    error
		line    int // 0: no line (ErrEmpty)
		msg     string
	}{
		{"line without colon", entry + "mobile +1 555\n", ErrSyntax, 5, "no colon"},
		{"bad base64", entry + "\ndn: CN=b,DC=x\nobjectGUID:: t+iMhxMnqUGnZV45Bate8g=\n", ErrSyntax, 7, "base64"},
		{"bad base64 in an attribute not kept", entry + "jpegPhoto:: ***\n", ErrSyntax, 5, "jpegPhoto"},
		{"bad base64 dn", "dn:: @@@\nobjectClass: user\n", ErrSyntax, 1, "base64"},
		{"URL value", entry + "jpegPhoto:< file:///tmp/a.jpg\n", ErrUnsupported, 5, "URL"},
		{"changetype modify", "dn: CN=a,DC=x\nchangetype: modify\nreplace: mobile\nmobile: 1\n-\n", ErrUnsupported, 2, "modify"},
		{"changetype delete", entry + "\ndn: CN=b,DC=x\nchangetype: delete\n", ErrUnsupported, 7, "delete"},
		{"changetype unknown", "dn: CN=a,DC=x\nchangetype: frobnicate\n", ErrSyntax, 2, "frobnicate"},
		{"control", "dn: CN=a,DC=x\ncontrol: 1.2.840.113556.1.4.805 true\nchangetype: delete\n", ErrUnsupported, 2, "control"},
		{"cut mid-line", entry + "mobile: +1 55", ErrSyntax, 5, "line break"},
		{"cut mid-line CRLF", strings.ReplaceAll(entry, "\n", "\r\n") + "\r\ndn: CN=b", ErrSyntax, 6, "line break"},
		{"cut after dn", entry + "\ndn: CN=b,DC=x\n", ErrSyntax, 6, "no attributes"},
		{"physical line over 1 MiB", entry + "description: " + strings.Repeat("x", maxLine) + "\n", ErrSyntax, 5, "longer"},
		{"physical line over 1 MiB at end", entry + "description: " + strings.Repeat("x", maxLine+100), ErrSyntax, 5, "longer"},
		{"continuation after blank line", entry + "\n continued\n", ErrSyntax, 6, "continuation"},
		{"entry without dn", entry + "\nobjectClass: user\n", ErrSyntax, 6, "dn"},
		{"missing blank line", entry + "dn: CN=b,DC=x\nobjectClass: user\n", ErrSyntax, 5, "second"},
		{"version 2", "version: 2\n\n" + entry, ErrUnsupported, 1, "version"},
		{"version later", entry + "\nversion: 1\n", ErrSyntax, 6, "version"},
		{"space in attribute name", entry + "mobile phone: 1\n", ErrSyntax, 5, "attribute name"},
		{"empty attribute name", entry + ": 1\n", ErrSyntax, 5, "attribute name"},
		{"empty file", "", ErrEmpty, 0, "no entries"},
		{"comments only", "# nothing\n\n", ErrEmpty, 0, "no entries"},
		{"version only", "version: 1\n", ErrEmpty, 0, "no entries"},
		{"no anchor exported", "dn: CN=a,DC=x\nobjectClass: user\nuserPrincipalName: a@x\n\ndn: CN=b,DC=x\nobjectClass: user\nuserPrincipalName: b@x\n", ErrNoAnchor, 0, "objectGUID"},
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
			var le *LineError
			switch {
			case tt.line == 0:
				if errors.As(err, &le) {
					t.Errorf("unexpected line error %v", err)
				}
			case !errors.As(err, &le):
				t.Errorf("error %q is not a *LineError", err)
			case le.Line != tt.line:
				t.Errorf("error %q at line %d, want %d", err, le.Line, tt.line)
			case !strings.Contains(err.Error(), fmt.Sprintf("line %d:", tt.line)):
				t.Errorf("error %q does not name line %d", err, tt.line)
			}
		})
	}
}

func TestReadStops(t *testing.T) {
	path := filepath.Join("testdata", "ldifde.ldf")
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		h := &recorder{}
		_, err := New(path, adSchema(), Options{ObjectClass: "user"}).Read(ctx, "", h)
		if !errors.Is(err, context.Canceled) || h.calls != 0 {
			t.Errorf("err %v after %d calls, want context.Canceled before any", err, h.calls)
		}
	})
	t.Run("cancelled between entries", func(t *testing.T) {
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
		_, err := New(filepath.Join(t.TempDir(), "none.ldf"), adSchema(), Options{}).Read(t.Context(), "", &recorder{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err %v, want not exist", err)
		}
	})
	t.Run("no UPN mapping", func(t *testing.T) {
		_, err := New(path, directory.Schema{}, Options{}).Read(t.Context(), "", &recorder{})
		if err == nil {
			t.Error("no error for a mapping without userPrincipalName")
		}
	})
}

func TestReadIgnoresWatermark(t *testing.T) {
	h := &recorder{}
	res, err := New(filepath.Join("testdata", "ldifde.ldf"), adSchema(), Options{ObjectClass: "user"}).
		Read(t.Context(), "some-watermark", h)
	if err != nil || !res.Full || !res.Complete || res.Watermark != "" || len(h.upserts) != 3 {
		t.Errorf("res %+v err %v upserts %d, want a full complete read", res, err, len(h.upserts))
	}
}

func TestKey(t *testing.T) {
	other := adSchema()
	other.Mapping.MobilePhone = "otherMobile"
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	k := New("testdata/ldifde.ldf", adSchema(), Options{ObjectClass: "user"}).Key()
	if !strings.HasPrefix(k, "ldif:"+filepath.Join(wd, "testdata", "ldifde.ldf")+"?") {
		t.Errorf("key %q does not hold the absolute path", k)
	}
	if k2 := New(filepath.Join(wd, "testdata/ldifde.ldf"), adSchema(), Options{ObjectClass: "user"}).Key(); k2 != k {
		t.Errorf("same file, two keys: %q %q", k, k2)
	}
	for name, r := range map[string]*Reader{
		"other file":    New("testdata/slapcat.ldif", adSchema(), Options{ObjectClass: "user"}),
		"other mapping": New("testdata/ldifde.ldf", other, Options{ObjectClass: "user"}),
		"other class":   New("testdata/ldifde.ldf", adSchema(), Options{}),
		"other kind":    New("testdata/ldifde.ldf", directory.Schema{Kind: directory.OpenLDAP, Mapping: adSchema().Mapping}, Options{ObjectClass: "user"}),
	} {
		if r.Key() == k {
			t.Errorf("%s: same key %q", name, k)
		}
	}
}

func TestParseGUIDText(t *testing.T) {
	want := mustHex(t, "b7e88c871327a941a7655e3905ab5ef2")
	for _, s := range []string{"878ce8b7-2713-41a9-a765-5e3905ab5ef2", "{878CE8B7-2713-41A9-A765-5E3905AB5EF2}"} {
		b, ok := directory.ParseGUIDText([]byte(s))
		if !ok || !reflect.DeepEqual(b, want) {
			t.Errorf("%s: %x %v", s, b, ok)
		}
		if got := directory.FormatAnchor(directory.ActiveDirectory, b); !strings.EqualFold(got, strings.Trim(s, "{}")) {
			t.Errorf("round trip %s -> %s", s, got)
		}
	}
	for _, s := range []string{"", "878ce8b7-2713-41a9-a765-5e3905ab5ef", "878ce8b7x2713-41a9-a765-5e3905ab5ef2", "{878ce8b7-2713-41a9-a765-5e3905ab5ef2", "g78ce8b7-2713-41a9-a765-5e3905ab5ef2"} {
		if _, ok := directory.ParseGUIDText([]byte(s)); ok {
			t.Errorf("%q parsed", s)
		}
	}
}
