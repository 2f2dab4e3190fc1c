// Package userview is the one public representation of a user, shared by the CLI and the API:
// the JSON object with the product's field names, and its CSV/table columns. Security answers
// and the chosen questions never appear here: only whether questions are registered.
package userview

import (
	"strconv"
	"strings"

	"github.com/sspr/sspr/internal/store"
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
}

// FromStore converts a stored user.
func FromStore(u store.User) User {
	emails := u.AlternateEmails
	if emails == nil {
		emails = []string{}
	}
	return User{
		UserPrincipalName:           u.UserPrincipalName,
		DisplayName:                 u.DisplayName,
		MobilePhone:                 nullable(u.MobilePhone.Number),
		OfficePhone:                 nullable(u.OfficePhone.Number),
		AlternateEmails:             emails,
		AuthenticationPhone:         nullable(u.AuthenticationPhone),
		AuthenticationEmail:         nullable(u.AuthenticationEmail),
		SecurityQuestionsRegistered: u.SecurityQuestionsCount > 0,
		Source:                      string(u.Source),
		AccountEnabled:              u.AccountEnabled,
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Columns are the field names in table and CSV order.
var Columns = []string{
	store.FieldUserPrincipalName, store.FieldDisplayName, store.FieldMobilePhone, store.FieldOfficePhone,
	store.FieldAlternateEmails, store.FieldAuthenticationPhone, store.FieldAuthenticationEmail,
	"securityQuestionsRegistered", "source", store.FieldAccountEnabled,
}

// Row renders the columns as text: null is empty, lists are joined with ';' (as csvde does).
func (u User) Row() []string {
	return []string{
		u.UserPrincipalName, u.DisplayName, deref(u.MobilePhone), deref(u.OfficePhone),
		strings.Join(u.AlternateEmails, ";"), deref(u.AuthenticationPhone), deref(u.AuthenticationEmail),
		strconv.FormatBool(u.SecurityQuestionsRegistered), u.Source, strconv.FormatBool(u.AccountEnabled),
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
