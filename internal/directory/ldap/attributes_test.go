package ldap_test

import (
	"slices"
	"testing"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/ldap"
)

// TestAttributes pins what every user search requests: benchmarks ask ldapsearch for exactly
// this list, so a change here changes the baseline too.
func TestAttributes(t *testing.T) {
	tests := []struct {
		name    string
		kind    directory.Kind
		url     string
		mapping directory.Mapping
		want    []string
	}{
		{"OpenLDAP defaults", directory.OpenLDAP, "ldap://127.0.0.1:389", directory.Mapping{},
			[]string{"entryUUID", "pwdAccountLockedTime", "uid", "displayName", "mobile", "telephoneNumber", "preferredLanguage", "modifyTimestamp", "pwdChangedTime", "pwdPolicySubentry"}},
		{"OpenLDAP alternate emails", directory.OpenLDAP, "ldap://127.0.0.1:389", directory.Mapping{AlternateEmails: "mail"},
			[]string{"entryUUID", "pwdAccountLockedTime", "uid", "displayName", "mobile", "telephoneNumber", "mail", "preferredLanguage", "modifyTimestamp", "pwdChangedTime", "pwdPolicySubentry"}},
		{"AD defaults", directory.ActiveDirectory, "ldaps://dc1.example.com", directory.Mapping{},
			[]string{"objectGUID", "userAccountControl", "adminCount", "msDS-UserPasswordExpiryTimeComputed", "userPrincipalName", "displayName", "mobile", "telephoneNumber", "preferredLanguage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Kind, cfg.Endpoint.URL, cfg.Endpoint.AllowInsecure, cfg.Mapping = tt.kind, tt.url, true, tt.mapping
			r, err := ldap.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := r.Attributes()
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Attributes() = %v, want %v", got, tt.want)
			}
			got[0] = "changed"
			if r.Attributes()[0] == "changed" {
				t.Fatal("Attributes() returned the reader's own slice")
			}
		})
	}
}
