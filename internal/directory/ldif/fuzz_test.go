package ldif

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/export"
)

// FuzzParser feeds arbitrary bytes to the parser and converts every entry: it must never
// panic, and every error must be a *LineError naming a line of the input.
func FuzzParser(f *testing.F) {
	for _, name := range []string{"ldifde.ldf", "ldifde-unicode.ldf", "slapcat.ldif"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"version: 1\n\ndn: CN=a\nobjectGUID:: t+iMhxMnqUGnZV45Bate8g==\nuserPrincipalName: a\n",
		"dn: a\n b\nx:: AA==\n\n",
		"dn:: QQ==\r\nx;y: 1\r\n",
		"# c\n c\ndn: a\nchangetype: add\nx:< file:///\n",
		"\uFEFFdn: a\nx:\n",
		"dn: a\nobjectGUID: {878ce8b7-2713-41a9-a765-5e3905ab5ef2}\nuserPrincipalName: a\nobjectClass: user\n",
	} {
		f.Add([]byte(s))
	}
	readers := []*Reader{
		New("fuzz", adSchema(), Options{ObjectClass: "user"}),
		New("fuzz", ldapSchema(), Options{}),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range readers {
			p := newParser(export.TextReader(bytes.NewReader(data)), r.names)
			values := r.valuesFunc(p)
			for {
				ok, err := p.entry()
				if err != nil {
					var le *LineError
					if !errors.As(err, &le) {
						t.Fatalf("error %v is not a *LineError", err)
					}
					if le.Line < 1 {
						t.Fatalf("error %v at line %d", err, le.Line)
					}
					break
				}
				if !ok {
					break
				}
				if p.e.line < 1 || p.e.attrs == 0 {
					t.Fatalf("entry at line %d with %d attributes", p.e.line, p.e.attrs)
				}
				if export.IsUser(r.schema, r.opts.ObjectClass, values) {
					r.schema.Record(string(p.e.dn), values)
				}
			}
		}
	})
}

// count is a Handler that only counts, as the sync engine's cost is not measured here.
type count struct{ upserts, rejects int }

func (c *count) Upsert(context.Context, directory.Record) error    { c.upserts++; return nil }
func (c *count) Present(context.Context, []byte) error             { return nil }
func (c *count) Delete(context.Context, []byte) error              { return nil }
func (c *count) Reject(context.Context, directory.Rejection) error { c.rejects++; return nil }

// writeExport writes an ldifde-style export of n users (about 1 KiB each) plus an OU.
func writeExport(tb testing.TB, n int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "big.ldf")
	var buf bytes.Buffer
	buf.WriteString("\r\ndn: OU=Staff,DC=corp,DC=example,DC=com\r\nchangetype: add\r\nobjectClass: top\r\nobjectClass: organizationalUnit\r\nou: Staff\r\n\r\n")
	guid := make([]byte, 16)
	cert := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x30, 0x82, 0x01, 0x0a}, 60))
	for i := range n {
		guid[0], guid[1], guid[2], guid[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		fmt.Fprintf(&buf, "dn: CN=User %d\\, Test,OU=Staff,DC=corp,DC=example,DC=com\r\n", i)
		buf.WriteString("changetype: add\r\nobjectClass: top\r\nobjectClass: person\r\nobjectClass: organizationalPerson\r\nobjectClass: user\r\n")
		fmt.Fprintf(&buf, "cn: User %d, Test\r\nsn: Test\r\ngivenName: User %d\r\n", i, i)
		fmt.Fprintf(&buf, "distinguishedName: CN=User %d\\, Test,OU=Staff,DC=corp,DC=example,DC=com\r\n", i)
		fmt.Fprintf(&buf, "displayName: Test User %d\r\ntelephoneNumber: +1 (425) 555-%04d\r\nmobile: +1 425 555 %04d\r\n", i, i%10000, (i+1)%10000)
		fmt.Fprintf(&buf, "otherMailbox: user%d@private.example\r\n", i)
		fmt.Fprintf(&buf, "userAccountControl: %d\r\n", 512+2*(i%2))
		fmt.Fprintf(&buf, "objectGUID:: %s\r\n", base64.StdEncoding.EncodeToString(guid))
		fmt.Fprintf(&buf, "sAMAccountName: user%d\r\nuserPrincipalName: user%d@corp.example.com\r\n", i, i)
		buf.WriteString("memberOf: CN=Staff,OU=Groups,DC=corp,DC=example,DC=com\r\nmemberOf: CN=VPN Users,OU=Groups,DC=corp,DC=example,DC=com\r\n")
		line := "userCertificate:: " + cert
		buf.WriteString(line[:78])
		for rest := line[78:]; len(rest) > 0; {
			k := min(len(rest), 77)
			buf.WriteString("\r\n " + rest[:k])
			rest = rest[k:]
		}
		buf.WriteString("\r\n\r\n")
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestReadGenerated(t *testing.T) {
	r := New(writeExport(t, 1000), adSchema(), Options{ObjectClass: "user"})
	c := &count{}
	if _, err := r.Read(t.Context(), "", c); err != nil || c.upserts != 1000 || c.rejects != 0 {
		t.Fatalf("err %v, %d upserts %d rejects", err, c.upserts, c.rejects)
	}
}

// BenchmarkRead100k reads a generated 100k-user ldifde export (about 100 MB).
func BenchmarkRead100k(b *testing.B) {
	const n = 100_000
	r := New(writeExport(b, n), adSchema(), Options{ObjectClass: "user"})
	ctx := b.Context()
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		c := &count{}
		if _, err := r.Read(ctx, "", c); err != nil || c.upserts != n {
			b.Fatalf("err %v, %d upserts", err, c.upserts)
		}
	}
	runtime.ReadMemStats(&after)
	entries := float64(b.N) * n
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/entries, "ns/entry")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/entries, "allocs/entry")
}
