package smtp

import (
	"bytes"
	"fmt"
	"html/template"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/sspr/sspr/internal/branding"
)

// The mail's look: inline styles only (mail clients drop style sheets and <style> blocks),
// tables for layout (Outlook), the brand's colours, no image unless branding.mailLogo.
var mailHTML = template.Must(template.New("mail").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:0;background-color:#f4f5f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f5f7;"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background-color:#ffffff;border:1px solid #d0d7de;border-radius:6px;">
<tr><td dir="auto" style="background-color:{{.Accent}};color:#ffffff;padding:16px 24px;font-family:{{.Font}};font-size:18px;font-weight:bold;line-height:1.4;">
{{- if .LogoURL}}<img src="{{.LogoURL}}" alt="{{.Company}}" height="32" style="display:block;height:32px;width:auto;border:0;">{{else}}{{.Company}}{{end -}}
</td></tr>
<tr><td style="padding:24px;color:#1b1b1b;font-family:{{.Font}};font-size:16px;line-height:1.5;">
{{range .Paragraphs}}<p dir="auto" style="margin:0 0 16px 0;">{{.}}</p>
{{end}}</td></tr>
{{- if .Footer}}
<tr><td dir="auto" style="padding:16px 24px;border-top:1px solid #d0d7de;color:#4a4a4a;font-family:{{.Font}};font-size:14px;line-height:1.5;">
{{range .Footer}}<p dir="auto" style="margin:0 0 4px 0;">{{.}}</p>
{{end}}</td></tr>
{{- end}}
</table>
</td></tr></table>
</body></html>
`))

const mailFont = `system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif`

var (
	urlRE  = regexp.MustCompile(`https?://[^\s<>"]+`)
	codeRE = regexp.MustCompile(`\b\d{6,10}\b`)
)

// mailParts returns the plain text and HTML bodies of a mail: the text as written, then the
// brand's signature (company, helpdesk); the HTML the same in the brand's colours, its links
// clickable and a one-time code set large. Every text is escaped: nothing of the body
// becomes markup.
func mailParts(b *branding.Brand, subject, body string) (plain, html string, err error) {
	if b == nil {
		b = &branding.Brand{Config: branding.Config{}.WithDefaults()}
	}
	var sig []string
	var footer []template.HTML
	if c := b.CompanyName; c != "" {
		sig = append(sig, c)
	}
	primary := template.CSS(b.PrimaryColor)
	link := func(href, text string) template.HTML {
		return template.HTML(fmt.Sprintf(`<a href="%s" style="color:%s;">%s</a>`, template.HTMLEscapeString(href), primary, template.HTMLEscapeString(text)))
	}
	h := b.Helpdesk
	if h.URL != "" {
		sig = append(sig, h.URL)
		footer = append(footer, link(h.URL, h.URL))
	}
	if h.Email != "" {
		sig = append(sig, h.Email)
		footer = append(footer, link("mailto:"+h.Email, h.Email))
	}
	if h.Phone != "" {
		sig = append(sig, h.Phone)
		footer = append(footer, link("tel:"+branding.PhoneDigits(h.Phone), h.Phone))
	}
	if h.Text != "" {
		sig = append(sig, h.Text)
		footer = append(footer, template.HTML(template.HTMLEscapeString(h.Text)))
	}
	plain = strings.TrimRight(body, "\n") + "\n"
	if len(sig) > 0 {
		plain += "\n-- \n" + strings.Join(sig, "\n") + "\n"
	}
	company := b.CompanyName
	if company == "" {
		company = subject
	}
	var paras []template.HTML
	for _, p := range strings.Split(strings.ReplaceAll(strings.TrimSpace(body), "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		var lines []string
		for _, l := range strings.Split(p, "\n") {
			lines = append(lines, richLine(l, primary))
		}
		paras = append(paras, template.HTML(strings.Join(lines, "<br>\n")))
	}
	var out bytes.Buffer
	err = mailHTML.Execute(&out, map[string]any{
		"Subject": subject, "Company": company, "LogoURL": b.MailLogoURL,
		"Accent": template.CSS(b.AccentColor), "Font": template.CSS(mailFont),
		"Paragraphs": paras, "Footer": footer,
	})
	if err != nil {
		return "", "", fmt.Errorf("smtp: render mail: %w", err)
	}
	return plain, out.String(), nil
}

// richLine escapes a line of text, makes its http(s) URLs links and sets a code (6 to 10
// digits) large.
func richLine(l string, primary template.CSS) string {
	var b strings.Builder
	codes := func(s string) {
		last := 0
		for _, m := range codeRE.FindAllStringIndex(s, -1) {
			b.WriteString(template.HTMLEscapeString(s[last:m[0]]))
			fmt.Fprintf(&b, `<strong style="font-size:22px;letter-spacing:3px;">%s</strong>`, s[m[0]:m[1]])
			last = m[1]
		}
		b.WriteString(template.HTMLEscapeString(s[last:]))
	}
	last := 0
	for _, m := range urlRE.FindAllStringIndex(l, -1) {
		u := strings.TrimRight(l[m[0]:m[1]], ".,;:!?)")
		codes(l[last:m[0]])
		e := template.HTMLEscapeString(u)
		fmt.Fprintf(&b, `<a href="%s" style="color:%s;">%s</a>`, e, primary, e)
		last = m[0] + len(u)
	}
	codes(l[last:])
	return b.String()
}

// writeAlternative writes the body of a multipart/alternative mail: the plain text, then the
// HTML (the part a client prefers comes last), each quoted-printable UTF-8 with CRLF line ends.
func writeAlternative(w *multipart.Writer, plain, html string) error {
	for _, p := range []struct{ typ, text string }{{"text/plain; charset=utf-8", plain}, {"text/html; charset=utf-8", html}} {
		pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {p.typ}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(p.text)); err != nil { // line breaks become CRLF
			return err
		}
		if err := qp.Close(); err != nil {
			return err
		}
	}
	return w.Close()
}
