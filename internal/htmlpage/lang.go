package htmlpage

import (
	"net/http"
	"net/url"

	"github.com/sspr/sspr/internal/i18n"
)

// Language picks the request's language from texts: ?lang= (which also sets the language
// cookie, so that the switcher's choice sticks), then the cookie, then Accept-Language, then
// the configured default. With a nil w no cookie is set.
func Language(texts *i18n.Bundle, w http.ResponseWriter, r *http.Request, secure bool) *i18n.Translator {
	query := r.URL.Query().Get("lang")
	cookie := ""
	if c, err := r.Cookie(i18n.CookieName); err == nil {
		cookie = c.Value
	}
	tr := texts.Pick(r.Header.Get("Accept-Language"), query, cookie)
	if query != "" && query == tr.Lang() && query != cookie && w != nil {
		http.SetCookie(w, &http.Cookie{Name: i18n.CookieName, Value: tr.Lang(), Path: "/", HttpOnly: true,
			Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
		r.AddCookie(&http.Cookie{Name: i18n.CookieName, Value: tr.Lang()})
	}
	return tr
}

// LangLink is one entry of the language switcher.
type LangLink struct {
	Lang, Name, Href string
	Current          bool
}

// Languages is the language switcher: every offered language, named in itself, linking to
// path with ?lang=, current marked.
func Languages(texts *i18n.Bundle, path string, current *i18n.Translator) []LangLink {
	var out []LangLink
	for _, tag := range texts.Offered() {
		tr := texts.For(tag.String())
		q := url.Values{"lang": {tag.String()}}
		out = append(out, LangLink{Lang: tag.String(), Name: tr.T("lang.name"), Href: path + "?" + q.Encode(),
			Current: tag.String() == current.Lang()})
	}
	return out
}

// LangSwitch is the switcher's template, "langswitch", for pages whose data has Tr (the
// page's *i18n.Translator) and Langs (Languages): parse it beside the layout that uses it.
const LangSwitch = `{{define "langswitch"}}
<nav class="langs" aria-label="{{.Tr.T "lang.label"}}"><ul>
{{range .Langs}}<li>{{if .Current}}<span aria-current="true" lang="{{.Lang}}">{{.Name}}</span>{{else}}<a href="{{.Href}}" lang="{{.Lang}}" hreflang="{{.Lang}}">{{.Name}}</a>{{end}}</li>
{{end}}</ul></nav>
{{end}}`
