package branding_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/branding"
	"github.com/sspr/sspr/internal/config/problem"
)

const pngHeader = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidate(t *testing.T) {
	png := write(t, "logo.png", pngHeader)
	svg := write(t, "logo.svg", `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#0b5cad"/></svg>`)
	tests := []struct {
		name string
		cfg  branding.Config
		want []string // "key: message part"; none when empty
	}{
		{"defaults", branding.Config{}, nil},
		{"complete", branding.Config{CompanyName: "Contoso", Logo: svg, Favicon: png, PrimaryColor: "#0B5CAD", AccentColor: "#222",
			Helpdesk:     branding.Helpdesk{URL: "https://help.contoso.com", Email: "help@contoso.com", Phone: "+1 (425) 555-0100", Text: "Open 8–18"},
			FooterLinks:  branding.FooterLinks{Privacy: "https://contoso.com/privacy", Terms: "https://contoso.com/terms"},
			UserNameHint: "name@contoso.com", ExtraCSS: write(t, "extra.css", "h1 { letter-spacing: 0.01em; }\n"), MailLogo: false}, nil},
		{"low contrast primary", branding.Config{PrimaryColor: "#7fb3ff"},
			[]string{"primaryColor: #7fb3ff on white text: contrast 2.1:1, needs 4.5:1"}},
		{"low contrast accent, just under", branding.Config{AccentColor: "#777777"},
			[]string{"accentColor: #777777 on white text: contrast 4.4:1, needs 4.5:1"}},
		{"not a colour", branding.Config{PrimaryColor: "blue"}, []string{`primaryColor: "blue" is not a colour`}},
		{"links", branding.Config{Helpdesk: branding.Helpdesk{URL: "javascript:alert(1)"}, FooterLinks: branding.FooterLinks{Privacy: "/privacy", Terms: "ftp://x/y"}},
			[]string{"helpdesk.url: ", "footerLinks.privacy: ", "footerLinks.terms: "}},
		{"email and phone", branding.Config{Helpdesk: branding.Helpdesk{Email: "help", Phone: "call us"}},
			[]string{"helpdesk.email: ", "helpdesk.phone: "}},
		{"control characters", branding.Config{CompanyName: "Contoso\r\nBcc: x", UserNameHint: strings.Repeat("x", 101)},
			[]string{"companyName: holds a control character", "userNameHint: longer than 100"}},
		{"missing files", branding.Config{Logo: "/nonexistent/logo.png", ExtraCSS: "/nonexistent/x.css"},
			[]string{"logo: open /nonexistent/logo.png", "extraCSS: open /nonexistent/x.css"}},
		{"a JPEG is not PNG or SVG", branding.Config{Logo: write(t, "logo.png", "\xff\xd8\xff\xe0JFIF")}, []string{"logo: ", "is not image/png or image/svg+xml"}},
		{"script in SVG", branding.Config{Logo: write(t, "x.svg", `<svg><script>alert(1)</script></svg>`)}, []string{`logo: `, `"<script"`}},
		{"event handler in SVG", branding.Config{Favicon: write(t, "x.svg", `<svg onload ="alert(1)"></svg>`)}, []string{"favicon: ", "event handler (onload)"}},
		{"too large", branding.Config{Favicon: write(t, "f.png", pngHeader+strings.Repeat("x", branding.MaxFaviconBytes))}, []string{"favicon: ", "at most 131072"}},
		{"HTML in the stylesheet", branding.Config{ExtraCSS: write(t, "x.css", "</style><script>")}, []string{"extraCSS: "}},
		{"mail logo without logo", branding.Config{MailLogo: true}, []string{"mailLogo: needs a logo"}},
		{"mail logo in SVG", branding.Config{MailLogo: true, Logo: svg}, []string{"mailLogo: mail clients do not show SVG"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected problems: %v", err)
				}
				return
			}
			var l *problem.List
			if !errors.As(err, &l) {
				t.Fatalf("want a *problem.List, got %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("no problem %q in:\n%v", w, err)
				}
			}
		})
	}
}

func TestBrandServesHashedFiles(t *testing.T) {
	logo := write(t, "logo.png", pngHeader+"v1")
	b, err := branding.New(branding.Config{CompanyName: "Contoso", Logo: logo, PrimaryColor: "#004578", MailLogo: true}, "https://sspr.contoso.com/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.LogoURL, "/branding/logo-") || !strings.HasSuffix(b.LogoURL, ".png") || b.FaviconURL != "" || b.ExtraCSSURL != "" {
		t.Fatalf("URLs: logo %q favicon %q extra %q", b.LogoURL, b.FaviconURL, b.ExtraCSSURL)
	}
	if b.MailLogoURL != "https://sspr.contoso.com"+b.LogoURL {
		t.Errorf("MailLogoURL %q", b.MailLogoURL)
	}
	h := b.Handler()
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w
	}
	w := get(b.LogoURL)
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/png" || w.Body.String() != pngHeader+"v1" ||
		w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("logo: %d %v", w.Code, w.Header())
	}
	w = get(b.StylesheetURL)
	if css := w.Body.String(); w.Code != 200 || !strings.Contains(css, "--accent: #004578") || !strings.Contains(css, "--header-bg: "+branding.DefaultAccentColor) {
		t.Errorf("theme: %d %q", w.Code, css)
	}
	for _, p := range []string{"/branding/", "/branding/logo.png", "/branding/../branding.go", b.LogoURL + "x"} {
		if w := get(p); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, w.Code)
		}
	}
	// Another logo, another URL: browsers holding the old one forever never show it again.
	os.WriteFile(logo, []byte(pngHeader+"v2"), 0o644)
	b2, err := branding.New(branding.Config{Logo: logo}, "https://sspr.contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if b2.LogoURL == b.LogoURL || b2.MailLogoURL != "" {
		t.Errorf("new logo URL %q (old %q), mail logo %q", b2.LogoURL, b.LogoURL, b2.MailLogoURL)
	}
	svg := write(t, "logo.svg", `<svg xmlns="http://www.w3.org/2000/svg"/>`)
	b3, err := branding.New(branding.Config{Logo: svg}, "https://sspr.contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	w = httptest.NewRecorder()
	b3.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, b3.LogoURL, nil))
	if w.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("svg headers: %v", w.Header())
	}
	if _, err := branding.New(branding.Config{PrimaryColor: "#ffff00"}, ""); err == nil || !strings.Contains(err.Error(), "primaryColor") {
		t.Errorf("New with a low-contrast colour: %v", err)
	}
}

func TestPhoneDigits(t *testing.T) {
	for in, want := range map[string]string{"+1 (425) 555-0100": "+14255550100", "030 1234.56": "030123456", " +49 30": "+4930"} {
		if got := branding.PhoneDigits(in); got != want {
			t.Errorf("PhoneDigits(%q) = %q, want %q", in, got, want)
		}
	}
}
