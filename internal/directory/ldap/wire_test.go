package ldap

import (
	"bytes"
	"errors"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
)

// entryMessage encodes a SearchResultEntry the way a server does, with go-asn1-ber.
func entryMessage(id int64, dn string, attrs map[string][]string) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, goldap.ApplicationSearchResultEntry, nil, "")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, ""))
	list := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	for name, vals := range attrs {
		pa := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		pa.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, name, ""))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
		for _, v := range vals {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, ""))
		}
		pa.AppendChild(set)
		list.AppendChild(pa)
	}
	op.AppendChild(list)
	return envelope(id, op)
}

func doneMessage(id int64, code int64, diag string, controls ...goldap.Control) []byte {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, goldap.ApplicationSearchResultDone, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, code, ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, ""))
	return envelope(id, op, controls...)
}

func TestDecodeEntry(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 70000)) // a 3-byte length
	b := entryMessage(7, "uid=zoé,ou=Zürich,dc=example,dc=com", map[string][]string{
		"mail": {"a@example.com", "b@example.com"}, "displayName": {"ab\xff\xfe"}, "description": {long}})
	m, err := parseMessage(b)
	if err != nil || m.id != 7 || m.op != opSearchEntry {
		t.Fatalf("message %+v, %v", m, err)
	}
	var e entry
	if err := e.parse(m.body); err != nil {
		t.Fatal(err)
	}
	if string(e.dn) != "uid=zoé,ou=Zürich,dc=example,dc=com" {
		t.Errorf("dn %q", e.dn)
	}
	if v := e.values("MAIL"); len(v) != 2 || string(v[1]) != "b@example.com" {
		t.Errorf("mail %q", v)
	}
	if v := e.first("displayname"); string(v) != "ab\xff\xfe" {
		t.Errorf("displayName %q", v)
	}
	if v := e.first("description"); len(v) != 70000 {
		t.Errorf("description of %d bytes", len(v))
	}
	if e.values("mobile") != nil {
		t.Error("absent attribute has values")
	}
	// Reuse for a smaller entry keeps nothing of the first.
	m, _ = parseMessage(entryMessage(8, "cn=x", map[string][]string{"cn": {"x"}}))
	if err := e.parse(m.body); err != nil || len(e.attrs) != 1 || e.values("mail") != nil {
		t.Errorf("reused entry: %v %d attrs", err, len(e.attrs))
	}
}

func TestDecodeDone(t *testing.T) {
	paging := goldap.NewControlPaging(1000)
	paging.SetCookie([]byte("next\x00page"))
	m, err := parseMessage(doneMessage(3, 0, "", paging))
	if err != nil || m.op != opSearchDone {
		t.Fatal(m, err)
	}
	if err := result(m.body); err != nil {
		t.Fatal(err)
	}
	cookie, found, err := pagingCookie(m.controls)
	if err != nil || !found || string(cookie) != "next\x00page" {
		t.Errorf("cookie %q found=%v err=%v", cookie, found, err)
	}

	m, _ = parseMessage(doneMessage(4, 32, "no such object"))
	err = result(m.body)
	if !goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		t.Errorf("err = %v, want noSuchObject", err)
	}
	if _, found, _ := pagingCookie(m.controls); found {
		t.Error("paging control found in a done without controls")
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := entryMessage(9, "cn=x,dc=example,dc=com", map[string][]string{"cn": {"x"}})
	for name, b := range map[string][]byte{
		"empty":             {},
		"not a sequence":    {0x04, 0x00},
		"truncated":         good[:len(good)-3],
		"length past end":   {0x30, 0x7f, 0x02, 0x01, 0x01},
		"indefinite length": {0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00},
		"5-byte length":     {0x30, 0x85, 0, 0, 0, 0, 1},
		"multi-byte tag":    {0x30, 0x04, 0x1f, 0x81, 0x01, 0x00},
		"no message id":     {0x30, 0x02, 0x04, 0x00},
	} {
		m, err := parseMessage(b)
		if err == nil {
			var e entry
			err = e.parse(m.body)
		}
		if !errors.Is(err, errMalformed) {
			t.Errorf("%s: err = %v, want errMalformed", name, err)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add(entryMessage(9, "cn=x,dc=example,dc=com", map[string][]string{"cn": {"x"}, "mail": {"a", "b"}}))
	f.Add(doneMessage(3, 0, "", goldap.NewControlPaging(10)))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMessage(b)
		if err != nil {
			return
		}
		var e entry
		_ = e.parse(m.body)
		_ = result(m.body)
		_, _, _ = pagingCookie(m.controls)
	})
}
