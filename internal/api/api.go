package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/clientip"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/syncer"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// Store is what the API reads directly; every change goes through Admin.
type Store interface {
	UserByUPN(ctx context.Context, upn string) (store.User, error)
	ListUsers(ctx context.Context, f store.UserFilter, fn func(store.User) error) error
	ListRuns(ctx context.Context, limit int) ([]store.SyncRun, error)
	TokenByHash(ctx context.Context, hash []byte) (store.Token, error)
	TouchToken(ctx context.Context, id string, at time.Time) error
	AppendAudit(ctx context.Context, e *store.AuditEvent) error
	// Throttle state and contact changes, for explain.
	ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error
	CountEvents(ctx context.Context, key string, since time.Time) (int, error)
	LockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error)
	// Daily counts and the outbox, for the activity and deliveries reports.
	ListDailyCounts(ctx context.Context, since, until time.Time) ([]store.DailyCount, error)
	CountedDays(ctx context.Context, since, until time.Time) ([]time.Time, error)
	DeliveryStats(ctx context.Context, since, until time.Time) ([]store.DeliveryStat, error)
}

// Admin applies administrative changes (admin.Service).
type Admin interface {
	Update(ctx context.Context, actor admin.Actor, upn string, ifVersion int64, c admin.Change) (admin.Result, error)
	Create(ctx context.Context, actor admin.Actor, upn string, c admin.Change) (admin.Result, error)
	Delete(ctx context.Context, actor admin.Actor, upn string, ifVersion int64) error
}

// Syncer runs one sync (syncer.Engine).
type Syncer interface {
	Run(ctx context.Context, opts syncer.Options) (syncer.Report, error)
}

// Config tunes the API. Every member is optional.
type Config struct {
	// Context bounds sync runs started by POST /api/v1/sync/runs, which outlive their request:
	// the server's lifetime. Default: context.Background().
	Context context.Context
	// SyncWait is how long POST /api/v1/sync/runs waits for the run to finish before it answers
	// 202 Accepted (the run goes on). Default 25 s.
	SyncWait time.Duration
	// ClientIP tells the client's address for the audit log (the web server's trusted-proxy
	// rule). Default: the connection's address.
	ClientIP func(*http.Request) string
	Log      *slog.Logger
	Now      func() time.Time
	// Policy is the reset policy the readiness report and the ?readiness= filter apply
	// (flow.Methods, the rule of the flow). Default: flow.DefaultPolicy().
	Policy flow.Policy
	// Explain answers GET /api/v1/users/{upn}/explain (report.Explainer.Explain); nil: one
	// over the store and Policy, without directory checks of admin groups.
	Explain func(ctx context.Context, upn string) (report.Explanation, error)
}

// touchEvery is how often a token's last-used time is written: at most once a minute per token,
// so that reads do not each cost a write.
const touchEvery = time.Minute

// API serves /api/v1/.
type API struct {
	st     Store
	admin  Admin
	syncer Syncer
	cfg    Config
	mux    *http.ServeMux
	routes []Route

	syncMu  sync.Mutex
	syncing chan struct{} // closed when the running sync ends; nil when none runs
	syncWG  sync.WaitGroup
}

// Route is one operation of the API.
type Route struct {
	Method  string
	Pattern string // a net/http pattern path, as the OpenAPI document writes it
	Scope   string // "" for none
}

// New builds the API. syncer may be nil: POST /api/v1/sync/runs then answers 503.
func New(st Store, adm Admin, sy Syncer, cfg Config) *API {
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if cfg.SyncWait == 0 {
		cfg.SyncWait = 25 * time.Second
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = remoteIP
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Policy = cfg.Policy.WithDefaults()
	if cfg.Explain == nil && st != nil {
		cfg.Explain = report.Explainer{Store: st, Policy: cfg.Policy, Now: cfg.Now}.Explain
	}
	a := &API{st: st, admin: adm, syncer: sy, cfg: cfg, mux: http.NewServeMux()}
	a.handle("GET", "/api/v1/openapi.json", "", a.openAPI)
	a.handle("GET", "/api/v1/users", ScopeUsersRead, a.listUsers)
	a.handle("POST", "/api/v1/users", ScopeUsersWrite, a.createUser)
	a.handle("GET", "/api/v1/users/{upn}", ScopeUsersRead, a.getUser)
	a.handle("GET", "/api/v1/users/{upn}/explain", ScopeUsersRead, a.explain)
	a.handle("PATCH", "/api/v1/users/{upn}", ScopeUsersWrite, a.patchUser)
	a.handle("DELETE", "/api/v1/users/{upn}", ScopeUsersWrite, a.deleteUser)
	a.handle("GET", "/api/v1/reports/readiness", ScopeReports, a.readiness)
	a.handle("GET", "/api/v1/reports/expiry", ScopeReports, a.expiry)
	a.handle("GET", "/api/v1/reports/coverage", ScopeReports, a.coverage)
	a.handle("GET", "/api/v1/reports/activity", ScopeReports, a.activity)
	a.handle("GET", "/api/v1/reports/deliveries", ScopeReports, a.deliveries)
	a.handle("GET", "/api/v1/sync/runs", ScopeSync, a.listRuns)
	a.handle("POST", "/api/v1/sync/runs", ScopeSync, a.startRun)
	a.handle("GET", "/api/v1/audit", ScopeAuditRead, a.listAudit)
	a.mux.HandleFunc(Prefix, a.notFound)
	return a
}

// Routes lists the API's operations, as registered on its mux.
func (a *API) Routes() []Route { return append([]Route(nil), a.routes...) }

// ServeHTTP serves every path under Prefix.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	a.mux.ServeHTTP(w, r)
}

// Wait blocks until a sync run started through the API has ended (for shutdown and tests).
func (a *API) Wait() { a.syncWG.Wait() }

// principal is the token a request was authenticated with.
type principal struct {
	token store.Token
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p principal)

func (a *API) handle(method, pattern, scope string, h handlerFunc) {
	a.routes = append(a.routes, Route{Method: method, Pattern: pattern, Scope: scope})
	a.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		start := a.cfg.Now()
		sw := &statusWriter{ResponseWriter: w}
		var p principal
		if scope != "" {
			var ok bool
			if p, ok = a.authenticate(sw, r, scope); !ok {
				a.logRequest(r, pattern, p, sw.status, start)
				return
			}
		}
		h(sw, r, p)
		a.logRequest(r, pattern, p, sw.status, start)
	})
}

func (a *API) logRequest(r *http.Request, pattern string, p principal, status int, start time.Time) {
	if status == 0 {
		status = http.StatusOK
	}
	a.cfg.Log.Info("api", "method", r.Method, "route", pattern, "status", status, "token", p.token.Name,
		"duration", a.cfg.Now().Sub(start).Round(time.Microsecond))
}

// authenticate checks the bearer token and its scope, answering 401 or 403 when it fails.
func (a *API) authenticate(w http.ResponseWriter, r *http.Request, scope string) (principal, bool) {
	scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sspr"`)
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "an API token is required: Authorization: Bearer sspr_... (sspr token create)", nil)
		return principal{}, false
	}
	t, err := a.st.TokenByHash(r.Context(), HashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sspr", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "the API token is unknown or revoked", nil)
		return principal{}, false
	}
	if err != nil {
		a.internal(w, r, err)
		return principal{}, false
	}
	p := principal{token: t}
	now := a.cfg.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= touchEvery {
		if err := a.st.TouchToken(r.Context(), t.ID, now); err != nil {
			a.cfg.Log.Warn("api: record token use", "token", t.Name, "err", err)
		}
	}
	if !hasScope(t, scope) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="sspr", error="insufficient_scope", scope=%q`, scope))
		writeError(w, http.StatusForbidden, codeForbidden,
			fmt.Sprintf("token %q has scopes %s; this operation needs %s", t.Name, strings.Join(t.Scopes, ","), scope), nil)
		return p, false
	}
	return p, true
}

func (a *API) actor(r *http.Request, p principal) admin.Actor {
	return admin.TokenActor(p.token.Name, a.cfg.ClientIP(r), r.UserAgent())
}

// notFound answers every path under Prefix that no route serves: 405 when the path exists with
// another method, else 404.
func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pat := a.mux.Handler(probe); pat != Prefix && pat != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed, fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, strings.Join(allowed, ", ")), nil)
		return
	}
	writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("no such API path: %s (see %sopenapi.json)", r.URL.Path, Prefix), nil)
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Error codes: stable, for clients to switch on.
const (
	codeBadRequest           = "badRequest"
	codeUnauthorized         = "unauthorized"
	codeForbidden            = "forbidden"
	codeNotFound             = "notFound"
	codeMethodNotAllowed     = "methodNotAllowed"
	codeConflict             = "conflict"
	codeDirectoryUser        = "directoryUser"
	codeSyncRunning          = "syncRunning"
	codePreconditionFailed   = "preconditionFailed"
	codePreconditionRequired = "preconditionRequired"
	codeTooLarge             = "tooLarge"
	codeUnsupportedMedia     = "unsupportedMediaType"
	codeInvalid              = "invalid"
	codeUnavailable          = "unavailable"
	codeInternal             = "internal"
)

// errorCodes lists every code, as the OpenAPI document does.
var errorCodes = []string{codeBadRequest, codeUnauthorized, codeForbidden, codeNotFound, codeMethodNotAllowed,
	codeConflict, codeDirectoryUser, codeSyncRunning, codePreconditionFailed, codePreconditionRequired, codeTooLarge,
	codeUnsupportedMedia, codeInvalid, codeUnavailable, codeInternal}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string             `json:"code"`
	Message string             `json:"message"`
	Fields  []admin.FieldError `json:"fields,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg string, fields []admin.FieldError) {
	writeJSON(w, status, errorBody{errorDetail{Code: code, Message: msg, Fields: fields}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"cannot encode the response"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// fail maps an error of the store or of package admin to its status and code.
func (a *API) fail(w http.ResponseWriter, r *http.Request, upn string, err error) {
	var ve *admin.ValidationError
	switch {
	case errors.As(err, &ve):
		writeError(w, http.StatusUnprocessableEntity, codeInvalid, fmt.Sprintf("%s: nothing was changed: %d refused value(s)", ve.UserPrincipalName, len(ve.Fields)), ve.Fields)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("no user %q", upn), nil)
	case errors.Is(err, store.ErrVersionMismatch):
		writeError(w, http.StatusPreconditionFailed, codePreconditionFailed,
			fmt.Sprintf("%s changed since you read it (If-Match does not match its ETag): read it again and retry", upn), nil)
	case errors.Is(err, admin.ErrDirectoryUser):
		writeError(w, http.StatusConflict, codeDirectoryUser, err.Error(), nil)
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, codeConflict, fmt.Sprintf("a user named %q exists", upn), nil)
	default:
		a.internal(w, r, err)
	}
}

func (a *API) internal(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "the request was cancelled", nil)
		return
	}
	a.cfg.Log.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, codeInternal, "internal error (logged on the server)", nil)
}

// ForwardedClientIP returns a Config.ClientIP that reads the client's address as the web pages
// do: the peer, or, when the peer is one of the trusted proxies, the right-most X-Forwarded-For
// address that is not a trusted proxy.
func ForwardedClientIP(trusted []netip.Prefix) func(*http.Request) string {
	return func(r *http.Request) string { return clientip.From(r, trusted) }
}
