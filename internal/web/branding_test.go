package web

import (
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/branding"
)

// testBrand is a complete brand: logo, favicon, colours, helpdesk, footer links, hint.
func testBrand(t *testing.T) *branding.Brand {
	t.Helper()
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.svg")
	os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 30"><rect width="120" height="30" fill="#ffffff"/></svg>`), 0o644)
	fav := filepath.Join(dir, "favicon.png")
	os.WriteFile(fav, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0o644)
	extra := filepath.Join(dir, "extra.css")
	os.WriteFile(extra, []byte("h1 { letter-spacing: 0.01em; }\n"), 0o644)
	b, err := branding.New(branding.Config{CompanyName: "Fabrikam", Logo: logo, Favicon: fav, ExtraCSS: extra,
		PrimaryColor: "#004578", AccentColor: "#3b1f5f", UserNameHint: "jdoe@fabrikam.com",
		Helpdesk:    branding.Helpdesk{URL: "https://help.fabrikam.com", Email: "help@fabrikam.com", Phone: "+1 (425) 555-0199", Text: "Open 8–18 <Mon–Fri>"},
		FooterLinks: branding.FooterLinks{Privacy: "https://fabrikam.com/privacy", Terms: "https://fabrikam.com/terms"}}, "https://sspr.contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBrandingOnEveryPage: every page (flows, errors, 404) shows the brand, links its files,
// carries no inline style (the CSP forbids them) and names the show-password script.
func TestBrandingOnEveryPage(t *testing.T) {
	brand := testBrand(t)
	s := newSiteWith(t, time.Millisecond, func(c *Config) { c.Brand = brand })
	b := s.browser(t)
	_, start := b.get("/reset")
	tok := b.csrf(start)
	_, failed := b.post("/reset", url.Values{"csrf": {tok}, "username": {""}}, "")
	pages := map[string]string{"start": start, "start failed": failed}
	for _, p := range []string{"/unlock", "/reset/done", "/nowhere", "/reset/verify"} {
		_, pages[p] = b.get(p)
	}
	for name, page := range pages {
		for _, want := range []string{
			`<link rel="stylesheet" href="` + brand.StylesheetURL + `">`,
			`<link rel="stylesheet" href="` + brand.ExtraCSSURL + `">`,
			`<link rel="icon" href="` + brand.FaviconURL + `">`,
			`<img class="logo" src="` + brand.LogoURL + `" alt="Fabrikam">`,
			`<script src="/static/sspr.js" defer></script>`,
			`<a id="helpdesk" href="https://help.fabrikam.com">`,
			`<a id="helpdesk-email" href="mailto:help@fabrikam.com">help@fabrikam.com</a>`,
			`<a id="helpdesk-phone" href="tel:&#43;14255550199">&#43;1 (425) 555-0199</a>`,
			`<p id="helpdesk-text">Open 8–18 &lt;Mon–Fri&gt;</p>`,
			`<a id="privacy" href="https://fabrikam.com/privacy">Privacy</a>`,
			`<a id="terms" href="https://fabrikam.com/terms">Terms of use</a>`,
			`data-show-password="Show password"`,
			"· Fabrikam</title>",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: no %s in\n%s", name, want, page)
			}
		}
		if regexp.MustCompile(`(?i)\sstyle=|<style`).MatchString(page) {
			t.Errorf("%s: an inline style (the CSP is style-src 'self')", name)
		}
	}
	if !strings.Contains(start, "jdoe@fabrikam.com") || strings.Contains(start, "contoso") {
		t.Errorf("the user-name hint is not the brand's:\n%s", start)
	}
	if !strings.Contains(failed, `id="error" tabindex="-1" autofocus`) {
		t.Errorf("a failed submit does not focus the error summary:\n%s", failed)
	}
	for path, typ := range map[string]string{brand.StylesheetURL: "text/css", brand.LogoURL: "image/svg+xml", "/static/sspr.js": "javascript"} {
		resp, body := b.get(path)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), typ) || body == "" {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if strings.HasPrefix(path, branding.Prefix) && resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", path, resp.Header.Get("Cache-Control"))
		}
	}
	resp, _ := b.get("/reset")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if resp, _ := b.get(branding.Prefix); resp.StatusCode != 404 {
		t.Errorf("%s lists: %d", branding.Prefix, resp.StatusCode)
	}
}

// TestDefaultBrand: without a brand, the company name and helpdesk URL of the configuration,
// the default colours and a neutral user-name hint.
func TestDefaultBrand(t *testing.T) {
	s := newSiteWith(t, time.Millisecond, func(c *Config) { c.HelpdeskURL = "https://help.contoso.com" })
	_, page := s.browser(t).get("/reset")
	page = html.UnescapeString(page)
	for _, want := range []string{"· Contoso</title>", `<span class="company">Contoso</span>`, `href="/branding/theme-`, `<a id="helpdesk" href="https://help.contoso.com">`, "name@example.com"} {
		if !strings.Contains(page, want) {
			t.Errorf("no %s in\n%s", want, page)
		}
	}
	for _, not := range []string{"alice@contoso.com", `id="privacy"`, `rel="icon"`, "<img"} {
		if strings.Contains(page, not) {
			t.Errorf("%s in\n%s", not, page)
		}
	}
}

// TestPasswordPageCarriesTheUserName: the new-password form names the account for password
// managers (autocomplete="username"), also when shown again with an error.
func TestPasswordPageCarriesTheUserName(t *testing.T) {
	s := newSite(t, time.Millisecond)
	b := s.browser(t)
	_, page := b.get("/reset")
	tok := b.csrf(page)
	b.post("/reset", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}}, "")
	b.post("/reset/send", url.Values{"csrf": {tok}, "option": {"sms"}}, "")
	b.post("/reset/code", url.Values{"csrf": {tok}, "option": {"sms"}, "code": {s.sent.lastCode(t)}}, "")
	want := `<input id="account" type="text" name="username" autocomplete="username" value="alice@contoso.com" readonly hidden>`
	_, page = b.get("/reset/complete")
	if !strings.Contains(page, want) {
		t.Fatalf("no %s in\n%s", want, page)
	}
	_, page = b.post("/reset/complete", url.Values{"csrf": {tok}, "password": {"correct horse battery staple"}, "confirm": {"different"}}, "")
	if !strings.Contains(page, want) || !strings.Contains(page, `id="error" tabindex="-1" autofocus`) {
		t.Fatalf("error page without the user name or the error's focus:\n%s", page)
	}
}
