// Package export holds what the readers of directory exports (directory/ldif, directory/csv)
// share: decoding the file's text (UTF-8 with or without a byte order mark, or UTF-16 as
// ldifde -u and csvde -u write it), choosing the entries that are users, the attributes to
// keep, and the reader's identity (Key).
package export

import (
	"bufio"
	"bytes"
	"io"
	"net/url"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/sspr/sspr/internal/directory"
)

// TextReader removes a UTF-8 byte order mark and converts UTF-16 (with its byte order mark)
// to UTF-8.
func TextReader(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 32<<10)
	b, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		return br
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	}
	return br
}

// Attributes lists what a reader keeps of each entry: the schema's attributes and objectClass.
func Attributes(s directory.Schema) []string {
	names := s.Attributes()
	for _, n := range names {
		if strings.EqualFold(n, "objectClass") {
			return names
		}
	}
	return append(names, "objectClass")
}

// IsUser reports whether an entry is a user: one of its objectClass values is objectClass
// (case-insensitive), or, when objectClass is "", it has a value in the mapped
// userPrincipalName attribute. On Active Directory (any Kind but OpenLDAP) computer accounts are
// never users, although the computer class derives from user.
func IsUser(s directory.Schema, objectClass string, values directory.Values) bool {
	classes := values("objectClass")
	if s.Kind != directory.OpenLDAP && hasFold(classes, "computer") {
		return false
	}
	if objectClass == "" {
		return len(values(s.Mapping.UserPrincipalName)) > 0
	}
	return hasFold(classes, objectClass)
}

func hasFold(values [][]byte, s string) bool {
	for _, v := range values {
		if strings.EqualFold(string(v), s) {
			return true
		}
	}
	return false
}

// Key renders a reader's identity: scheme ("ldif", "csv"), absolute path, mapping and filter, so
// that another file or mapping is another scope.
func Key(scheme, path string, s directory.Schema, objectClass string) string {
	v := url.Values{}
	v.Set("kind", string(s.Kind))
	v.Set("userPrincipalName", s.Mapping.UserPrincipalName)
	v.Set("displayName", s.Mapping.DisplayName)
	v.Set("mobilePhone", s.Mapping.MobilePhone)
	v.Set("officePhone", s.Mapping.OfficePhone)
	v.Set("alternateEmails", s.Mapping.AlternateEmails)
	v.Set("objectClass", objectClass)
	return scheme + ":" + path + "?" + v.Encode()
}
