package htmlpage

import (
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	for _, tc := range []struct {
		name, tmpl string
		status     int
		body       string
	}{
		{"page", `{{define "layout"}}<p>{{.}}</p>{{end}}`, http.StatusTeapot, "<p>&lt;b&gt;</p>"},
		{"error: no half page", `{{define "layout"}}<p>{{.Missing}}</p>{{end}}`, http.StatusInternalServerError, "internal error\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Render(rec, template.Must(template.New("x").Parse(tc.tmpl)), http.StatusTeapot, "<b>", log)
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("%d %q, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
		})
	}
}

func TestCookie(t *testing.T) {
	c := Cookie{Name: "sspr_test", Path: "/admin", Secure: true}
	rec := httptest.NewRecorder()
	c.Set(rec, "token", 15*time.Minute)
	c.Clear(rec)
	set := rec.Result().Cookies()
	if len(set) != 2 {
		t.Fatalf("cookies %v", set)
	}
	for _, k := range set {
		if !k.HttpOnly || !k.Secure || k.SameSite != http.SameSiteStrictMode || k.Path != "/admin" {
			t.Errorf("cookie %+v", k)
		}
	}
	if set[0].MaxAge != 900 || set[1].MaxAge != -1 {
		t.Errorf("max ages %d %d", set[0].MaxAge, set[1].MaxAge)
	}
	r := httptest.NewRequest("GET", "/admin", nil)
	if v := c.Value(r); v != "" {
		t.Errorf("no cookie reads %q", v)
	}
	r.AddCookie(set[0])
	if v := c.Value(r); v != "token" {
		t.Errorf("value %q", v)
	}
	if !strings.Contains(rec.Header().Values("Set-Cookie")[0], "SameSite=Strict") {
		t.Error("no SameSite=Strict")
	}
}
