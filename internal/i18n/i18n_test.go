package i18n

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// formsOf is the plural forms a language's integers take (0..1000): the forms each plural text
// of the language must have.
func formsOf(tag language.Tag) []plural.Form {
	seen := map[plural.Form]bool{}
	for n := range 1001 {
		seen[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// TestCatalogsComplete: every language has every English key, no other, with the same
// placeholders; a plural text is plural in every language with exactly the language's forms.
func TestCatalogsComplete(t *testing.T) {
	en, err := embedded(language.English)
	if err != nil {
		t.Fatal(err)
	}
	if len(en) < 250 {
		t.Fatalf("English catalog has %d keys", len(en))
	}
	for _, tag := range Languages {
		cat, err := embedded(tag)
		if err != nil {
			t.Fatal(err)
		}
		want := formsOf(tag)
		for key, x := range en {
			got, ok := cat[key]
			if !ok {
				t.Errorf("%s: %s missing", tag, key)
				continue
			}
			if (x.forms == nil) != (got.forms == nil) {
				t.Errorf("%s: %s: plural in one language, plain in the other", tag, key)
				continue
			}
			if msg := samePlaceholders(x, got); msg != "" {
				t.Errorf("%s: %s: %s", tag, key, msg)
			}
			if got.forms != nil {
				if forms := slices.Sorted(maps.Keys(got.forms)); !slices.Equal(forms, want) {
					t.Errorf("%s: %s: plural forms %v, want %v", tag, key, forms, want)
				}
			}
			for _, s := range got.all() {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: %s: empty text", tag, key)
				}
			}
		}
		for key := range cat {
			if _, ok := en[key]; !ok {
				t.Errorf("%s: %s is not an English key", tag, key)
			}
		}
	}
	if f := formsOf(language.Arabic); len(f) != 6 {
		t.Errorf("Arabic forms %v, want 6", f)
	}
}

func TestPlurals(t *testing.T) {
	b := Default()
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "That code is not right. 1 try left."},
		{"en", 2, "That code is not right. 2 tries left."},
		{"de", 1, "Dieser Code ist nicht richtig. Noch ein Versuch."},
		{"de", 3, "Dieser Code ist nicht richtig. Noch 3 Versuche."},
		{"fr", 0, "Ce code est incorrect. Il reste 0 essai."},
		{"fr", 2, "Ce code est incorrect. Il reste 2 essais."},
		{"es", 1, "Ese código no es correcto. Queda 1 intento."},
		{"ar", 0, "هذا الرمز غير صحيح. لم تتبقَّ أي محاولة."},
		{"ar", 1, "هذا الرمز غير صحيح. تبقّت محاولة واحدة."},
		{"ar", 2, "هذا الرمز غير صحيح. تبقّت محاولتان."},
		{"ar", 3, "هذا الرمز غير صحيح. تبقّت 3 محاولات."},
		{"ar", 11, "هذا الرمز غير صحيح. تبقّت 11 محاولة."},
		{"ar", 100, "هذا الرمز غير صحيح. تبقّت 100 محاولة."},
	} {
		if got := b.For(tc.lang).T("verify.wrong", tc.n); got != tc.want {
			t.Errorf("%s %d: %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
	// A count given as digits (the questions option's hint) chooses the form too.
	if got := b.For("en").T("verify.option.questions", "1"); got != "Answer a security question" {
		t.Errorf("hint 1: %q", got)
	}
}

func TestTimesCarryTheZone(t *testing.T) {
	b, err := New(Config{TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 2, 15, 0, 0, time.UTC) // 03:15 in Berlin
	for _, tc := range []struct{ lang, want string }{
		{"en", "Too many attempts. For your security, password reset is blocked until 03:15 CET on December 7."},
		{"de", "Zu viele Versuche. Zu Ihrer Sicherheit ist das Zurücksetzen des Passworts bis 7. Dezember, 03:15 Uhr (CET) gesperrt."},
		{"fr", "Trop de tentatives. Pour votre sécurité, la réinitialisation du mot de passe est bloquée jusqu’au 7 décembre à 03:15 (CET)."},
		{"es", "Demasiados intentos. Por su seguridad, el restablecimiento de contraseña está bloqueado hasta el 7 de diciembre a las 03:15 (CET)."},
		{"ar", "محاولات كثيرة جدًا. حفاظًا على أمانك، تم حظر إعادة تعيين كلمة المرور حتى 7 ديسمبر الساعة 03:15 (CET)."},
	} {
		if got := b.For(tc.lang).T("throttle.locked", at); got != tc.want {
			t.Errorf("%s: %q\nwant %q", tc.lang, got, tc.want)
		}
	}
	if got := b.For("de").Date(at); got != "7. Dezember 2026" {
		t.Errorf("date: %q", got)
	}
	for _, tc := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", time.Hour, "Too many codes requested. Wait 1 hour and try again."},
		{"en", 90 * time.Second, "Too many codes requested. Wait 2 minutes and try again."},
		{"de", 2 * time.Hour, "Zu viele Codes angefordert. Warten Sie 2 Stunden und versuchen Sie es erneut."},
		{"ar", 2 * time.Minute, "طلبت رموزًا كثيرة جدًا. انتظر دقيقتين ثم حاول مرة أخرى."},
	} {
		if got := b.For(tc.lang).T("throttle.tooMany", tc.d); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.lang, tc.d, got, tc.want)
		}
	}
}

func TestPick(t *testing.T) {
	b := Default()
	for _, tc := range []struct {
		name, accept string
		choices      []string
		want, dir    string
	}{
		{"nothing: the default", "", nil, "en", "ltr"},
		{"accept-language", "de-CH,de;q=0.9,en;q=0.5", nil, "de", "ltr"},
		{"accept-language unknown language", "ja,zh;q=0.9", nil, "en", "ltr"},
		{"accept-language second choice", "ja,fr;q=0.8", nil, "fr", "ltr"},
		{"query wins over cookie and header", "de", []string{"ar", "es"}, "ar", "rtl"},
		{"an unknown query falls to the cookie", "de", []string{"xx", "es"}, "es", "ltr"},
		{"region of an offered language", "", []string{"ar-EG"}, "ar", "rtl"},
		{"junk", "!!!", []string{"<script>"}, "en", "ltr"},
		{"pseudo not offered", "", []string{"en-XA"}, "en", "ltr"},
		{"a header too long to parse", strings.Repeat("de-DE,", 400), nil, "en", "ltr"},
		{"a long tag in the cookie", "", []string{strings.Repeat("x", 5000)}, "en", "ltr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := b.Pick(tc.accept, tc.choices...)
			if tr.Lang() != tc.want || tr.Dir() != tc.dir {
				t.Errorf("got %s %s, want %s %s", tr.Lang(), tr.Dir(), tc.want, tc.dir)
			}
		})
	}
	d, err := New(Config{DefaultLanguage: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Pick("ja").Lang(); got != "fr" {
		t.Errorf("configured default: %s", got)
	}
	if got := WithPseudo().Pick("", "en-XA").T("start.submit"); got != "[Ñéẋţ]" {
		t.Errorf("pseudo: %q", got)
	}
}

func TestOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("de.json", `{"start.submit": "Los", "app.helpdesk": "Hilfe? Rufen Sie 1234 an"}`)
	b, err := New(Config{OverridesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.For("de").T("start.submit"); got != "Los" {
		t.Errorf("override: %q", got)
	}
	if got := b.For("en").T("start.submit"); got != "Next" {
		t.Errorf("other language: %q", got)
	}

	write("fr.json", `{"start.nope": "x", "verify.wrong": "Faux. {0} essais, {1}", "verify.sent": "Envoyé."}`)
	write("xx.json", `{}`)
	write("es.json", `{not json`)
	got := Config{OverridesDir: dir, DefaultLanguage: "ja", TimeZone: "Mars/Base"}.Problems()
	want := []string{
		`defaultLanguage: "ja" is not offered: use en, de, fr, es or ar`,
		`timeZone: "Mars/Base" is not a time zone (IANA name such as Europe/Berlin)`,
		`overridesDir: es.json: invalid character 'n' looking for beginning of object key string`,
		`overridesDir: fr.json: unknown key "start.nope"`,
		`overridesDir: fr.json: verify.sent: placeholders [], want [{0}]`,
		`overridesDir: fr.json: verify.wrong: placeholders [{0} {1}], want [{0}]`,
		`overridesDir: xx.json: not a catalog: name files en.json, de.json, fr.json, es.json or ar.json`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := New(Config{OverridesDir: dir}); err == nil {
		t.Error("New accepted a bad overrides folder")
	}
}

func TestPseudoKeepsPlaceholders(t *testing.T) {
	b := WithPseudo()
	tr := b.For("en-XA")
	if got := tr.T("verify.sent", "a•••@example.com"); got != "[Ŵé šéñţ á çöðé ţö a•••@example.com. Íţ çáñ ţáķé á ɱíñûţé ţö áŕŕíṽé.]" {
		t.Errorf("%q", got)
	}
	if got := tr.T("verify.wrong", 1); !strings.HasPrefix(got, "[Ţĥáţ") || !strings.Contains(got, "1 ţŕý") {
		t.Errorf("plural: %q", got)
	}
}
