package register

import (
	"context"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
)

// The registration's messages are in the language of its pages: the code in the language the
// user signed in with, the notice in the language of the step that saved the address.
func TestMessagesInTheSessionsLanguage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, policyWith(flow.MethodEmail, flow.MethodSMS))
	texts, err := i18n.New(i18n.Config{TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.cfg.Texts = texts
	c := f.c
	c.Lang = "es"
	tok, _, err := f.svc.SignIn(ctx, "alice@contoso.com", alicePW, c)
	if err != nil {
		t.Fatal(err)
	}
	// The step's request carries no language: the session's (Spanish) is used.
	if _, err := f.svc.SendEmailCode(ctx, tok, "alice.home@example.com", f.c); err != nil {
		t.Fatal(err)
	}
	ms := f.out.to("alice.home@example.com")
	if len(ms) != 1 || ms[0].Subject != "Su código de verificación de Contoso" ||
		!strings.Contains(ms[0].Body, "para registrar esta dirección") {
		t.Fatalf("code mail: %+v", ms)
	}
	c.Lang = "ar"
	if _, err := f.svc.VerifyEmail(ctx, tok, f.out.code(t, "alice.home@example.com"), c); err != nil {
		t.Fatal(err)
	}
	ms = f.out.to("alice.private@example.net")
	if len(ms) != 1 {
		t.Fatalf("notices: %+v", ms)
	}
	for _, want := range []string{"تغيّر تسجيلك في خدمة إعادة تعيين كلمة المرور", "بريد المصادقة الإلكتروني: ", "26 نوفمبر الساعة 09:00 (UTC)", "Contoso"} {
		if !strings.Contains(ms[0].Subject+"\n"+ms[0].Body, want) {
			t.Errorf("notice lacks %q:\n%s\n%s", want, ms[0].Subject, ms[0].Body)
		}
	}
}
