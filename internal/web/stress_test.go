package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/reset"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

// Stress: a fixed number of complete reset flows (start → send → code → complete, with a
// password write) run concurrently through the real handlers, the real reset service, the
// real outbox and a real store, with a 1 ms response floor. Every flow must end on the done
// page with its password written exactly once; nothing may answer 5xx or log an error (a
// "database is locked" included). Bounded by the number of flows and a timeout; the
// throughput is logged, never asserted.
const (
	stressFlows    = 300
	stressBrowsers = 32
	stressTimeout  = 3 * time.Minute
)

func TestStressCompleteResetsSQLite(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	stressCompleteResets(t, st)
}

func TestStressCompleteResetsPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	st, err := postgres.Open(context.Background(), testenv.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	stressCompleteResets(t, st)
}

// countingDirectory records every password write by DN.
type countingDirectory struct {
	mu     sync.Mutex
	writes map[string][]string
}

func (d *countingDirectory) SetPassword(_ context.Context, dn, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes[dn] = append(d.writes[dn], pw)
	return nil
}
func (d *countingDirectory) Unlock(context.Context, string) error               { return nil }
func (d *countingDirectory) IsLocked(context.Context, string) (bool, error)     { return true, nil }
func (d *countingDirectory) Authenticate(context.Context, string, string) error { return nil }
func (d *countingDirectory) IsMember(context.Context, string, string) (bool, error) {
	return false, nil
}

// outboxSender queues every message in the store's outbox, as sspr serve does, and keeps the
// codes by recipient so that the browsers can type them.
type outboxSender struct {
	out   *notify.Outbox
	mu    sync.Mutex
	codes map[string]string
}

var stressCodeRE = regexp.MustCompile(`\b\d{8}\b`)

// outboxSender is a flow.StepSender, as serve's is: the send step writes the message with its
// session and code.
var _ flow.StepSender = (*outboxSender)(nil)

func (s *outboxSender) Send(ctx context.Context, m flow.Message) error {
	if _, err := s.out.Send(ctx, notify.Message{Channel: m.Channel, To: m.To, Subject: m.Subject, Body: m.Body}); err != nil {
		return err
	}
	s.keep(m)
	return nil
}

func (s *outboxSender) Prepare(m flow.Message) (*store.Message, error) {
	sm, err := s.out.Prepare(notify.Message{Channel: m.Channel, To: m.To, Subject: m.Subject, Body: m.Body})
	if err != nil {
		return nil, err
	}
	s.keep(m) // each user's flow runs alone: its step is saved
	return sm, nil
}

func (s *outboxSender) Queued() {}

func (s *outboxSender) keep(m flow.Message) {
	if c := stressCodeRE.FindString(m.Body); c != "" {
		s.mu.Lock()
		s.codes[strings.ToLower(m.To)] = c
		s.mu.Unlock()
	}
}

func (s *outboxSender) code(to string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codes[strings.ToLower(to)]
}

// errorLog counts the records at level error and above (and keeps the first few).
type errorLog struct {
	mu    sync.Mutex
	n     int
	first []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if len(l.first) < 5 {
		l.first = append(l.first, b.String())
	}
	return nil
}
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

func stressUser(i int) (upn, dn, mail string) {
	return fmt.Sprintf("user%04d@contoso.com", i), fmt.Sprintf("uid=user%04d,dc=contoso,dc=com", i), fmt.Sprintf("user%04d@example.net", i)
}

// stressSite is the handlers, the reset service, the outbox and st, with n users who can reset
// by email.
type stressSite struct {
	ts   *httptest.Server
	dir  *countingDirectory
	sent *outboxSender
	log  *errorLog
}

func newStressSite(t *testing.T, st store.Store, users int, floor time.Duration) *stressSite {
	t.Helper()
	ctx := context.Background()
	err := st.Update(ctx, func(tx store.UsersTx) error {
		for i := range users {
			upn, dn, mail := stressUser(i)
			if err := tx.CreateUser(ctx, &store.User{Source: store.SourceCloud, UserPrincipalName: upn, DisplayName: "User " + upn[:8],
				DN: dn, AccountEnabled: true, AlternateEmails: []string{mail}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := notify.NewSealer(bytes.Repeat([]byte("o"), 32))
	if err != nil {
		t.Fatal(err)
	}
	s := &stressSite{dir: &countingDirectory{writes: map[string][]string{}},
		sent: &outboxSender{out: notify.NewOutbox(st, sealer, nil), codes: map[string]string{}}, log: &errorLog{}}
	logger := slog.New(s.log)
	p := flow.DefaultPolicy()
	p.ResponseFloor = floor
	p.Methods = []string{flow.MethodEmail}
	// Every browser comes from 127.0.0.1: the per-IP start limit would be the first thing hit.
	p.Throttle.StartsIP.Max = 1 << 20
	svc := reset.New(st, s.sent, s.dir, reset.Config{Policy: p, Password: password.Default(),
		CodeKey: bytes.Repeat([]byte("c"), 32), DecoyKey: bytes.Repeat([]byte("d"), 32), PublicURL: "https://sspr.contoso.com"}, logger)
	srv, err := New(Config{PublicURL: "https://sspr.contoso.com", CompanyName: "Contoso", CSRFKey: bytes.Repeat([]byte("x"), 32),
		ResponseFloor: floor}, svc, logger)
	if err != nil {
		t.Fatal(err)
	}
	s.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(s.ts.Close)
	return s
}

func stressCompleteResets(t *testing.T, st store.Store) {
	s := newStressSite(t, st, stressFlows, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), stressTimeout)
	defer cancel()
	// One transport for every browser, with enough idle connections for all of them.
	tr := &http.Transport{MaxIdleConnsPerHost: stressBrowsers}
	t.Cleanup(tr.CloseIdleConnections)

	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
		done     atomic.Int64
	)
	start := time.Now()
	for range stressBrowsers {
		wg.Go(func() {
			for i := range jobs {
				if err := stressFlow(ctx, s, tr, i); err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("flow %d: %v", i, err))
					mu.Unlock()
					continue
				}
				done.Add(1)
			}
		})
	}
	for i := range stressFlows {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d complete resets by %d browsers in %s: %.0f resets/s (1 ms floor; informational)",
		done.Load(), stressBrowsers, elapsed.Round(time.Millisecond), float64(done.Load())/elapsed.Seconds())

	if len(failures) > 0 {
		t.Errorf("%d of %d flows failed; first: %s", len(failures), stressFlows, strings.Join(failures[:min(5, len(failures))], "\n  "))
	}
	s.log.mu.Lock()
	if s.log.n > 0 {
		t.Errorf("%d errors logged; first: %s", s.log.n, strings.Join(s.log.first, "\n  "))
	}
	s.log.mu.Unlock()
	s.dir.mu.Lock()
	defer s.dir.mu.Unlock()
	for i := range stressFlows {
		_, dn, _ := stressUser(i)
		if w := s.dir.writes[dn]; len(w) != 1 || w[0] != stressPassword(i) {
			t.Errorf("%s: %d password writes, want exactly 1 of its own password", dn, len(w))
		}
	}
	if len(s.dir.writes) != stressFlows {
		t.Errorf("passwords written for %d users, want %d", len(s.dir.writes), stressFlows)
	}
}

func stressPassword(i int) string { return fmt.Sprintf("Stress-%04d-Pass!word", i) }

// stressBrowser is one browser: its own cookies, a shared transport, no redirects followed.
type stressBrowser struct {
	ctx context.Context
	c   *http.Client
	url string
}

// do sends a request and requires want: any other status (a 5xx above all) is an error.
func (b *stressBrowser) do(method, path string, form url.Values, want int) (*http.Response, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.ctx, method, b.url+path, body)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	page := string(raw)
	if resp.StatusCode != want {
		if m := regexp.MustCompile(`role="alert"[^>]*>([^<]*)`).FindStringSubmatch(page); m != nil {
			page = html.UnescapeString(strings.TrimSpace(m[1]))
		} else if len(page) > 200 {
			page = page[:200]
		}
		return nil, "", fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, page)
	}
	return resp, page, nil
}

// redirect sends a request that must answer 303 to want.
func (b *stressBrowser) redirect(method, path string, form url.Values, want string) error {
	resp, _, err := b.do(method, path, form, http.StatusSeeOther)
	if err != nil {
		return err
	}
	if loc := resp.Header.Get("Location"); loc != want {
		return fmt.Errorf("%s %s: redirected to %q, want %q", method, path, loc, want)
	}
	return nil
}

// stressFlow runs user i's reset from the start page to the done page.
func stressFlow(ctx context.Context, s *stressSite, tr http.RoundTripper, i int) error {
	jar, _ := cookiejar.New(nil)
	b := &stressBrowser{ctx: ctx, url: s.ts.URL, c: &http.Client{Transport: tr, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	upn, _, mail := stressUser(i)
	_, page, err := b.do("GET", "/reset", nil, http.StatusOK)
	if err != nil {
		return err
	}
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		return errors.New("no CSRF token on the start page")
	}
	csrf := html.UnescapeString(m[1])
	if err := b.redirect("POST", "/reset", url.Values{"csrf": {csrf}, "username": {upn}}, "/reset/verify"); err != nil {
		return err
	}
	if _, _, err := b.do("GET", "/reset/verify", nil, http.StatusOK); err != nil {
		return err
	}
	if err := b.redirect("POST", "/reset/send", url.Values{"csrf": {csrf}, "option": {"email"}}, "/reset/verify"); err != nil {
		return err
	}
	code := s.sent.code(mail)
	if code == "" {
		return fmt.Errorf("no code sent to %s", mail)
	}
	if err := b.redirect("POST", "/reset/code", url.Values{"csrf": {csrf}, "option": {"email"}, "code": {code}}, "/reset/complete"); err != nil {
		return err
	}
	if _, _, err := b.do("GET", "/reset/complete", nil, http.StatusOK); err != nil {
		return err
	}
	pw := stressPassword(i)
	if err := b.redirect("POST", "/reset/complete", url.Values{"csrf": {csrf}, "password": {pw}, "confirm": {pw}}, "/reset/done"); err != nil {
		return err
	}
	_, _, err = b.do("GET", "/reset/done", nil, http.StatusOK)
	return err
}
