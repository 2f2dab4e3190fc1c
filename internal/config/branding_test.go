package config

import (
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/branding"
)

func TestBranding(t *testing.T) {
	base := "directory:\n  type: openldap\n  file: /tmp/export.ldif\n"
	c, err := Parse([]byte(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Branding; b.PrimaryColor != branding.DefaultPrimaryColor || b.AccentColor != branding.DefaultAccentColor || b.CompanyName != "" {
		t.Errorf("branding defaults %+v", b)
	}
	c, err = Parse([]byte(base+`branding:
  companyName: Contoso
  primaryColor: "#004578"
  helpdesk:
    url: https://help.contoso.com
    email: help@contoso.com
    phone: +1 425 555 0100
    text: Open 8-18
  footerLinks:
    privacy: https://contoso.com/privacy
    terms: https://contoso.com/terms
  userNameHint: name@contoso.com
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Branding; b.CompanyName != "Contoso" || b.Helpdesk.Phone != "+1 425 555 0100" || b.FooterLinks.Terms != "https://contoso.com/terms" || b.UserNameHint != "name@contoso.com" {
		t.Errorf("branding %+v", b)
	}
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"low contrast, with the ratio", "branding:\n  primaryColor: \"#7fb3ff\"\n  accentColor: \"#ff8c00\"\n",
			[]string{"branding.primaryColor: #7fb3ff on white text: contrast 2.1:1, needs 4.5:1", "branding.accentColor: #ff8c00 on white text: contrast 2.3:1, needs 4.5:1"}},
		{"strict keys", "branding:\n  companyname: x\n  helpdesk:\n    mail: help@contoso.com\n",
			[]string{`branding.companyname (line 5): unknown key (did you mean "companyName"?)`, `branding.helpdesk.mail (line 7): unknown key (did you mean "email"?)`}},
		{"moved from server", "server:\n  companyName: Contoso\n  helpdeskURL: https://help.contoso.com\n",
			[]string{"server.companyName (line 5): unknown key (moved to branding.companyName)", "server.helpdeskURL (line 6): unknown key (moved to branding.helpdesk.url)"}},
		{"files and links", "branding:\n  logo: /nonexistent/logo.png\n  footerLinks:\n    privacy: privacy.html\n",
			[]string{"branding.logo: open /nonexistent/logo.png", `branding.footerLinks.privacy: "privacy.html"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(base+tt.yaml), nil)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v\nlacks %q", err, w)
				}
			}
		})
	}
}
