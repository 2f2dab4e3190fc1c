package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/branding"
	"github.com/sspr/sspr/internal/clientip"
	"github.com/sspr/sspr/internal/csrf"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/htmlpage"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/reset"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Flows is what the pages drive: the reset and unlock flows.
type Flows interface {
	Start(ctx context.Context, kind, name string, c flow.Client) (string, reset.View, error)
	View(ctx context.Context, token string) (reset.View, error)
	SendCode(ctx context.Context, token, optionID string, c flow.Client) (reset.View, error)
	VerifyCode(ctx context.Context, token, optionID, code string, c flow.Client) (reset.View, error)
	VerifyAnswers(ctx context.Context, token string, answers []string, c flow.Client) (reset.View, error)
	Complete(ctx context.Context, token, newPassword string, c flow.Client) error
	PasswordPolicy() password.Policy
	Questions() *questions.Catalog
}

// Config is the web server's settings.
type Config struct {
	// PublicURL is the only base for absolute links and the origin forms must come from.
	PublicURL string
	// TLS: the server itself terminates TLS (cookies Secure, HSTS). Behind a TLS proxy, a
	// https PublicURL makes cookies Secure too.
	TLS bool
	// ClientIP tells the client behind trusted proxies; flow.Client.IP is its throttle key.
	ClientIP clientip.Config
	// Brand is the organization's look on every page (branding.New); when nil, one is made
	// from CompanyName and HelpdeskURL with the default colours.
	Brand       *branding.Brand
	CompanyName string
	HelpdeskURL string
	// CSRFKey keys the CSRF tokens (secret.Key.Derive("csrf")).
	CSRFKey []byte
	// ResponseFloor pads the responses that could tell known names from unknown ones.
	ResponseFloor time.Duration
	// SessionLifetime is the session cookie's lifetime.
	SessionLifetime time.Duration
	// DebugTiming sends Server-Timing (the server's time before any padding) on every
	// response: for benchmarks only. It undoes the response floor (a real name's work shows
	// through), so it is off by default and `config validate` warns when it is on.
	DebugTiming bool
	// Registration, when set, serves the registration portal under /register.
	Registration Registration
	// Change, when set, serves /change: a user changes a password they know.
	Change Change
	// Texts is the message catalog (nil: the built-in catalogs, English by default).
	Texts *i18n.Bundle
	// UserNameHint is the example user name the first page shows (default name@example.com).
	UserNameHint string
	// MustChangeAfterReset: a reset makes the user change the new password at next logon
	// (reset.mustChangeAfterReset); the reset's done page links to /change.
	MustChangeAfterReset bool
}

// Server serves the end-user pages.
type Server struct {
	cfg    Config
	flows  Flows
	texts  *i18n.Bundle
	log    *slog.Logger
	pages  map[string]*template.Template
	origin string
	secure bool
	mux    *http.ServeMux
}

const (
	sessionCookie = "sspr_session"
	csrfCookie    = "sspr_csrf"
)

// New builds the server.
func New(cfg Config, flows Flows, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("web: publicURL %q must be an absolute http(s) URL", cfg.PublicURL)
	}
	if len(cfg.CSRFKey) < 32 {
		return nil, errors.New("web: CSRF key too short")
	}
	if cfg.Brand == nil {
		b, err := branding.New(branding.Config{CompanyName: cfg.CompanyName, Helpdesk: branding.Helpdesk{URL: cfg.HelpdeskURL}}, cfg.PublicURL)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		cfg.Brand = b
	}
	cfg.CompanyName = cfg.Brand.CompanyName
	if cfg.CompanyName == "" {
		cfg.CompanyName = "sspr"
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = 15 * time.Minute
	}
	if cfg.UserNameHint == "" {
		cfg.UserNameHint = cfg.Brand.UserNameHint
	}
	if cfg.UserNameHint == "" {
		cfg.UserNameHint = "name@example.com"
	}
	s := &Server{cfg: cfg, flows: flows, texts: cfg.Texts, log: log, pages: map[string]*template.Template{},
		origin: u.Scheme + "://" + u.Host, secure: cfg.TLS || u.Scheme == "https", mux: http.NewServeMux()}
	if s.texts == nil {
		s.texts = i18n.Default()
	}
	for _, p := range []string{"start", "verify", "password", "done", "error", "signin", "register", "questions", "change"} {
		t, err := template.Must(template.New("layout").Funcs(funcs).Parse(htmlpage.LangSwitch)).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", p, err)
		}
		s.pages[p] = t
	}
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	s.mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
			s.notFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	s.mux.Handle("GET "+branding.Prefix, cfg.Brand.Handler())
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/reset", http.StatusSeeOther) })
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	for _, kind := range []string{reset.KindReset, reset.KindUnlock} {
		s.mux.HandleFunc("GET /"+kind, s.startPage(kind))
		s.mux.HandleFunc("POST /"+kind, s.padded(s.start(kind)))
		// Every step whose work differs for real and decoy flows is padded to the floor.
		s.mux.HandleFunc("GET /"+kind+"/verify", s.padded(s.verifyPage(kind)))
		s.mux.HandleFunc("POST /"+kind+"/send", s.padded(s.send(kind)))
		s.mux.HandleFunc("POST /"+kind+"/code", s.padded(s.code(kind)))
		s.mux.HandleFunc("POST /"+kind+"/answers", s.padded(s.answers(kind)))
		s.mux.HandleFunc("GET /"+kind+"/complete", s.completePage(kind))
		s.mux.HandleFunc("POST /"+kind+"/complete", s.complete(kind))
		s.mux.HandleFunc("GET /"+kind+"/done", s.donePage(kind))
	}
	if cfg.Registration != nil {
		s.registrationRoutes()
	}
	if cfg.Change != nil {
		s.changeRoutes()
	}
	return s, nil
}

// funcs are the templates' functions.
var funcs = template.FuncMap{
	// telURL is a tel: link to a phone number (digits and a leading + only).
	"telURL": func(phone string) template.URL { return template.URL("tel:" + branding.PhoneDigits(phone)) },
}

// Handle mounts another handler (health checks, metrics, the admin API) on the same server.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler returns the server's handler with its security headers; the mux's own 404 and 405
// answers become branded pages.
func (s *Server) Handler() http.Handler { return s.headers(s.branded(s.mux)) }

// notFound answers 404 with the branded page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "", "notFound.title")
	p.Body = p.Tr.T("notFound.body")
	s.render(w, "done", http.StatusNotFound, p)
}

// branded replaces the plain-text 404 and 405 answers of the mux (an unknown path, a wrong
// method) with the site's pages, keeping their status and Allow header. Answers of the API and
// the handlers' own errors are left as they are.
func (s *Server) branded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		bw := &brandedWriter{ResponseWriter: w}
		next.ServeHTTP(bw, r)
		if bw.code == 0 {
			return
		}
		key := "notFound"
		if bw.code == http.StatusMethodNotAllowed {
			key = "methodNotAllowed"
		}
		p := s.newPage(w, r, "", key+".title")
		p.Body = p.Tr.T(key + ".body")
		s.render(w, "done", bw.code, p)
	})
}

// brandedWriter holds back a plain-text 404 or 405 (http.Error's) so that branded can answer.
type brandedWriter struct {
	http.ResponseWriter
	code    int // the held-back status, 0 when passing through
	started bool
}

func (b *brandedWriter) WriteHeader(code int) {
	if !b.started && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) &&
		strings.HasPrefix(b.Header().Get("Content-Type"), "text/plain") {
		b.code, b.started = code, true
		return
	}
	b.started = true
	b.ResponseWriter.WriteHeader(code)
}

func (b *brandedWriter) Write(p []byte) (int, error) {
	if !b.started {
		b.WriteHeader(http.StatusOK)
	}
	if b.code != 0 {
		return len(p), nil
	}
	return b.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (b *brandedWriter) Unwrap() http.ResponseWriter { return b.ResponseWriter }

// headers sets the security headers of every response.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !strings.HasPrefix(r.URL.Path, "/static/") && !strings.HasPrefix(r.URL.Path, branding.Prefix) {
			h.Set("Cache-Control", "no-store")
		}
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if s.cfg.DebugTiming {
			w = &serverTiming{ResponseWriter: w, start: time.Now()}
		}
		next.ServeHTTP(w, r)
	})
}

// serverTiming adds Server-Timing (the handler's time until it writes the response) to every
// response whose handler did not set it (padded handlers set it without their padding). Only
// with Config.DebugTiming.
type serverTiming struct {
	http.ResponseWriter
	start time.Time
	done  bool
}

func (t *serverTiming) WriteHeader(code int) {
	if !t.done {
		t.done = true
		if t.Header().Get("Server-Timing") == "" {
			t.Header().Set("Server-Timing", fmt.Sprintf("app;dur=%.2f", float64(time.Since(t.start).Microseconds())/1000))
		}
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *serverTiming) Write(b []byte) (int, error) {
	if !t.done {
		t.WriteHeader(http.StatusOK)
	}
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (t *serverTiming) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// padded makes a handler take at least ResponseFloor, so that known and unknown names cannot be
// told apart by timing. With Config.DebugTiming, Server-Timing reports the time spent before
// the padding; never otherwise.
func (s *Server) padded(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		pw := &timingWriter{ResponseWriter: w, start: start, debug: s.cfg.DebugTiming}
		h(pw, r)
		pw.flush()
		if d := s.cfg.ResponseFloor - time.Since(start); d > 0 {
			time.Sleep(d)
		}
		pw.release()
	}
}

// timingWriter holds the response until the padding is over.
type timingWriter struct {
	http.ResponseWriter
	debug  bool
	start  time.Time
	status int
	body   []byte
}

func (t *timingWriter) WriteHeader(code int) { t.status = code }
func (t *timingWriter) Write(b []byte) (int, error) {
	t.body = append(t.body, b...)
	return len(b), nil
}
func (t *timingWriter) flush() {
	if !t.debug {
		return
	}
	t.Header().Set("Server-Timing", fmt.Sprintf("app;dur=%.2f", float64(time.Since(t.start).Microseconds())/1000))
}
func (t *timingWriter) release() {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	t.ResponseWriter.WriteHeader(t.status)
	t.ResponseWriter.Write(t.body)
}

// page is the data every template gets.
type page struct {
	Tr      translator
	Title   string
	Company string
	// Brand is the organization's logo, colours, helpdesk, footer links and user-name hint.
	Brand       *branding.Brand
	Kind        string
	CSRF        string
	Error       string
	Intro       string
	Name        string
	View        reset.View
	Step        int
	PendingHint string
	Policy      password.Policy
	Body        string
	// Questions asked at reset (text in the page's language), in order.
	Questions []questionItem
	// HasQuestions: one of the options is security questions.
	HasQuestions bool
	// The registration portal's pages.
	Reg        registerPage
	ErrorField string // the id of the input the error is about
	Notice     string
	// ChangeOn: /change is served (the pages link to it); ChangeLink: the done page does.
	ChangeOn, ChangeLink bool
	// RegisterOn: /register is served (the footer links to it).
	RegisterOn bool
	// Langs is the language switcher; UserHint the example user name.
	Langs    []htmlpage.LangLink
	UserHint string
}

type questionItem struct {
	Key, Text string
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request, kind, titleKey string) *page {
	tr := s.translator(w, r)
	return &page{Tr: tr, Title: tr.T(titleKey), Company: s.cfg.CompanyName, Brand: s.cfg.Brand,
		Kind: kind, CSRF: s.csrfToken(w, r), ChangeOn: s.cfg.Change != nil, RegisterOn: s.cfg.Registration != nil,
		Langs: s.languages(r, kind, tr), UserHint: s.cfg.UserNameHint}
}

// render writes page name; a template that fails answers 500 with the catalog's
// error.internal in the page's language, as plain text (the error page may be the one failing).
func (s *Server) render(w http.ResponseWriter, name string, status int, p *page) {
	htmlpage.RenderOr(w, s.pages[name], status, p, s.log, p.Tr.T("error.internal"))
}

// fail shows a user error on the page it belongs to, or an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, kind string, err error) {
	ue := flow.AsError(err)
	if ue == nil {
		s.log.Error("request failed", "path", r.URL.Path, "err", err)
		p := s.newPage(w, r, kind, "error.title")
		p.Error = p.Tr.T("error.internal")
		s.render(w, "error", http.StatusInternalServerError, p)
		return
	}
	p := s.newPage(w, r, kind, "error.title")
	p.Error = p.Tr.T(ue.Key, ue.Args...)
	status := http.StatusOK
	switch ue.Kind {
	case flow.KindSession, flow.KindForbidden:
		status = http.StatusForbidden
	case flow.KindThrottled:
		status = http.StatusTooManyRequests
	}
	s.render(w, "error", status, p)
}

func (s *Server) client(r *http.Request) flow.Client {
	c := s.cfg.ClientIP.Client(r)
	return flow.Client{IP: c.String(), ThrottleKey: c.ThrottleKey(s.cfg.ClientIP.IPv6Prefix), UserAgent: r.UserAgent(),
		Lang: s.translator(nil, r).Lang()}
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	s.session().Set(w, token, s.cfg.SessionLifetime)
}

func (s *Server) clearSession(w http.ResponseWriter) { s.session().Clear(w) }

func (s *Server) session() htmlpage.Cookie {
	return htmlpage.Cookie{Name: sessionCookie, Secure: s.secure}
}

func sessionToken(r *http.Request) string { return htmlpage.Cookie{Name: sessionCookie}.Value(r) }

// csrfToken returns the form token for this browser, setting the CSRF cookie when missing
// (package csrf: the cookie holds a random nonce, the form carries HMAC(key, nonce)).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	return s.csrf().Token(w, r)
}

// checkCSRF verifies a POST (package csrf): Sec-Fetch-Site same-origin (or none), an Origin equal
// to the public URL's (null proves nothing either way), the form token of the cookie.
func (s *Server) checkCSRF(r *http.Request) bool { return s.csrf().Check(r) }

func (s *Server) csrf() csrf.Guard {
	return csrf.Guard{Key: s.cfg.CSRFKey, Cookie: csrfCookie, Secure: s.secure, Origin: s.origin}
}

// post parses and CSRF-checks a form; it answers and returns false when the request is refused.
func (s *Server) post(w http.ResponseWriter, r *http.Request, kind string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		// Too large or not a form: the error page, in the request's language. The error's text
		// may quote the body (a password): not logged.
		var tooLarge *http.MaxBytesError
		s.log.Info("unreadable form", "path", r.URL.Path, "tooLarge", errors.As(err, &tooLarge))
		p := s.newPage(w, r, kind, "error.title")
		p.Error = p.Tr.T("error.badRequest")
		s.render(w, "error", http.StatusBadRequest, p)
		return false
	}
	if !s.checkCSRF(r) {
		s.fail(w, r, kind, flow.Errorf(flow.KindForbidden, "csrf.invalid"))
		return false
	}
	return true
}

func (s *Server) startPage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.newPage(w, r, kind, kind+".title")
		p.Intro = p.Tr.T(kind + ".intro")
		s.render(w, "start", http.StatusOK, p)
	}
}

func (s *Server) start(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.post(w, r, kind) {
			return
		}
		name := r.PostFormValue("username")
		token, _, err := s.flows.Start(r.Context(), kind, name, s.client(r))
		if err != nil {
			if ue := flow.AsError(err); ue != nil && ue.Kind == flow.KindInput {
				p := s.newPage(w, r, kind, kind+".title")
				p.Intro, p.Error = p.Tr.T(kind+".intro"), p.Tr.T(ue.Key)
				s.render(w, "start", http.StatusOK, p)
				return
			}
			s.fail(w, r, kind, err)
			return
		}
		s.setSession(w, token)
		http.Redirect(w, r, "/"+kind+"/verify", http.StatusSeeOther)
	}
}

func (s *Server) verifyPage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := s.flows.View(r.Context(), sessionToken(r))
		if err != nil {
			s.fail(w, r, kind, err)
			return
		}
		if v.Kind != kind {
			s.fail(w, r, kind, reset.ErrNoSession)
			return
		}
		if v.Ready {
			http.Redirect(w, r, "/"+kind+"/complete", http.StatusSeeOther)
			return
		}
		if r.URL.Query().Get("choose") == "1" {
			v.Pending = ""
		}
		s.renderVerify(w, r, kind, v, "")
	}
}

func (s *Server) renderVerify(w http.ResponseWriter, r *http.Request, kind string, v reset.View, errKey string, args ...any) {
	p := s.newPage(w, r, kind, "verify.title")
	p.View = v
	p.Step = len(v.Verified) + 1
	for _, o := range v.Options {
		if o.ID == v.Pending {
			p.PendingHint = o.Hint
		}
	}
	if v.Pending != "" && p.PendingHint == "" {
		p.View.Pending = ""
	}
	for _, o := range v.Options {
		p.HasQuestions = p.HasQuestions || o.Method == flow.MethodQuestions
	}
	if v.Pending == flow.MethodQuestions {
		cat := s.flows.Questions()
		for _, k := range v.Questions {
			p.Questions = append(p.Questions, questionItem{Key: k, Text: questionText(p.Tr, cat, k)})
		}
		p.PendingHint = "questions"
	}
	if errKey != "" {
		p.Error = p.Tr.T(errKey, args...)
	}
	s.render(w, "verify", http.StatusOK, p)
}

func (s *Server) send(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.post(w, r, kind) {
			return
		}
		token := sessionToken(r)
		_, err := s.flows.SendCode(r.Context(), token, r.PostFormValue("option"), s.client(r))
		if s.stepFailed(w, r, kind, token, err) {
			return
		}
		http.Redirect(w, r, "/"+kind+"/verify", http.StatusSeeOther)
	}
}

func (s *Server) code(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.post(w, r, kind) {
			return
		}
		token := sessionToken(r)
		v, err := s.flows.VerifyCode(r.Context(), token, r.PostFormValue("option"), r.PostFormValue("code"), s.client(r))
		if s.stepFailed(w, r, kind, token, err) {
			return
		}
		s.nextStep(w, r, kind, v)
	}
}

// answers checks the answers to the security questions asked. A wrong set shows the error and
// the questions drawn anew.
func (s *Server) answers(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.post(w, r, kind) {
			return
		}
		token := sessionToken(r)
		v, err := s.flows.VerifyAnswers(r.Context(), token, r.PostForm["answer"], s.client(r))
		if s.stepFailed(w, r, kind, token, err) {
			return
		}
		s.nextStep(w, r, kind, v)
	}
}

// stepFailed answers a proof step's error, if any, and reports whether it did: a user error the
// step's page explains (a failed or impossible proof) shows the methods page again with it;
// others go to fail.
func (s *Server) stepFailed(w http.ResponseWriter, r *http.Request, kind, token string, err error) bool {
	if err == nil {
		return false
	}
	if ue := flow.AsError(err); ue != nil && ue.Kind == flow.KindProof {
		v, verr := s.flows.View(r.Context(), token)
		if verr != nil {
			s.fail(w, r, kind, verr)
			return true
		}
		s.renderVerify(w, r, kind, v, ue.Key, ue.Args...)
		return true
	}
	s.fail(w, r, kind, err)
	return true
}

// nextStep sends the browser on after a successful proof: to the password (or unlock) form
// when the proofs are enough, else back to the methods.
func (s *Server) nextStep(w http.ResponseWriter, r *http.Request, kind string, v reset.View) {
	if v.Ready {
		http.Redirect(w, r, "/"+kind+"/complete", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/"+kind+"/verify", http.StatusSeeOther)
}

func (s *Server) completePage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := s.flows.View(r.Context(), sessionToken(r))
		if err != nil {
			s.fail(w, r, kind, err)
			return
		}
		if !v.Ready || v.Kind != kind {
			http.Redirect(w, r, "/"+kind+"/verify", http.StatusSeeOther)
			return
		}
		s.renderComplete(w, r, kind, "")
	}
}

func (s *Server) renderComplete(w http.ResponseWriter, r *http.Request, kind, errText string) {
	title := "password.title"
	if kind == reset.KindUnlock {
		title = "unlock.title"
	}
	p := s.newPage(w, r, kind, title)
	p.Policy = s.flows.PasswordPolicy()
	p.Error = errText
	// The user name for password managers (autocomplete="username"): they store the new
	// password for this account.
	if v, err := s.flows.View(r.Context(), sessionToken(r)); err == nil && v.Ready {
		p.Name = v.UserName
	}
	s.render(w, "password", http.StatusOK, p)
}

func (s *Server) complete(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.post(w, r, kind) {
			return
		}
		pw := r.PostFormValue("password")
		if kind == reset.KindReset && pw != r.PostFormValue("confirm") {
			s.renderComplete(w, r, kind, s.translator(w, r).T("password.mismatch"))
			return
		}
		err := s.flows.Complete(r.Context(), sessionToken(r), pw, s.client(r))
		if ue := flow.AsError(err); ue != nil && (ue.Kind == flow.KindPassword || ue.Kind == flow.KindDirectory) {
			s.renderComplete(w, r, kind, s.translator(w, r).T(ue.Key, ue.Args...))
			return
		}
		if ue := flow.AsError(err); ue != nil && ue.Kind == flow.KindNotice {
			// The flow ended with nothing to do (an account that was not locked).
			s.clearSession(w)
			http.Redirect(w, r, "/"+kind+"/done?notice="+url.QueryEscape(ue.Key), http.StatusSeeOther)
			return
		}
		if err != nil {
			s.fail(w, r, kind, err)
			return
		}
		s.clearSession(w)
		http.Redirect(w, r, "/"+kind+"/done", http.StatusSeeOther)
	}
}

func (s *Server) donePage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.newPage(w, r, kind, "done."+kind+".title")
		p.Body = p.Tr.T("done." + kind + ".body")
		// Only the notices the flows end with; any other value is ignored.
		if n := r.URL.Query().Get("notice"); n == "unlock.notLocked" && kind == reset.KindUnlock {
			p.Title, p.Body = p.Tr.T("done.unlock.notLockedTitle"), p.Tr.T(n)
		}
		if kind == reset.KindReset && s.cfg.MustChangeAfterReset && s.cfg.Change != nil {
			p.Body, p.ChangeLink = p.Tr.T("done.reset.mustChange"), true
		}
		s.render(w, "done", http.StatusOK, p)
	}
}
