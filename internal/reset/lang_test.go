package reset

import (
	"context"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/notify/twilio"
)

// The messages of a flow are in the language of its pages: the code in the language the flow
// was started in, the notice after the reset in the language of the last step, and a flow
// whose pages have no language in the default one.
func TestMessagesInTheFlowsLanguage(t *testing.T) {
	for _, tc := range []struct {
		name, startLang, completeLang string
		codeTag, noticeTag            string // the messages' Language
		wantCode, wantNotice          []string
	}{
		{"german", "de", "de", "de", "de", []string{"Ihr Bestätigungscode für Contoso", "Er läuft in 10 Minuten ab."},
			[]string{"Ihr Passwort wurde zurückgesetzt", "wurde am 26. November, 09:00 Uhr (UTC) zurückgesetzt"}},
		{"arabic", "ar", "ar", "ar", "ar", []string{"رمز التحقق الخاص بك من Contoso", "تنتهي صلاحيته خلال 10 دقائق."},
			[]string{"تمت إعادة تعيين كلمة مرورك", "26 نوفمبر الساعة 09:00 (UTC)"}},
		{"switched to french before the end", "es", "fr", "es", "fr", []string{"Su código de verificación de Contoso"},
			[]string{"Votre mot de passe a été réinitialisé", "le 26 novembre à 09:00 (UTC)"}},
		{"no language: the default", "", "", "en", "en", []string{"Your Contoso verification code", "It expires in 10 minutes."},
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
			if m.Language != tc.codeTag {
				t.Errorf("code mail's Language %q, want %q", m.Language, tc.codeTag)
			}
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
			if m.Language != tc.noticeTag {
				t.Errorf("notice's Language %q, want %q", m.Language, tc.noticeTag)
			}
			for _, w := range tc.wantNotice {
				if !strings.Contains(m.Subject+"\n"+m.Body, w) {
					t.Errorf("notice lacks %q:\n%s\n%s", w, m.Subject, m.Body)
				}
			}
		})
	}
}

// TestArabicVoiceCall: the voice call of a flow whose pages are in Arabic carries the language
// with its Arabic text, and the Twilio channel speaks it with Twilio's Arabic voice (arb), not
// the configured voiceLanguage; a flow in no language is spoken in the configured one.
func TestArabicVoiceCall(t *testing.T) {
	for _, tc := range []struct {
		name, lang, wantTag, wantSay, wantText string
	}{
		{"arabic", "ar", "ar", `<Say language="arb">`, "رمز التحقق الخاص بك من Contoso هو"},
		{"no language", "", "en", `<Say language="en-GB">`, "Your Contoso verification code is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, flow.DefaultPolicy())
			c := f.c
			c.Lang = tc.lang
			tok, _, err := f.svc.Start(ctx, KindUnlock, "alice@contoso.com", c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.SendCode(ctx, tok, "voice", f.c); err != nil {
				t.Fatal(err)
			}
			m := f.out.last(t)
			if m.Channel != flow.MethodVoice || m.Language != tc.wantTag {
				t.Fatalf("voice message %+v, want language %q", m, tc.wantTag)
			}
			twiml := twilio.TwiML(twilio.SayLanguage(m.Language, "en-GB"), m.Body)
			if !strings.HasPrefix(twiml, "<Response>"+tc.wantSay) || !strings.Contains(twiml, tc.wantText) {
				t.Errorf("TwiML %s, want %s and %q", twiml, tc.wantSay, tc.wantText)
			}
		})
	}
}
