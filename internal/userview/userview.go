// Package userview is the one public representation of a user, shared by the CLI and the API:
// the JSON object with the product's field names, and its CSV/table columns. Security answers
// and the chosen questions never appear here: only whether questions are registered, how many,
// and when.
//
// A caller that wants some fields only (`--select mobilePhone,officePhone`, `?select=`) parses
// the list once with ParseSelect, then renders each user with Select (JSON) or Cells (CSV/table).
package userview

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// Names of the fields that are not store.Field* constants.
const (
	FieldSecurityQuestionsRegistered   = "securityQuestionsRegistered"
	FieldSecurityQuestionsCount        = "securityQuestionsCount"
	FieldSecurityQuestionsRegisteredAt = "securityQuestionsRegisteredAt"
	FieldSource                        = "source"
	FieldPasswordExpiresAt             = "passwordExpiresAt"
)

// User is the JSON form. Field names are the product's; unusable phones are null.
type User struct {
	UserPrincipalName           string   `json:"userPrincipalName"`
	DisplayName                 string   `json:"displayName"`
	MobilePhone                 *string  `json:"mobilePhone"`
	OfficePhone                 *string  `json:"officePhone"`
	AlternateEmails             []string `json:"alternateEmails"`
	AuthenticationPhone         *string  `json:"authenticationPhone"`
	AuthenticationEmail         *string  `json:"authenticationEmail"`
	SecurityQuestionsRegistered bool     `json:"securityQuestionsRegistered"`
	Source                      string   `json:"source"`
	AccountEnabled              bool     `json:"accountEnabled"`
	// PasswordExpiresAt is when the password expires by the directory's policy, as of the last
	// sync (RFC 3339, UTC); null when it never expires or the directory does not say.
	PasswordExpiresAt *time.Time `json:"passwordExpiresAt"`
	// SecurityQuestionsCount and SecurityQuestionsRegisteredAt say how many questions the user
	// registered and when; never which ones, never the answers. They are not in the default
	// JSON (whose field names are exactly the eleven above); select them by name.
	SecurityQuestionsCount        int        `json:"-"`
	SecurityQuestionsRegisteredAt *time.Time `json:"-"`
}

// FromStore converts a stored user.
func FromStore(u store.User) User {
	emails := u.AlternateEmails
	if emails == nil {
		emails = []string{}
	}
	var at *time.Time
	if u.SecurityQuestionsRegisteredAt != nil && u.SecurityQuestionsCount > 0 {
		t := u.SecurityQuestionsRegisteredAt.UTC()
		at = &t
	}
	var expires *time.Time
	if u.PasswordExpiresAt != nil {
		t := u.PasswordExpiresAt.UTC()
		expires = &t
	}
	return User{
		UserPrincipalName:             u.UserPrincipalName,
		DisplayName:                   u.DisplayName,
		MobilePhone:                   nullable(u.MobilePhone.Number),
		OfficePhone:                   nullable(u.OfficePhone.Number),
		AlternateEmails:               emails,
		AuthenticationPhone:           nullable(u.AuthenticationPhone),
		AuthenticationEmail:           nullable(u.AuthenticationEmail),
		SecurityQuestionsRegistered:   u.SecurityQuestionsCount > 0,
		Source:                        string(u.Source),
		AccountEnabled:                u.AccountEnabled,
		PasswordExpiresAt:             expires,
		SecurityQuestionsCount:        u.SecurityQuestionsCount,
		SecurityQuestionsRegisteredAt: at,
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Columns are the default fields in table, CSV and JSON order: exactly the user JSON's names.
var Columns = []string{
	store.FieldUserPrincipalName, store.FieldDisplayName, store.FieldMobilePhone, store.FieldOfficePhone,
	store.FieldAlternateEmails, store.FieldAuthenticationPhone, store.FieldAuthenticationEmail,
	FieldSecurityQuestionsRegistered, FieldSource, store.FieldAccountEnabled, FieldPasswordExpiresAt,
}

// Extra are fields shown only when selected by name.
var Extra = []string{FieldSecurityQuestionsCount, FieldSecurityQuestionsRegisteredAt}

// ListSeparator joins alternateEmails in a CSV or table cell (as csvde does).
const ListSeparator = ";"

// Row renders the columns as text: null is empty, lists are joined with ';' (as csvde does).
func (u User) Row() []string { return u.Cells(Columns) }

// Cells renders the given fields (names as ParseSelect returns them) as text.
func (u User) Cells(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = u.Cell(f)
	}
	return out
}

// Cell renders one field as text: null is empty, lists are joined with ListSeparator, times are
// RFC 3339 in UTC. An unknown field is empty.
func (u User) Cell(field string) string {
	switch field {
	case store.FieldUserPrincipalName:
		return u.UserPrincipalName
	case store.FieldDisplayName:
		return u.DisplayName
	case store.FieldMobilePhone:
		return deref(u.MobilePhone)
	case store.FieldOfficePhone:
		return deref(u.OfficePhone)
	case store.FieldAlternateEmails:
		return strings.Join(u.AlternateEmails, ListSeparator)
	case store.FieldAuthenticationPhone:
		return deref(u.AuthenticationPhone)
	case store.FieldAuthenticationEmail:
		return deref(u.AuthenticationEmail)
	case FieldSecurityQuestionsRegistered:
		return strconv.FormatBool(u.SecurityQuestionsRegistered)
	case FieldSource:
		return u.Source
	case store.FieldAccountEnabled:
		return strconv.FormatBool(u.AccountEnabled)
	case FieldSecurityQuestionsCount:
		return strconv.Itoa(u.SecurityQuestionsCount)
	case FieldSecurityQuestionsRegisteredAt:
		return timeCell(u.SecurityQuestionsRegisteredAt)
	case FieldPasswordExpiresAt:
		return timeCell(u.PasswordExpiresAt)
	}
	return ""
}

// Value returns one field as it appears in the JSON form (nil for null). An unknown field is nil.
func (u User) Value(field string) any {
	switch field {
	case store.FieldUserPrincipalName:
		return u.UserPrincipalName
	case store.FieldDisplayName:
		return u.DisplayName
	case store.FieldMobilePhone:
		return u.MobilePhone
	case store.FieldOfficePhone:
		return u.OfficePhone
	case store.FieldAlternateEmails:
		return u.AlternateEmails
	case store.FieldAuthenticationPhone:
		return u.AuthenticationPhone
	case store.FieldAuthenticationEmail:
		return u.AuthenticationEmail
	case FieldSecurityQuestionsRegistered:
		return u.SecurityQuestionsRegistered
	case FieldSource:
		return u.Source
	case store.FieldAccountEnabled:
		return u.AccountEnabled
	case FieldSecurityQuestionsCount:
		return u.SecurityQuestionsCount
	case FieldSecurityQuestionsRegisteredAt:
		return u.SecurityQuestionsRegisteredAt
	case FieldPasswordExpiresAt:
		return u.PasswordExpiresAt
	}
	return nil
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ErrUnknownField is wrapped by ParseSelect's error for a name that is not a field.
var ErrUnknownField = errors.New("unknown field")

// ParseSelect reads a comma-separated list of field names ("mobilePhone,officePhone"), case
// insensitively, and returns their canonical names in the order given, without repeats. An empty
// list selects every column.
func ParseSelect(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return Columns, nil
	}
	var out []string
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		f, ok := Canonical(name)
		if !ok {
			return nil, fmt.Errorf("%w %q: use %s", ErrUnknownField, name, strings.Join(append(slices.Clone(Columns), Extra...), ", "))
		}
		if !contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return Columns, nil
	}
	return out, nil
}

// Canonical returns the field's name as the product spells it, for any case of it.
func Canonical(name string) (string, bool) {
	for _, c := range append(slices.Clone(Columns), Extra...) {
		if strings.EqualFold(c, name) {
			return c, true
		}
	}
	return "", false
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Selected is a user reduced to some fields; it marshals as a JSON object with those fields in
// order.
type Selected struct {
	user   User
	fields []string
}

// Select reduces u to fields (names as ParseSelect returns them).
func (u User) Select(fields []string) Selected { return Selected{user: u, fields: fields} }

// MarshalJSON writes the selected fields in order.
func (s Selected) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 32*len(s.fields))
	b = append(b, '{')
	for i, f := range s.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, f)
		b = append(b, ':')
		v, err := json.Marshal(s.user.Value(f))
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}
