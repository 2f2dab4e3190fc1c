package directory

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the flavour of directory, which decides the defaults: anchor attribute, mapping,
// how a disabled account looks.
type Kind string

const (
	ActiveDirectory Kind = "activedirectory" // Active Directory and Samba AD
	OpenLDAP        Kind = "openldap"
)

// Mapping names the directory attribute read into each product field; "" leaves it unset.
type Mapping struct {
	UserPrincipalName string `yaml:"userPrincipalName"`
	DisplayName       string `yaml:"displayName"`
	MobilePhone       string `yaml:"mobilePhone"`
	OfficePhone       string `yaml:"officePhone"`
	AlternateEmails   string `yaml:"alternateEmails"`
	// PreferredLanguage is the user's language (BCP 47, as inetOrgPerson's preferredLanguage):
	// scheduled messages are composed in it.
	PreferredLanguage string `yaml:"preferredLanguage"`
}

// DefaultMapping is the mapping of the reference document (mobile → mobilePhone,
// telephoneNumber → officePhone); alternateEmails is unset unless the administrator maps it.
func DefaultMapping(k Kind) Mapping {
	m := Mapping{
		UserPrincipalName: "userPrincipalName",
		DisplayName:       "displayName",
		MobilePhone:       "mobile",
		OfficePhone:       "telephoneNumber",
		PreferredLanguage: "preferredLanguage",
	}
	if k == OpenLDAP {
		m.UserPrincipalName = "uid"
	}
	return m
}

// WithDefaults fills the empty fields of m from DefaultMapping(k), except AlternateEmails.
func (m Mapping) WithDefaults(k Kind) Mapping {
	d := DefaultMapping(k)
	if m.UserPrincipalName == "" {
		m.UserPrincipalName = d.UserPrincipalName
	}
	if m.DisplayName == "" {
		m.DisplayName = d.DisplayName
	}
	if m.MobilePhone == "" {
		m.MobilePhone = d.MobilePhone
	}
	if m.OfficePhone == "" {
		m.OfficePhone = d.OfficePhone
	}
	if m.PreferredLanguage == "" {
		m.PreferredLanguage = d.PreferredLanguage
	}
	return m
}

// Schema turns directory entries into Records: the kind's fixed attributes plus the mapping.
type Schema struct {
	Kind    Kind
	Mapping Mapping
}

// Attribute names fixed by the directory kind.
const (
	attrObjectGUID         = "objectGUID"
	attrEntryUUID          = "entryUUID"
	attrUserAccountControl = "userAccountControl"
	attrAdminCount         = "adminCount"
	attrPwdLockedTime      = "pwdAccountLockedTime"
	// attrPwdExpiry is constructed by AD (and Samba): when the password expires under the
	// domain's maxPwdAge or the user's fine-grained policy (FILETIME).
	attrPwdExpiry      = "msDS-UserPasswordExpiryTimeComputed"
	uacAccountDisable  = 0x2
	uacDontExpirePwd   = 0x10000
	filetimeNever      = 0x7FFFFFFFFFFFFFFF
	filetimeUnixOffset = 11644473600 // seconds from 1601-01-01 to 1970-01-01
	// ppolicy's value for "locked until an administrator unlocks": the account is disabled.
	pwdLockedPermanently = "000001010000Z"
)

// AnchorAttribute is the immutable identifier's attribute: objectGUID or entryUUID.
func (s Schema) AnchorAttribute() string {
	if s.Kind == OpenLDAP {
		return attrEntryUUID
	}
	return attrObjectGUID
}

// Attributes lists what to request from the directory for a full Record.
func (s Schema) Attributes() []string {
	attrs := []string{s.AnchorAttribute()}
	if s.Kind == OpenLDAP {
		attrs = append(attrs, attrPwdLockedTime)
	} else {
		attrs = append(attrs, attrUserAccountControl, attrAdminCount, attrPwdExpiry)
	}
	for _, a := range []string{s.Mapping.UserPrincipalName, s.Mapping.DisplayName, s.Mapping.MobilePhone,
		s.Mapping.OfficePhone, s.Mapping.AlternateEmails, s.Mapping.PreferredLanguage} {
		if a != "" && !containsFold(attrs, a) {
			attrs = append(attrs, a)
		}
	}
	return attrs
}

// Values returns the values of one attribute of an entry (case-insensitive name), or nil.
type Values func(attribute string) [][]byte

// Record converts an entry. It returns a Rejection (and no Record) when the entry cannot be a
// user: no anchor or no userPrincipalName. Other values are passed raw.
func (s Schema) Record(dn string, values Values) (Record, *Rejection) {
	anchor, err := s.ParseAnchor(first(values(s.AnchorAttribute())))
	if err != nil {
		return Record{}, &Rejection{DN: dn, Reason: err.Error()}
	}
	r := Record{
		DN:             dn,
		Anchor:         anchor,
		AccountEnabled: true,
	}
	str := func(attr string) string {
		if attr == "" {
			return ""
		}
		return string(first(values(attr)))
	}
	upns := values(s.Mapping.UserPrincipalName)
	switch {
	case len(upns) == 0 || len(upns[0]) == 0:
		return Record{}, &Rejection{DN: dn, Anchor: anchor, Reason: fmt.Sprintf("no userPrincipalName (attribute %s is empty)", s.Mapping.UserPrincipalName)}
	case len(upns) > 1:
		return Record{}, &Rejection{DN: dn, Anchor: anchor, Reason: fmt.Sprintf("attribute %s has %d values; userPrincipalName needs exactly one", s.Mapping.UserPrincipalName, len(upns))}
	}
	r.UserPrincipalName = string(upns[0])
	r.DisplayName = str(s.Mapping.DisplayName)
	r.MobilePhone = str(s.Mapping.MobilePhone)
	r.OfficePhone = str(s.Mapping.OfficePhone)
	r.PreferredLanguage = str(s.Mapping.PreferredLanguage)
	if s.Mapping.AlternateEmails != "" {
		for _, v := range values(s.Mapping.AlternateEmails) {
			r.AlternateEmails = append(r.AlternateEmails, string(v))
		}
	}
	if s.Kind == OpenLDAP {
		r.AccountEnabled = string(first(values(attrPwdLockedTime))) != pwdLockedPermanently
	} else {
		var uacFlags int64
		if uac := first(values(attrUserAccountControl)); uac != nil {
			n, err := strconv.ParseInt(string(uac), 10, 64)
			if err == nil {
				uacFlags = n
			}
		}
		r.AccountEnabled = uacFlags&uacAccountDisable == 0
		r.Privileged = string(first(values(attrAdminCount))) == "1"
		r.PasswordExpiresAt, r.PasswordNeverExpires = adPasswordExpiry(uacFlags, first(values(attrPwdExpiry)))
	}
	return r, nil
}

// adPasswordExpiry reads msDS-UserPasswordExpiryTimeComputed: 100 ns intervals since
// 1601-01-01 UTC; 0x7FFFFFFFFFFFFFFF (or DONT_EXPIRE_PASSWORD in userAccountControl) is
// never; 0 is "must change at next logon", returned as 1601-01-01 (expired). Absent or
// unparsable: unknown (zero time).
func adPasswordExpiry(uac int64, v []byte) (time.Time, bool) {
	if uac&uacDontExpirePwd != 0 {
		return time.Time{}, true
	}
	if v == nil {
		return time.Time{}, false
	}
	ft, err := strconv.ParseInt(string(v), 10, 64)
	switch {
	case err != nil || ft < 0:
		return time.Time{}, false
	case ft == filetimeNever:
		return time.Time{}, true
	}
	return FromFiletime(ft), false
}

// FromFiletime converts a Windows FILETIME (100 ns intervals since 1601-01-01 UTC).
func FromFiletime(ft int64) time.Time {
	return time.Unix(ft/10_000_000-filetimeUnixOffset, (ft%10_000_000)*100).UTC()
}

// ParseAnchor turns the anchor attribute's value into the 16 bytes stored: objectGUID is
// already binary; entryUUID is the textual UUID form.
func (s Schema) ParseAnchor(v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("no anchor (attribute %s is empty)", s.AnchorAttribute())
	}
	if s.Kind != OpenLDAP {
		if len(v) != 16 {
			return nil, fmt.Errorf("objectGUID has %d bytes, want 16", len(v))
		}
		return append([]byte(nil), v...), nil
	}
	h := strings.ReplaceAll(string(v), "-", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 16 {
		return nil, fmt.Errorf("entryUUID %q is not a UUID", v)
	}
	return b, nil
}

// FormatAnchor renders an anchor for people: the UUID form, as AD shows objectGUID
// (first three groups little-endian) and OpenLDAP shows entryUUID.
func FormatAnchor(k Kind, a []byte) string {
	if len(a) != 16 {
		return hex.EncodeToString(a)
	}
	b := append([]byte(nil), a...)
	if k != OpenLDAP {
		b[0], b[1], b[2], b[3] = a[3], a[2], a[1], a[0]
		b[4], b[5] = a[5], a[4]
		b[6], b[7] = a[7], a[6]
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ParseGUIDText parses the textual form of an Active Directory objectGUID, with or without
// braces, into its 16 bytes: the first three groups are stored little-endian (the inverse
// of FormatAnchor).
func ParseGUIDText(v []byte) ([]byte, bool) {
	if len(v) == 38 && v[0] == '{' && v[37] == '}' {
		v = v[1:37]
	}
	if len(v) != 36 || v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' {
		return nil, false
	}
	h := make([]byte, 0, 32)
	h = append(h, v[0:8]...)
	h = append(h, v[9:13]...)
	h = append(h, v[14:18]...)
	h = append(h, v[19:23]...)
	h = append(h, v[24:36]...)
	b := make([]byte, 16)
	if _, err := hex.Decode(b, h); err != nil {
		return nil, false
	}
	b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	b[4], b[5] = b[5], b[4]
	b[6], b[7] = b[7], b[6]
	return b, true
}

func first(v [][]byte) []byte {
	if len(v) == 0 {
		return nil
	}
	return v[0]
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
