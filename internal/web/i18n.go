package web

import (
	"net/http"

	"github.com/sspr/sspr/internal/htmlpage"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/questions"
)

// translator is a page's language: every text of the pages comes from the i18n catalog.
type translator = *i18n.Translator

// translator picks the request's language (htmlpage.Language: ?lang=, the cookie,
// Accept-Language, the default).
func (s *Server) translator(w http.ResponseWriter, r *http.Request) translator {
	return htmlpage.Language(s.texts, w, r, s.secure)
}

// languages is the switcher, linking to this page (a GET page; else the flow's first page).
func (s *Server) languages(r *http.Request, kind string, current translator) []htmlpage.LangLink {
	path := r.URL.Path
	if r.Method != http.MethodGet {
		path = "/" + kind
		if kind == "" {
			path = "/reset"
		}
	}
	return htmlpage.Languages(s.texts, path, current)
}

// questionText is a security question in the page's language: a predefined one from the
// catalog (overrides included), a custom one as configured.
func questionText(tr translator, cat *questions.Catalog, key string) string {
	if tr.Has("question." + key) {
		return tr.T("question." + key)
	}
	return cat.Text(tr.Tag(), key)
}
