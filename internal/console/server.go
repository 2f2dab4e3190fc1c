package console

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
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/clientip"
	"github.com/sspr/sspr/internal/csrf"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/htmlpage"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/insight"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/syncer"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the console is mounted.
const Prefix = "/admin"

// Store is what the pages read, and the writes of the administrators' actions that package
// admin does not make.
type Store interface {
	UserByUPN(ctx context.Context, upn string) (store.User, error)
	ListUsers(ctx context.Context, f store.UserFilter, fn func(store.User) error) error
	CountUsers(ctx context.Context, f store.UserFilter) (int, error)
	ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error
	AppendAudit(ctx context.Context, e *store.AuditEvent) error
	ListRuns(ctx context.Context, limit int) ([]store.SyncRun, error)
	OutboxBacklog(ctx context.Context) (int, time.Time, error)
	LockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error)
	Locked(ctx context.Context, prefix string, now time.Time, fn func(key string, until time.Time) error) error
	ClearThrottles(ctx context.Context, keys ...string) error
	Update(ctx context.Context, fn func(store.UsersTx) error) error
	insight.Store
	PutSnapshot(ctx context.Context, s store.Snapshot) (bool, error)
}

// UserChanger applies a change to a user's fields with the CLI's and the API's rules (admin.Service).
type UserChanger interface {
	Update(ctx context.Context, actor admin.Actor, upn string, ifVersion int64, c admin.Change) (admin.Result, error)
}

// Syncer runs one sync (syncer.Engine, or one built per run).
type Syncer interface {
	Run(ctx context.Context, opts syncer.Options) (syncer.Report, error)
}

// Config is the console's settings.
type Config struct {
	Policy Policy
	// Reset is the reset policy the readiness figures apply (flow.Methods).
	Reset flow.Policy
	// PublicURL: forms must come from its origin; an https URL makes cookies Secure.
	PublicURL string
	TLS       bool
	ClientIP  clientip.Config
	// CSRFKey keys the forms' tokens (at least 32 bytes).
	CSRFKey     []byte
	CompanyName string
	// ResponseFloor pads the sign-in's answers, so that a wrong password, an unknown name and a
	// user in no console group take the same time.
	ResponseFloor time.Duration
	// Context bounds the sync runs started here, which outlive their request (default
	// context.Background()).
	Context context.Context
	// Explain gives the account of a user's reset (report.Explainer.Explain); nil: none shown.
	Explain func(ctx context.Context, upn string) (report.Explanation, error)
	// Texts is the catalog the pages are written from, in the language each request picks
	// (default i18n.Default()).
	Texts *i18n.Bundle
	Now   func() time.Time
}

// Server serves the console under Prefix. Mount its Handler on the site's mux, whose
// security headers (CSP, frame, referrer, HSTS) then apply to it.
type Server struct {
	cfg     Config
	auth    *Auth
	st      Store
	admin   UserChanger
	dir     Directory
	syncer  Syncer
	log     *slog.Logger
	pages   map[string]*template.Template
	secure  bool
	csrf    csrf.Guard
	session htmlpage.Cookie
	mux     *http.ServeMux

	syncMu  sync.Mutex
	syncing bool
	syncWG  sync.WaitGroup

	asMu sync.Mutex
	as   *report.Assessor // nil: build at the next page (assessor)
	asAt time.Time
}

const (
	sessionCookie = "sspr_console"
	csrfCookie    = "sspr_console_csrf"
)

// New builds the console. sy may be nil (no directory to sync: the sync actions are refused).
func New(cfg Config, auth *Auth, st Store, adm UserChanger, dir Directory, sy Syncer, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("console: publicURL %q must be an absolute http(s) URL", cfg.PublicURL)
	}
	if len(cfg.CSRFKey) < 32 {
		return nil, errors.New("console: CSRF key too short")
	}
	if cfg.CompanyName == "" {
		cfg.CompanyName = "sspr"
	}
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Texts == nil {
		cfg.Texts = i18n.Default()
	}
	if auth != nil {
		auth.texts = cfg.Texts
	}
	cfg.Policy = cfg.Policy.WithDefaults()
	cfg.Reset = cfg.Reset.WithDefaults()
	s := &Server{cfg: cfg, auth: auth, st: st, admin: adm, dir: dir, syncer: sy, log: log, pages: map[string]*template.Template{},
		secure: cfg.TLS || u.Scheme == "https", mux: http.NewServeMux()}
	s.csrf = csrf.Guard{Key: cfg.CSRFKey, Cookie: csrfCookie, Path: Prefix, Secure: s.secure, Origin: u.Scheme + "://" + u.Host}
	s.session = htmlpage.Cookie{Name: sessionCookie, Path: Prefix, Secure: s.secure}
	for _, p := range []string{"signin", "code", "dashboard", "users", "user", "audit", "sync", "message"} {
		t, err := template.Must(template.New("layout").Funcs(funcs).Parse(htmlpage.LangSwitch)).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", p, err)
		}
		s.pages[p] = t
	}
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /admin/static/console.css", http.StripPrefix("/admin/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /admin", s.home)
	s.mux.HandleFunc("GET /admin/{$}", s.home)
	s.mux.HandleFunc("GET /admin/signin", s.signInPage)
	s.mux.HandleFunc("POST /admin/signin", s.padded(s.signIn))
	s.mux.HandleFunc("GET /admin/signin/code", s.codePage)
	s.mux.HandleFunc("POST /admin/signin/code", s.padded(s.verifyCode))
	s.mux.HandleFunc("POST /admin/signout", s.signOut)
	s.mux.HandleFunc("GET /admin/dashboard", s.signedIn(s.dashboard))
	s.mux.HandleFunc("GET /admin/users", s.signedIn(s.users))
	s.mux.HandleFunc("GET /admin/users/{upn}", s.signedIn(s.user))
	s.mux.HandleFunc("POST /admin/users/{upn}/fields", s.acting(s.setFields))
	s.mux.HandleFunc("POST /admin/users/{upn}/unlock", s.acting(s.unlock))
	s.mux.HandleFunc("POST /admin/users/{upn}/reregister", s.acting(s.reregister))
	s.mux.HandleFunc("GET /admin/audit", s.signedIn(s.audit))
	s.mux.HandleFunc("GET /admin/audit.csv", s.signedIn(s.auditCSV))
	s.mux.HandleFunc("GET /admin/audit.json", s.signedIn(s.auditJSON))
	s.mux.HandleFunc("GET /admin/sync", s.signedIn(s.syncPage))
	s.mux.HandleFunc("POST /admin/sync", s.acting(s.startSync))
	s.mux.HandleFunc("POST /admin/sync/approve", s.acting(s.approveSync))
	return s, nil
}

// ServeHTTP serves every path under Prefix; an unknown path (404) and a wrong method (405, with
// Allow) get the console's page in the request's language.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		other := r.Clone(r.Context())
		other.Method = m
		if _, pattern := s.mux.Handler(other); pattern != "" {
			allow = append(allow, m)
		}
	}
	a := s.signedInAdmin(r)
	if len(allow) > 0 {
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.message(w, r, a, http.StatusMethodNotAllowed, "console.methodNotAllowed.title", "console.methodNotAllowed.body")
		return
	}
	s.message(w, r, a, http.StatusNotFound, "console.notFound.title", "console.notFound.body")
}

// signedInAdmin is the request's administrator, nil when not signed in (the menu of the
// error pages).
func (s *Server) signedInAdmin(r *http.Request) *Admin {
	a, err := s.auth.Load(r.Context(), s.session.Value(r), s.client(r))
	if err != nil {
		return nil
	}
	return &a
}

// Wait blocks until the sync runs started here have ended (shutdown, tests).
func (s *Server) Wait() { s.syncWG.Wait() }

// page is what every template gets.
type page struct {
	Tr      *i18n.Translator // the page's language: every text comes from the catalog
	Langs   []htmlpage.LangLink
	Title   string
	Company string
	Nav     string // the current section: dashboard, users, audit, sync
	Admin   *Admin
	CSRF    string
	Error   string
	Notice  string
	// Detail are the English notes of package admin that go with Notice (a field change's).
	Detail []string
	Data   any
}

// newPage starts a page titled by the catalog's titleKey ("": the caller sets Title) in the
// request's language (htmlpage.Language); a GET shows the status line the action before it left
// (takeFlash).
func (s *Server) newPage(w http.ResponseWriter, r *http.Request, titleKey, nav string, a *Admin) *page {
	tr := htmlpage.Language(s.cfg.Texts, w, r, s.secure)
	p := &page{Tr: tr, Company: s.cfg.CompanyName, Nav: nav, Admin: a, CSRF: s.csrfToken(w, r)}
	if titleKey != "" {
		p.Title = tr.T(titleKey)
	}
	p.Langs = htmlpage.Languages(s.cfg.Texts, s.pagePath(r), tr)
	if r.Method == http.MethodGet {
		f := s.takeFlash(w, r)
		var args []any
		if len(f.List) > 0 {
			args = []any{p.Words(f.ListPrefix, f.List)}
		}
		if f.Notice != "" {
			p.Notice = tr.T(f.Notice, args...)
		}
		if f.Error != "" {
			p.Error = tr.T(f.Error, args...)
		}
		p.Detail = f.Detail
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, name string, status int, p *page) {
	htmlpage.Render(w, s.pages[name], status, p, s.log)
}

// pagePath is where the switcher links: this page, or after a POST the page its form was on
// (the path less its action: /admin/users/{upn}/unlock → /admin/users/{upn}); for an unknown
// path, the console's home.
func (s *Server) pagePath(r *http.Request) string {
	get := r.Clone(r.Context())
	get.Method = http.MethodGet
	for p := r.URL.Path; strings.HasPrefix(p, Prefix+"/"); p = path.Dir(p) {
		get.URL.Path = p
		if _, pattern := s.mux.Handler(get); pattern != "" {
			return p
		}
	}
	return Prefix
}

// message shows a page with one message (errors, refusals): the catalog's titleKey and
// textKey with args.
func (s *Server) message(w http.ResponseWriter, r *http.Request, a *Admin, status int, titleKey, textKey string, args ...any) {
	p := s.newPage(w, r, titleKey, "", a)
	p.Error = p.Tr.T(textKey, args...)
	s.render(w, "message", status, p)
}

// fail answers an error: user errors with their message and status, others as 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, a *Admin, err error) {
	ue := flow.AsError(err)
	if ue == nil {
		s.log.Error("console: request failed", "path", r.URL.Path, "err", err)
		s.message(w, r, a, http.StatusInternalServerError, "console.error.title", "console.error.internal")
		return
	}
	status := http.StatusOK
	switch ue.Kind {
	case flow.KindSession, flow.KindForbidden:
		status = http.StatusForbidden
	case flow.KindThrottled:
		status = http.StatusTooManyRequests
	}
	s.message(w, r, a, status, "console.error.notPossible", errorKey(ue), ue.Args...)
}

// errorKeys are the catalog's texts of the user errors the console shows (flow.Error.Key);
// their arguments are the error's.
var errorKeys = map[string]string{
	"console.signin.failed":      "console.error.signinFailed",
	"console.signin.unavailable": "console.error.unavailable",
	"console.signin.noAddress":   "console.error.noAddress",
	"console.session.expired":    "console.error.sessionExpired",
	"throttle.locked":            "console.error.locked",
	"throttle.tooMany":           "console.error.tooMany",
	"verify.wrong":               "console.error.wrongCode",
	"verify.exhausted":           "console.error.codeExhausted",
	"verify.noCode":              "console.error.noCode",
	"csrf.invalid":               "console.error.csrf",
	"console.forbidden":          "console.error.forbidden",
	"session.conflict":           "console.error.sessionConflict",
}

// errorKey is the catalog key of a user error's text.
func errorKey(e *flow.Error) string {
	if k, ok := errorKeys[e.Key]; ok {
		if e.Key == "throttle.locked" && (len(e.Args) == 0 || !isTime(e.Args[0])) {
			return "console.error.lockedLater"
		}
		return k
	}
	return "console.error.failed"
}

func isTime(a any) bool { _, ok := a.(time.Time); return ok }

// client is who is asking, with the language of the request (the sign-in code's message is in it).
func (s *Server) client(r *http.Request) flow.Client {
	c := htmlpage.Client(s.cfg.ClientIP, r)
	c.Lang = htmlpage.Language(s.cfg.Texts, nil, r, s.secure).Lang()
	return c
}

func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string { return s.csrf.Token(w, r) }

// post parses and CSRF-checks a form; it answers and returns false when the request is refused.
func (s *Server) post(w http.ResponseWriter, r *http.Request, a *Admin) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.message(w, r, a, http.StatusBadRequest, "console.error.notPossible", "console.error.badForm")
		return false
	}
	if !s.csrf.Check(r) {
		s.fail(w, r, a, flow.Errorf(flow.KindForbidden, "csrf.invalid"))
		return false
	}
	return true
}

// padded makes a handler take at least ResponseFloor.
func (s *Server) padded(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h(w, r)
		if d := s.cfg.ResponseFloor - time.Since(start); d > 0 {
			time.Sleep(d)
		}
	}
}

// signedIn serves h to a signed-in administrator; others go to the sign-in page.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, *Admin)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.auth.Load(r.Context(), s.session.Value(r), s.client(r))
		if err != nil {
			if flow.IsKind(err, flow.KindSession) {
				htmlpage.Language(s.cfg.Texts, w, r, s.secure) // a ?lang= sticks across the redirect
				http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, err)
			return
		}
		h(w, r, &a)
	}
}

// acting serves a POST of an administrators' action: signed in, CSRF-checked, and the
// administrator role (a reader gets 403, audited).
func (s *Server) acting(h func(http.ResponseWriter, *http.Request, *Admin)) http.HandlerFunc {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, a *Admin) {
		if !s.post(w, r, a) {
			return
		}
		if !a.CanAct() {
			s.record(r.Context(), a, EventForbidden, "", "", map[string]string{"path": r.URL.Path})
			s.fail(w, r, a, flow.Errorf(flow.KindForbidden, "console.forbidden"))
			return
		}
		h(w, r, a)
	})
}

// Event types of console actions (besides admin.EventUserUpdated for field changes).
const (
	EventForbidden     = "console.forbidden"
	EventUserViewed    = "console.user.viewed"
	EventUserUnlocked  = "console.user.unlocked"
	EventReregister    = "console.user.reregistrationRequired"
	EventSyncRequested = "console.sync.requested"
	EventSyncApproved  = "console.sync.approved"
	EventAuditExported = "console.audit.exported"
	EventUsersSearched = "console.users.searched"
	EventAuditSearched = "console.audit.searched"
)

// record appends an audit event of an administrator's action.
func (s *Server) record(ctx context.Context, a *Admin, typ, upn, userID string, d map[string]string) {
	e := &store.AuditEvent{Time: s.cfg.Now().UTC(), Type: typ, Actor: a.Actor(), UserID: userID, UserPrincipalName: upn,
		ClientIP: a.Client.IP, UserAgent: truncate(a.Client.UserAgent, 256), Details: d}
	if err := s.st.AppendAudit(ctx, e); err != nil {
		s.log.Error("console: audit", "type", typ, "err", err)
	}
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	htmlpage.Language(s.cfg.Texts, w, r, s.secure) // a ?lang= sticks across the redirect
	if _, err := s.auth.Load(r.Context(), s.session.Value(r), s.client(r)); err == nil {
		http.Redirect(w, r, "/admin/dashboard", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
}

type signInData struct {
	Name string
	Hint string
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, "signin", http.StatusOK, s.newPage(w, r, "console.signin.title", "", nil))
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if !s.post(w, r, nil) {
		return
	}
	name := r.PostFormValue("username")
	token, _, err := s.auth.SignIn(r.Context(), name, r.PostFormValue("password"), s.client(r))
	if err != nil {
		ue := flow.AsError(err)
		if ue == nil {
			s.fail(w, r, nil, err)
			return
		}
		status := http.StatusOK
		if ue.Kind == flow.KindThrottled {
			status = http.StatusTooManyRequests
		}
		p := s.newPage(w, r, "console.signin.title", "", nil)
		p.Error, p.Data = p.Tr.T(errorKey(ue), ue.Args...), signInData{Name: name}
		s.render(w, "signin", status, p)
		return
	}
	s.session.Set(w, token, s.cfg.Reset.CodeLifetime)
	http.Redirect(w, r, "/admin/signin/code", http.StatusSeeOther)
}

func (s *Server) codePage(w http.ResponseWriter, r *http.Request) {
	hint, err := s.auth.Pending(r.Context(), s.session.Value(r))
	if err != nil {
		http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
		return
	}
	p := s.newPage(w, r, "console.code.title", "", nil)
	p.Data = signInData{Hint: hint}
	s.render(w, "code", http.StatusOK, p)
}

func (s *Server) verifyCode(w http.ResponseWriter, r *http.Request) {
	if !s.post(w, r, nil) {
		return
	}
	token, err := s.auth.VerifyCode(r.Context(), s.session.Value(r), r.PostFormValue("code"), s.client(r))
	if err != nil {
		ue := flow.AsError(err)
		if ue != nil && ue.Kind == flow.KindProof && ue.Key == "verify.wrong" {
			hint, _ := s.auth.Pending(r.Context(), s.session.Value(r))
			p := s.newPage(w, r, "console.code.title", "", nil)
			p.Error, p.Data = p.Tr.T(errorKey(ue), ue.Args...), signInData{Hint: hint}
			s.render(w, "code", http.StatusOK, p)
			return
		}
		s.session.Clear(w)
		s.fail(w, r, nil, err)
		return
	}
	s.session.Set(w, token, s.cfg.Policy.SessionLifetime)
	http.Redirect(w, r, "/admin/dashboard", http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if !s.post(w, r, nil) {
		return
	}
	s.auth.SignOut(r.Context(), s.session.Value(r), s.client(r))
	s.session.Clear(w)
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
}
