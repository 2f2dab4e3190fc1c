package console

import (
	"html/template"
	"net/url"
	"strings"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/store"
)

// funcs are the templates' helpers; those that write in the page's language are page's methods
// (lang.go).
var funcs = template.FuncMap{
	"join": strings.Join,
	"path": url.PathEscape,
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"orDash": func(s string) string {
		if s == "" {
			return dash
		}
		return s
	},
	"details": details,
	// errorOf is a refused value's text in the language (by its code), and package admin's
	// English account of it.
	"errorOf": func(tr *i18n.Translator, e admin.FieldError) fieldError {
		return fieldError{Text: word(tr, "console.fieldError.", e.Code), Detail: e.Message}
	},
	// eventsOf is the data of the "events" table: the page (its language) and the events.
	"eventsOf": func(p *page, rows []store.AuditEvent) eventsTable { return eventsTable{P: p, Rows: rows} },
	// around cuts a translated text at the NUL its placeholder was given, so that the template
	// puts markup (an emphasized value) where the language puts the value: [before, after].
	"around": func(s string) []string {
		before, after, _ := strings.Cut(s, "\x00")
		return []string{before, after}
	},
}

type fieldError struct{ Text, Detail string }

type eventsTable struct {
	P    *page
	Rows []store.AuditEvent
}
