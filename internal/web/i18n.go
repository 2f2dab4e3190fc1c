package web

import (
	"net/http"
	"net/url"

	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/questions"
)

// translator is a page's language: every text of the pages comes from the i18n catalog.
type translator = *i18n.Translator

// translator picks the request's language: ?lang= (which also sets the language cookie, so
// the switcher's choice sticks), then the cookie, then Accept-Language, then the configured
// default.
func (s *Server) translator(w http.ResponseWriter, r *http.Request) translator {
	query := r.URL.Query().Get("lang")
	cookie := ""
	if c, err := r.Cookie(i18n.CookieName); err == nil {
		cookie = c.Value
	}
	tr := s.texts.Pick(r.Header.Get("Accept-Language"), query, cookie)
	if query != "" && query == tr.Lang() && query != cookie && w != nil {
		http.SetCookie(w, &http.Cookie{Name: i18n.CookieName, Value: tr.Lang(), Path: "/", HttpOnly: true,
			Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
		r.AddCookie(&http.Cookie{Name: i18n.CookieName, Value: tr.Lang()})
	}
	return tr
}

// langLink is one entry of the language switcher.
type langLink struct {
	Lang, Name, Href string
	Current          bool
}

// languages is the switcher: every offered language, named in itself, linking to this page
// (a GET page; else the flow's first page) with ?lang=.
func (s *Server) languages(r *http.Request, kind string, current translator) []langLink {
	path := r.URL.Path
	if r.Method != http.MethodGet {
		path = "/" + kind
		if kind == "" {
			path = "/reset"
		}
	}
	var out []langLink
	for _, tag := range s.texts.Offered() {
		tr := s.texts.For(tag.String())
		q := url.Values{"lang": {tag.String()}}
		out = append(out, langLink{Lang: tag.String(), Name: tr.T("lang.name"), Href: path + "?" + q.Encode(),
			Current: tag.String() == current.Lang()})
	}
	return out
}

// questionText is a security question in the page's language: a predefined one from the
// catalog (overrides included), a custom one as configured.
func questionText(tr translator, cat *questions.Catalog, key string) string {
	if tr.Has("question." + key) {
		return tr.T("question." + key)
	}
	return cat.Text(tr.Tag(), key)
}
