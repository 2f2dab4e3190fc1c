package change_test

import (
	"strings"
	"testing"
)

// The notice of a change is in the language of the page the user changed the password on.
func TestNoticeInThePagesLanguage(t *testing.T) {
	for _, tc := range []struct{ lang, subject, body string }{
		{"en", "Your password was changed", "The password of your account alice@contoso.com at Contoso was changed at "},
		{"de", "Ihr Passwort wurde geändert", "Das Passwort Ihres Kontos alice@contoso.com bei Contoso wurde am "},
		{"ar", "تم تغيير كلمة مرورك", "تم تغيير كلمة مرور حسابك alice@contoso.com لدى Contoso في "},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			f := newFixture(t)
			f.c.Lang = tc.lang
			if err := f.change("alice@contoso.com", alicePW, "correct horse battery staple"); err != nil {
				t.Fatal(err)
			}
			f.out.mu.Lock()
			defer f.out.mu.Unlock()
			if len(f.out.msgs) == 0 {
				t.Fatal("no notice")
			}
			for _, m := range f.out.msgs {
				if m.Subject != tc.subject || !strings.Contains(m.Body, tc.body) {
					t.Errorf("notice to %s:\n%s\n%s", m.To, m.Subject, m.Body)
				}
			}
		})
	}
}
