package syncer

import (
	"context"
	"testing"

	"github.com/sspr/sspr/internal/directory"
)

// TestPreferredLanguage: the language read is stored as written, a value that is no language
// tag is rejected (the user keeps the rest), and a new language updates the user; users
// without one keep their fingerprint.
func TestPreferredLanguage(t *testing.T) {
	ctx := context.Background()
	de, list, none, junk := rec(1, "alice", ""), rec(2, "bob", ""), rec(3, "carol", ""), rec(4, "dave", "")
	de.PreferredLanguage = " de-CH "
	list.PreferredLanguage = "fr-CA, fr;q=0.8"
	junk.PreferredLanguage = "<script>"
	r := &fakeReader{records: []directory.Record{de, list, none, junk}}
	e, st := newEngine(t, r, 500)
	rep, err := e.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := users(t, st)
	for name, want := range map[string]string{"alice": "de-CH", "bob": "fr-CA, fr;q=0.8", "carol": "", "dave": ""} {
		if got := u[name].PreferredLanguage; got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if len(rep.Rejections) != 1 || rep.Rejections[0].Field != FieldPreferredLanguage || rep.Rejections[0].UserPrincipalName != "dave" {
		t.Errorf("rejections %+v", rep.Rejections)
	}
	if fingerprint(none, e.cfg) != fingerprint(rec(3, "carol", ""), e.cfg) {
		t.Error("a user without a language changed fingerprint")
	}
	r.records[0].PreferredLanguage = "ar"
	rep, err = e.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts(rep.Run); got != "+0 ~1 -0 =3 !0" {
		t.Errorf("after a new language: %s, want one update", got)
	}
	if got := users(t, st)["alice"].PreferredLanguage; got != "ar" {
		t.Errorf("alice: %q after the change", got)
	}
}
