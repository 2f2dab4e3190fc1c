package reminder_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// A reminder is in the user's preferred language as the directory gives it (a tag or an
// Accept-Language list), English without one, the date in the catalog's zone.
func TestReminderInThePreferredLanguage(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) // 11:00 in Berlin: not quiet
	exp := time.Date(2026, 12, 10, 9, 30, 0, 0, time.UTC)
	texts, err := i18n.New(i18n.Config{TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, lang, tag, subject, body string }{ // tag: the message's Language
		{"anna", "de-CH", "de", "Ihr Passwort läuft in 3 Tagen ab", "Das Passwort von anna@example.com läuft in 3 Tagen ab, am 10. Dezember, 10:30 Uhr (CET)."},
		{"bea", "fr-CA, fr;q=0.8", "fr", "Votre mot de passe expire dans 3 jours", "le 10 décembre à 10:30 (CET)."},
		{"carl", "ar", "ar", "تنتهي صلاحية كلمة مرورك خلال 3 أيام", "10 ديسمبر الساعة 10:30 (CET)"},
		{"dora", "", "en", "Your password expires in 3 days", "expires in 3 days, at 10:30 CET on December 10."},
	}
	for _, c := range cases {
		u := user(c.name, true, &exp)
		u.PreferredLanguage = c.lang
		putUsers(t, s, &u)
	}
	o := &outbox{}
	r := newRunner(t, s, o)
	r.SetTexts(texts)
	if _, err := r.Run(ctx, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		ms := o.to(c.name + "@mail.example.org")
		if len(ms) != 1 || ms[0].Subject != c.subject || !strings.Contains(ms[0].Body, c.body) || ms[0].Language != c.tag {
			t.Errorf("%s: %+v\nwant %q and %q in %q", c.name, ms, c.subject, c.body, c.tag)
		}
	}
}
