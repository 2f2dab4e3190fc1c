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
	"sync"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/clientip"
	"github.com/sspr/sspr/internal/csrf"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/htmlpage"
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
	Now     func() time.Time
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
	cfg.Policy = cfg.Policy.WithDefaults()
	cfg.Reset = cfg.Reset.WithDefaults()
	s := &Server{cfg: cfg, auth: auth, st: st, admin: adm, dir: dir, syncer: sy, log: log, pages: map[string]*template.Template{},
		secure: cfg.TLS || u.Scheme == "https", mux: http.NewServeMux()}
	s.csrf = csrf.Guard{Key: cfg.CSRFKey, Cookie: csrfCookie, Path: Prefix, Secure: s.secure, Origin: u.Scheme + "://" + u.Host}
	s.session = htmlpage.Cookie{Name: sessionCookie, Path: Prefix, Secure: s.secure}
	for _, p := range []string{"signin", "code", "dashboard", "users", "user", "audit", "sync", "message"} {
		t, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
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

// ServeHTTP serves every path under Prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Wait blocks until the sync runs started here have ended (shutdown, tests).
func (s *Server) Wait() { s.syncWG.Wait() }

// page is what every template gets.
type page struct {
	Title   string
	Company string
	Nav     string // the current section: dashboard, users, audit, sync
	Admin   *Admin
	CSRF    string
	Error   string
	Notice  string
	Data    any
}

// newPage starts a page; a GET shows the status line the action before it left (takeFlash).
func (s *Server) newPage(w http.ResponseWriter, r *http.Request, title, nav string, a *Admin) *page {
	p := &page{Title: title, Company: s.cfg.CompanyName, Nav: nav, Admin: a, CSRF: s.csrfToken(w, r)}
	if r.Method == http.MethodGet {
		f := s.takeFlash(w, r)
		p.Notice, p.Error = f.Notice, f.Error
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, name string, status int, p *page) {
	htmlpage.Render(w, s.pages[name], status, p, s.log)
}

// message shows a page with one message (errors, refusals).
func (s *Server) message(w http.ResponseWriter, r *http.Request, a *Admin, status int, title, text string) {
	p := s.newPage(w, r, title, "", a)
	p.Error = text
	s.render(w, "message", status, p)
}

// fail answers an error: user errors with their message and status, others as 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, a *Admin, err error) {
	ue := flow.AsError(err)
	if ue == nil {
		s.log.Error("console: request failed", "path", r.URL.Path, "err", err)
		s.message(w, r, a, http.StatusInternalServerError, "Something went wrong", "The request could not be completed. Try again; the details are in the server's log.")
		return
	}
	status := http.StatusOK
	switch ue.Kind {
	case flow.KindSession, flow.KindForbidden:
		status = http.StatusForbidden
	case flow.KindThrottled:
		status = http.StatusTooManyRequests
	}
	s.message(w, r, a, status, "Not possible", userText(ue))
}

// userText is the console's text of a user error.
func userText(e *flow.Error) string {
	switch e.Key {
	case "console.signin.failed":
		return "The user name or password is not right, or this account may not use the console."
	case "console.signin.unavailable":
		return "The directory cannot be reached. Try again in a few minutes."
	case "console.signin.noAddress":
		return "Your account has no email address or mobile phone for a sign-in code. Register one at /register first."
	case "console.session.expired":
		return "You are not signed in, or your session ended. Sign in again."
	case "throttle.locked":
		if len(e.Args) > 0 {
			if t, ok := e.Args[0].(time.Time); ok {
				return "Too many attempts. Sign-in is locked until " + t.UTC().Format("2006-01-02 15:04 MST") + "."
			}
		}
		return "Too many attempts. Try again later."
	case "throttle.tooMany":
		return "Too many attempts. Wait a while and try again."
	case "verify.wrong":
		return fmt.Sprintf("That code is not right. Tries left: %v.", e.Args...)
	case "verify.exhausted":
		return "That code can no longer be used. Sign in again for a new one."
	case "verify.noCode":
		return "No code is waiting. Sign in again."
	case "csrf.invalid":
		return "The form expired or did not come from this site. Reload the page and try again."
	case "console.forbidden":
		return "Only members of the console's administrators groups may do this. Your role is reader."
	case "session.conflict":
		return "Two requests changed your session at once. Reload the page."
	}
	return "The request could not be completed."
}

func (s *Server) client(r *http.Request) flow.Client { return htmlpage.Client(s.cfg.ClientIP, r) }

func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string { return s.csrf.Token(w, r) }

// post parses and CSRF-checks a form; it answers and returns false when the request is refused.
func (s *Server) post(w http.ResponseWriter, r *http.Request, a *Admin) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
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
	s.render(w, "signin", http.StatusOK, s.newPage(w, r, "Sign in to the console", "", nil))
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
		p := s.newPage(w, r, "Sign in to the console", "", nil)
		p.Error, p.Data = userText(ue), signInData{Name: name}
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
	p := s.newPage(w, r, "Enter your sign-in code", "", nil)
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
			p := s.newPage(w, r, "Enter your sign-in code", "", nil)
			p.Error, p.Data = userText(ue), signInData{Hint: hint}
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
