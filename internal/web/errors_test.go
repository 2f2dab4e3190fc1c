package web

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/i18n"
)

// A form that cannot be read (a bad escape, a body over the limit) answers 400 with the error
// page in the request's language, never Go's plain "bad request"; the body is not logged.
func TestUnreadableFormInTheUsersLanguage(t *testing.T) {
	s := newSite(t, time.Millisecond)
	for _, tt := range []struct {
		name, lang, body string
	}{
		{"bad escape, german", "de", "username=alice%zzSecret1"},
		{"bad escape, arabic", "ar", "username=alice%zzSecret1"},
		{"too large, french", "fr", "username=" + strings.Repeat("a", 17<<10)},
		{"too large, spanish", "es", "password=" + strings.Repeat("Secret1", 3<<10)},
		{"bad escape, english", "en", "password=%zzSecret1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := s.browser(t)
			b.get("/reset?lang=" + tt.lang) // the language cookie
			req, _ := http.NewRequest(http.MethodPost, b.url+"/reset", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, page := b.do(req)
			want := template.HTMLEscapeString(i18n.Default().For(tt.lang).T("error.badRequest"))
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, want) ||
				!strings.Contains(page, `<html lang="`+tt.lang+`"`) {
				t.Errorf("%d, want 400 and %q in a %s page:\n%s", resp.StatusCode, want, tt.lang, page)
			}
			if strings.Contains(page, "bad request") || strings.Contains(page, "Secret1") {
				t.Errorf("page shows Go's text or the body:\n%s", page)
			}
		})
	}
}

// A template that fails answers 500 with error.internal in the page's language, in plain
// text: the error page itself may be the template that fails.
func TestTemplateFailureInTheUsersLanguage(t *testing.T) {
	broken := template.Must(template.New("broken").Parse(`{{define "layout"}}{{.Missing}}{{end}}`))
	for _, lang := range []string{"en", "de", "fr", "es", "ar"} {
		t.Run(lang, func(t *testing.T) {
			var logs bytes.Buffer
			s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil)), pages: map[string]*template.Template{"start": broken}}
			tr := i18n.Default().For(lang)
			rec := httptest.NewRecorder()
			s.render(rec, "start", http.StatusOK, &page{Tr: tr})
			body := strings.TrimSpace(rec.Body.String())
			if rec.Code != http.StatusInternalServerError || body != tr.T("error.internal") {
				t.Errorf("%d %q, want 500 %q", rec.Code, body, tr.T("error.internal"))
			}
			if !strings.Contains(logs.String(), "render") {
				t.Errorf("the failure is not logged: %s", logs.String())
			}
		})
	}
}
