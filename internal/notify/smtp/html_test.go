package smtp_test

import (
	"flag"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/branding"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/smtp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// brandedMail sends body through a real SMTP session with brand and returns the decoded
// plain text and HTML parts.
func brandedMail(t *testing.T, brand *branding.Brand, subject, body string) (plain, html string) {
	t.Helper()
	srv := startServer(t, serverOpts{NoTLS: true})
	m := newMailer(t, smtp.Config{Host: "localhost", Port: srv.Port, TLS: "none", From: `"Password reset" <no-reply@example.com>`, Brand: brand})
	if err := send(t, m, notify.Message{Channel: "email", To: "alice@example.com", Subject: subject, Body: body}); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(srv.Messages()[0].Data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := alternatives(t, msg)
	return parts["text/plain; charset=utf-8"], parts["text/html; charset=utf-8"]
}

func newBrand(t *testing.T, c branding.Config) *branding.Brand {
	t.Helper()
	b, err := branding.New(c, "https://sspr.contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const codeBody = "Your verification code is 48291373\n\nUse it to reset your password at https://sspr.contoso.com. It expires in 10 minutes.\nIf you did not ask for it, ignore this message: your password has not changed.\n"

// TestBrandedMail: a mail is plain text and HTML (multipart/alternative); the HTML has the
// brand's name and colours in inline styles, clickable links, the code set large, the
// helpdesk in its footer, no style sheet and no image; the plain text ends with the same
// helpdesk. The HTML is compared with testdata/code-mail.html (go test -update rewrites it).
func TestBrandedMail(t *testing.T) {
	brand := newBrand(t, branding.Config{CompanyName: "Contoso", PrimaryColor: "#004578", AccentColor: "#3b1f5f",
		Helpdesk: branding.Helpdesk{URL: "https://help.contoso.com", Email: "help@contoso.com", Phone: "+1 425 555 0100", Text: "Open 8–18"}})
	plain, html := brandedMail(t, brand, "Your Contoso verification code", codeBody)
	wantPlain := strings.ReplaceAll(codeBody+"\n-- \nContoso\nhttps://help.contoso.com\nhelp@contoso.com\n+1 425 555 0100\nOpen 8–18\n", "\n", "\r\n")
	if plain != wantPlain {
		t.Errorf("plain text:\n%q\nwant\n%q", plain, wantPlain)
	}
	for _, want := range []string{
		`<title>Your Contoso verification code</title>`,
		`background-color:#3b1f5f;color:#ffffff;`, ">Contoso</td>",
		`<strong style="font-size:22px;letter-spacing:3px;">48291373</strong>`,
		`<a href="https://sspr.contoso.com" style="color:#004578;">https://sspr.contoso.com</a>. It expires`,
		`<a href="mailto:help@contoso.com" style="color:#004578;">help@contoso.com</a>`,
		`<a href="tel:+14255550100" style="color:#004578;">+1 425 555 0100</a>`,
		`<p dir="auto"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	if regexp.MustCompile(`(?i)<style|<link|<img|<script|src=`).MatchString(html) {
		t.Errorf("HTML with a style sheet, an image or a script:\n%s", html)
	}
	golden := filepath.Join("testdata", "code-mail.html")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, []byte(strings.ReplaceAll(html, "\r\n", "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ReplaceAll(html, "\r\n", "\n") != string(want) {
		t.Errorf("HTML differs from %s (go test -update rewrites it):\n%s", golden, html)
	}
}

// TestMailEscapesAndOptions: nothing of the body becomes markup; without a brand the defaults
// and no signature; the logo only with mailLogo, from the public URL; Arabic text is marked
// dir="auto" so that clients lay it out right to left.
func TestMailEscapesAndOptions(t *testing.T) {
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.png")
	os.WriteFile(logo, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0o644)
	tests := []struct {
		name      string
		brand     *branding.Brand
		body      string
		want, not []string
		plainSig  bool
	}{
		{"markup in the body is text", nil, "Hello <script>alert(1)</script> & <b>bold</b> \"q\" javascript:x https://x.example/a?b=1&c=<2>\n",
			[]string{"Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; &#34;q&#34; javascript:x", `<a href="https://x.example/a?b=1&amp;c=" style=`},
			[]string{"<script", "<b>"}, false},
		{"no brand: default colours, no footer", nil, "Code 123456\n",
			[]string{"background-color:" + branding.DefaultAccentColor, `<strong style="font-size:22px;letter-spacing:3px;">123456</strong>`}, []string{"border-top"}, false},
		{"logo with mailLogo", newBrand(t, branding.Config{CompanyName: "Contoso", Logo: logo, MailLogo: true}), "Hi\n",
			[]string{`<img src="https://sspr.contoso.com/branding/logo-`, `alt="Contoso"`}, nil, true},
		{"logo without mailLogo", newBrand(t, branding.Config{CompanyName: "Contoso", Logo: logo}), "Hi\n",
			[]string{">Contoso</td>"}, []string{"<img"}, true},
		{"Arabic", newBrand(t, branding.Config{CompanyName: "كونتوسو"}), "رمز التحقق الخاص بك هو 482913\n",
			[]string{`<p dir="auto" style="margin:0 0 16px 0;">رمز التحقق الخاص بك هو <strong`, ">كونتوسو</td>"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, html := brandedMail(t, tt.brand, "Subject", tt.body)
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("HTML lacks %s:\n%s", w, html)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(html, n) {
					t.Errorf("HTML has %s:\n%s", n, html)
				}
			}
			if !strings.HasPrefix(plain, strings.ReplaceAll(tt.body, "\n", "\r\n")) || strings.Contains(plain, "\r\n-- \r\n") != tt.plainSig {
				t.Errorf("plain text %q", plain)
			}
		})
	}
}
