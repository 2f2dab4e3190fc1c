package storetest

import (
	"testing"

	"github.com/sspr/sspr/internal/store"
)

// testPreferredLanguage: the directory's preferred language is stored as written, replaced by
// a sync that reads another one (or none), and kept by an update from the store's own users
// (UsersTx), which writes every column it read.
func testPreferredLanguage(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := dirUser(7)
	u.PreferredLanguage = "de-CH"
	plain := dirUser(8)
	plain.PreferredLanguage = ""
	put(t, s, u, plain)
	for _, step := range []struct {
		name, set, want string
	}{
		{"a list as some directories write it", "fr-CA, fr;q=0.8", "fr-CA, fr;q=0.8"},
		{"another language", "ar", "ar"},
		{"none any more", "", ""},
	} {
		got, err := s.UserByUPN(ctx, u.UserPrincipalName)
		if err != nil {
			t.Fatal(err)
		}
		got.PreferredLanguage = step.set
		put(t, s, got)
		got, err = s.UserByUPN(ctx, u.UserPrincipalName)
		if err != nil || got.PreferredLanguage != step.want {
			t.Errorf("%s: %q %v, want %q", step.name, got.PreferredLanguage, err, step.want)
		}
	}
	if got, err := s.UserByUPN(ctx, plain.UserPrincipalName); err != nil || got.PreferredLanguage != "" {
		t.Errorf("no language: %q %v", got.PreferredLanguage, err)
	}
	// The registration's and the console's updates keep it.
	got, _ := s.UserByUPN(ctx, plain.UserPrincipalName)
	got.PreferredLanguage = "es"
	put(t, s, got)
	if err := s.Update(ctx, func(tx store.UsersTx) error {
		v, err := tx.UserByID(ctx, got.ID)
		if err != nil {
			return err
		}
		v.AuthenticationEmail = "new@example.net"
		return tx.UpdateUser(ctx, &v)
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByUPN(ctx, plain.UserPrincipalName); err != nil || got.PreferredLanguage != "es" {
		t.Errorf("after an update: %q %v", got.PreferredLanguage, err)
	}
}
