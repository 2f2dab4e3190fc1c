package htmlpage

import (
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/clientip"
	"github.com/sspr/sspr/internal/flow"
)

// Render writes the page of t's "layout" template with data and status. The page is executed
// into a buffer first: a template error is logged and answered 500.
func Render(w http.ResponseWriter, t *template.Template, status int, data any, log *slog.Logger) {
	RenderOr(w, t, status, data, log, "internal error")
}

// RenderOr is Render answering failed, in plain text, when the template fails (the end-user
// pages pass the catalog's text in the request's language).
func RenderOr(w http.ResponseWriter, t *template.Template, status int, data any, log *slog.Logger, failed string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		log.Error("render", "page", t.Name(), "err", err)
		http.Error(w, failed, http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

// Cookie is a session cookie: HttpOnly, SameSite=Strict, Secure when the site is served over
// HTTPS.
type Cookie struct {
	Name   string
	Path   string // "/" when empty
	Secure bool
}

func (c Cookie) path() string {
	if c.Path == "" {
		return "/"
	}
	return c.Path
}

// Set stores value for maxAge.
func (c Cookie) Set(w http.ResponseWriter, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: c.Name, Value: value, Path: c.path(), HttpOnly: true, Secure: c.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(maxAge.Seconds())})
}

// Clear removes the cookie from the browser.
func (c Cookie) Clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.Name, Value: "", Path: c.path(), HttpOnly: true, Secure: c.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// Value is the cookie's value in the request ("" when absent).
func (c Cookie) Value(r *http.Request) string {
	v, err := r.Cookie(c.Name)
	if err != nil {
		return ""
	}
	return v.Value
}

// Client is who is asking, for throttles and the audit log: the client's address behind the
// trusted proxies of cfg, its throttle key (an IPv6 address's prefix), the user agent.
func Client(cfg clientip.Config, r *http.Request) flow.Client {
	c := cfg.Client(r)
	return flow.Client{IP: c.String(), ThrottleKey: c.ThrottleKey(cfg.IPv6Prefix), UserAgent: r.UserAgent()}
}
