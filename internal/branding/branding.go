package branding

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/email"
)

// Config is the configuration block branding.
//
//	branding:
//	  companyName: Contoso
//	  logo: /etc/sspr/logo.svg          # PNG or SVG, at most 512 KiB
//	  favicon: /etc/sspr/favicon.png    # PNG, SVG or ICO, at most 128 KiB
//	  primaryColor: "#0b5cad"           # buttons and links; white text on it (≥ 4.5:1)
//	  accentColor: "#1f3a5f"            # the header band; white text on it (≥ 4.5:1)
//	  helpdesk: {url: https://help.contoso.com, email: help@contoso.com, phone: "+1 425 555 0100", text: "Open 8–18, Monday to Friday"}
//	  footerLinks: {privacy: https://contoso.com/privacy, terms: https://contoso.com/terms}
//	  userNameHint: name@contoso.com    # the example under the user name field
//	  extraCSS: /etc/sspr/extra.css     # served after the theme; at most 256 KiB
//	  mailLogo: false                   # true: HTML mails show the PNG logo, loaded from publicURL
type Config struct {
	CompanyName  string      `yaml:"companyName"`
	Logo         string      `yaml:"logo"`
	Favicon      string      `yaml:"favicon"`
	PrimaryColor string      `yaml:"primaryColor"`
	AccentColor  string      `yaml:"accentColor"`
	Helpdesk     Helpdesk    `yaml:"helpdesk"`
	FooterLinks  FooterLinks `yaml:"footerLinks"`
	UserNameHint string      `yaml:"userNameHint"`
	ExtraCSS     string      `yaml:"extraCSS"`
	// MailLogo shows the logo in HTML mails, as an image loaded from the public URL (an
	// external image: some clients block it until the reader allows it). Off by default.
	MailLogo bool `yaml:"mailLogo"`
}

// Helpdesk is how users reach a person: shown in every page's footer and every mail.
type Helpdesk struct {
	URL   string `yaml:"url"`
	Email string `yaml:"email"`
	Phone string `yaml:"phone"`
	Text  string `yaml:"text"`
}

// FooterLinks are the organization's pages every page links to.
type FooterLinks struct {
	Privacy string `yaml:"privacy"`
	Terms   string `yaml:"terms"`
}

// Defaults.
const (
	DefaultPrimaryColor = "#0b5cad"
	DefaultAccentColor  = "#1f3a5f"
)

// Limits of the files.
const (
	MaxLogoBytes     = 512 << 10
	MaxFaviconBytes  = 128 << 10
	MaxExtraCSSBytes = 256 << 10
	maxTextRunes     = 500
)

// TextColor is the text on the primary and accent colours.
var TextColor = RGB{255, 255, 255}

// WithDefaults returns c with the default colours where none is set.
func (c Config) WithDefaults() Config {
	if c.PrimaryColor == "" {
		c.PrimaryColor = DefaultPrimaryColor
	}
	if c.AccentColor == "" {
		c.AccentColor = DefaultAccentColor
	}
	return c
}

// Validate reports every problem of c (defaults applied) at once, as a *problem.List whose
// keys are this block's YAML keys. A colour whose contrast with its white text is below
// MinContrast is refused with the ratio.
func (c Config) Validate() error {
	_, err := c.load()
	return err
}

// load checks c and reads its files.
func (c Config) load() (map[string]asset, error) {
	c = c.WithDefaults()
	var l problem.List
	text := func(key, s string, max int) {
		switch {
		case !utf8.ValidString(s):
			l.Add(key, "not valid UTF-8")
		case utf8.RuneCountInString(s) > max:
			l.Add(key, "longer than %d characters", max)
		case strings.ContainsFunc(s, unicode.IsControl):
			l.Add(key, "holds a control character (a line break?)")
		}
	}
	text("companyName", c.CompanyName, 100)
	text("userNameHint", c.UserNameHint, 100)
	text("helpdesk.text", c.Helpdesk.Text, maxTextRunes)
	for _, col := range []struct{ key, value string }{{"primaryColor", c.PrimaryColor}, {"accentColor", c.AccentColor}} {
		rgb, err := ParseColor(col.value)
		if err != nil {
			l.Add(col.key, "%v", err)
			continue
		}
		if r := Contrast(rgb, TextColor); r < MinContrast {
			l.Add(col.key, "%s on white text: contrast %s, needs %s (choose a darker colour)", rgb, FormatRatio(r), FormatRatio(MinContrast))
		}
	}
	for _, u := range []struct{ key, value string }{{"helpdesk.url", c.Helpdesk.URL}, {"footerLinks.privacy", c.FooterLinks.Privacy}, {"footerLinks.terms", c.FooterLinks.Terms}} {
		if u.value == "" {
			continue
		}
		if p, err := url.Parse(u.value); err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http") {
			l.Add(u.key, "%q: an absolute http(s) URL, such as https://help.contoso.com", u.value)
		}
	}
	if c.Helpdesk.Email != "" {
		if err := email.Validate(c.Helpdesk.Email); err != nil {
			l.Add("helpdesk.email", "%v", err)
		}
	}
	if p := c.Helpdesk.Phone; p != "" {
		if d := PhoneDigits(p); len(d) < 3 || len(d) > 16 || strings.ContainsFunc(p, func(r rune) bool { return !strings.ContainsRune("+0123456789 -().", r) }) {
			l.Add("helpdesk.phone", "%q: a phone number of digits, spaces, +, -, ( ) and dots, such as +1 425 555 0100", p)
		}
	}
	assets := map[string]asset{}
	read := func(key, file, name string, max int, types ...string) {
		if file == "" {
			return
		}
		b, err := os.ReadFile(file)
		if err != nil {
			l.Add(key, "%v", err)
			return
		}
		if len(b) > max {
			l.Add(key, "%s is %d bytes: at most %d", file, len(b), max)
			return
		}
		typ := sniff(b)
		ok := false
		for _, t := range types {
			ok = ok || t == typ
		}
		if !ok {
			l.Add(key, "%s is not %s", file, strings.Join(types, " or "))
			return
		}
		if typ == typeSVG {
			if bad := svgActive(b); bad != "" {
				l.Add(key, "%s holds %s: an SVG logo must be a plain picture", file, bad)
				return
			}
		}
		sum := sha256.Sum256(b)
		assets[name+"-"+hex.EncodeToString(sum[:6])+extensions[typ]] = asset{typ: typ, body: b}
	}
	read("logo", c.Logo, "logo", MaxLogoBytes, typePNG, typeSVG)
	read("favicon", c.Favicon, "favicon", MaxFaviconBytes, typePNG, typeSVG, typeICO)
	if c.ExtraCSS != "" {
		b, err := os.ReadFile(c.ExtraCSS)
		switch {
		case err != nil:
			l.Add("extraCSS", "%v", err)
		case len(b) > MaxExtraCSSBytes:
			l.Add("extraCSS", "%s is %d bytes: at most %d", c.ExtraCSS, len(b), MaxExtraCSSBytes)
		case !utf8.Valid(b) || bytes.Contains(b, []byte("</")):
			l.Add("extraCSS", "%s is not a UTF-8 stylesheet", c.ExtraCSS)
		default:
			sum := sha256.Sum256(b)
			assets["extra-"+hex.EncodeToString(sum[:6])+".css"] = asset{typ: typeCSS, body: b}
		}
	}
	if c.MailLogo {
		switch {
		case c.Logo == "":
			l.Add("mailLogo", "needs a logo")
		case strings.EqualFold(path.Ext(c.Logo), ".svg"):
			l.Add("mailLogo", "mail clients do not show SVG: give a PNG logo")
		}
	}
	return assets, l.Err()
}

// PhoneDigits is the phone number for a tel: link: its digits, with the leading + if any.
func PhoneDigits(p string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(p) {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

const (
	typePNG = "image/png"
	typeSVG = "image/svg+xml"
	typeICO = "image/x-icon"
	typeCSS = "text/css; charset=utf-8"
)

var extensions = map[string]string{typePNG: ".png", typeSVG: ".svg", typeICO: ".ico", typeCSS: ".css"}

// sniff tells a PNG, an SVG or an ICO file by its content, never by its name.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return typePNG
	case bytes.HasPrefix(b, []byte{0, 0, 1, 0}):
		return typeICO
	case utf8.Valid(b) && bytes.Contains(bytes.ToLower(b), []byte("<svg")):
		return typeSVG
	}
	return ""
}

// svgActive names what makes an SVG more than a picture (scripts, event handlers, links to
// elsewhere, embedded HTML), or "". The site's CSP blocks scripts anyway; this refuses them at
// configuration time.
func svgActive(b []byte) string {
	s := strings.ToLower(string(b))
	for _, bad := range []string{"<script", "javascript:", "<foreignobject", "<iframe", "<embed", "<object", "xlink:href=\"http", "href=\"http", "@import"} {
		if strings.Contains(s, bad) {
			return fmt.Sprintf("%q", bad)
		}
	}
	for i := strings.Index(s, " on"); i >= 0; i = strings.Index(s, " on") {
		rest := s[i+3:]
		j := strings.IndexFunc(rest, func(r rune) bool { return r < 'a' || r > 'z' })
		if j > 0 && strings.HasPrefix(strings.TrimLeft(rest[j:], " "), "=") {
			return "an event handler (on" + rest[:j] + ")"
		}
		s = rest
	}
	return ""
}

type asset struct {
	typ  string
	body []byte
}

// Prefix is the path the brand's files are served under.
const Prefix = "/branding/"

// Brand is a checked Config with its files read: what pages and mails show.
type Brand struct {
	Config
	// StylesheetURL is the generated theme (the colours); LogoURL, FaviconURL and
	// ExtraCSSURL are empty when not configured. Each holds a hash of the content.
	StylesheetURL, LogoURL, FaviconURL, ExtraCSSURL string
	// MailLogoURL is the logo's absolute URL for HTML mails when mailLogo is set, else "".
	MailLogoURL string
	assets      map[string]asset
}

// New checks c (Validate's problems are its error), reads its files and generates the theme
// stylesheet. publicURL is the base of MailLogoURL.
func New(c Config, publicURL string) (*Brand, error) {
	c = c.WithDefaults()
	assets, err := c.load()
	if err != nil {
		return nil, fmt.Errorf("branding: %w", err)
	}
	b := &Brand{Config: c, assets: assets}
	theme := []byte(b.theme())
	sum := sha256.Sum256(theme)
	assets["theme-"+hex.EncodeToString(sum[:6])+".css"] = asset{typ: typeCSS, body: theme}
	for name := range assets {
		switch {
		case strings.HasPrefix(name, "theme-"):
			b.StylesheetURL = Prefix + name
		case strings.HasPrefix(name, "logo-"):
			b.LogoURL = Prefix + name
		case strings.HasPrefix(name, "favicon-"):
			b.FaviconURL = Prefix + name
		case strings.HasPrefix(name, "extra-"):
			b.ExtraCSSURL = Prefix + name
		}
	}
	if c.MailLogo && b.LogoURL != "" {
		b.MailLogoURL = strings.TrimSuffix(publicURL, "/") + b.LogoURL
	}
	return b, nil
}

// theme is the generated stylesheet: the colours as the CSS variables sspr.css uses.
func (b *Brand) theme() string {
	return fmt.Sprintf("/* generated from the configuration's branding block */\n"+
		":root { --accent: %s; --accent-fg: %s; --header-bg: %s; --header-fg: %s; }\n",
		strings.ToLower(b.PrimaryColor), TextColor, strings.ToLower(b.AccentColor), TextColor)
}

// Handler serves the brand's files under Prefix, each with a year-long immutable cache header
// (a changed file has a new URL). SVG files get a CSP of their own that runs nothing.
func (b *Brand) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := b.assets[strings.TrimPrefix(r.URL.Path, Prefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.typ)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		if a.typ == typeSVG {
			h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		}
		if r.Method == http.MethodHead {
			return
		}
		w.Write(a.body)
	})
}
