package reset

import (
	"context"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
)

// The messages of a flow are in the language of its pages: the code in the language the flow
// was started in, the notice after the reset in the language of the last step, and a flow
// whose pages have no language in the default one.
func TestMessagesInTheFlowsLanguage(t *testing.T) {
	for _, tc := range []struct {
		name, startLang, completeLang string
		wantCode, wantNotice          []string
	}{
		{"german", "de", "de", []string{"Ihr Bestätigungscode für Contoso", "Er läuft in 10 Minuten ab."},
			[]string{"Ihr Passwort wurde zurückgesetzt", "wurde am 26. November, 09:00 Uhr (UTC) zurückgesetzt"}},
		{"arabic", "ar", "ar", []string{"رمز التحقق الخاص بك من Contoso", "تنتهي صلاحيته خلال 10 دقائق."},
			[]string{"تمت إعادة تعيين كلمة مرورك", "26 نوفمبر الساعة 09:00 (UTC)"}},
		{"switched to french before the end", "es", "fr", []string{"Su código de verificación de Contoso"},
			[]string{"Votre mot de passe a été réinitialisé", "le 26 novembre à 09:00 (UTC)"}},
		{"no language: the default", "", "", []string{"Your Contoso verification code", "It expires in 10 minutes."},
			[]string{"Your password was reset", "was reset at 09:00 UTC on November 26"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, flow.DefaultPolicy())
			texts, err := i18n.New(i18n.Config{TimeZone: "UTC"})
			if err != nil {
				t.Fatal(err)
			}
			f.svc.cfg.Texts = texts
			c := f.c
			c.Lang = tc.startLang
			tok, _, err := f.svc.Start(ctx, KindReset, "alice@contoso.com", c)
			if err != nil {
				t.Fatal(err)
			}
			// The send step's own request carries no language: the session's is used.
			if _, err := f.svc.SendCode(ctx, tok, "email", f.c); err != nil {
				t.Fatal(err)
			}
			m := f.out.last(t)
			code := codeRE.FindString(m.Body)
			for _, w := range tc.wantCode {
				if !strings.Contains(m.Subject+"\n"+m.Body, w) {
					t.Errorf("code mail lacks %q:\n%s\n%s", w, m.Subject, m.Body)
				}
			}
			if _, err := f.svc.VerifyCode(ctx, tok, "email", code, f.c); err != nil {
				t.Fatal(err)
			}
			code = f.sendAndRead(t, tok, "sms")
			if _, err := f.svc.VerifyCode(ctx, tok, "sms", code, f.c); err != nil {
				t.Fatal(err)
			}
			c.Lang = tc.completeLang
			if err := f.svc.Complete(ctx, tok, "correct horse battery staple", c); err != nil {
				t.Fatal(err)
			}
			m = f.out.last(t)
			for _, w := range tc.wantNotice {
				if !strings.Contains(m.Subject+"\n"+m.Body, w) {
					t.Errorf("notice lacks %q:\n%s\n%s", w, m.Subject, m.Body)
				}
			}
		})
	}
}
