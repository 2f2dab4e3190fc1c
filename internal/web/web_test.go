package web

import (
	"bytes"
	"context"
	"html"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/reset"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

type memDirectory struct {
	mu        sync.Mutex
	passwords map[string]string
	notLocked bool // IsLocked says no
}

func (d *memDirectory) SetPassword(_ context.Context, dn, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.passwords[dn] = pw
	return nil
}
func (d *memDirectory) Unlock(context.Context, string) error                   { return nil }
func (d *memDirectory) Authenticate(context.Context, string, string) error     { return nil }
func (d *memDirectory) IsLocked(context.Context, string) (bool, error)         { return !d.notLocked, nil }
func (d *memDirectory) IsMember(context.Context, string, string) (bool, error) { return false, nil }

type memSender struct {
	mu   sync.Mutex
	msgs []flow.Message
}

func (s *memSender) Send(_ context.Context, m flow.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *memSender) lastCode(t *testing.T) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) == 0 {
		t.Fatal("nothing sent")
	}
	return regexp.MustCompile(`\d{8}`).FindString(s.msgs[len(s.msgs)-1].Body)
}

type site struct {
	ts   *httptest.Server
	dir  *memDirectory
	sent *memSender
}

func newSite(t *testing.T, floor time.Duration) *site {
	t.Helper()
	return newSiteWith(t, floor, nil)
}

func newSiteWith(t *testing.T, floor time.Duration, edit func(*Config)) *site {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Update(ctx, func(tx store.UsersTx) error {
		return tx.CreateUser(ctx, &store.User{Source: store.SourceCloud, UserPrincipalName: "alice@contoso.com", DisplayName: "Alice Anderson",
			DN: "uid=alice,dc=contoso,dc=com", AccountEnabled: true, AlternateEmails: []string{"alice@example.net"},
			MobilePhone: store.Phone{Raw: "+1 425 555 0100", Number: "+1 4255550100", Type: "fixedLineOrMobile"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &site{dir: &memDirectory{passwords: map[string]string{}}, sent: &memSender{}}
	p := flow.DefaultPolicy()
	p.ResponseFloor = floor
	svc := reset.New(st, s.sent, s.dir, reset.Config{Policy: p, Password: password.Default(),
		CodeKey: bytes.Repeat([]byte("c"), 32), DecoyKey: bytes.Repeat([]byte("d"), 32), PublicURL: "https://sspr.contoso.com"}, nil)
	cfg := Config{PublicURL: "https://sspr.contoso.com", CompanyName: "Contoso", CSRFKey: bytes.Repeat([]byte("x"), 32),
		ResponseFloor: floor}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(s.ts.Close)
	return s
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t   *testing.T
	c   *http.Client
	url string
}

func (s *site) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, url: s.ts.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) csrf(page string) string {
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token in page:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

func (b *browser) post(path string, form url.Values, origin string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func TestResetThroughPages(t *testing.T) {
	s := newSite(t, time.Millisecond)
	b := s.browser(t)
	resp, page := b.get("/reset")
	if resp.StatusCode != 200 || !strings.Contains(page, `autocomplete="username"`) {
		t.Fatalf("start page %d", resp.StatusCode)
	}
	tok := b.csrf(page)
	resp, _ = b.post("/reset", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}}, "https://sspr.contoso.com")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/reset/verify" {
		t.Fatalf("start: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && (!c.HttpOnly || c.SameSite != http.SameSiteStrictMode || !c.Secure) {
			t.Errorf("session cookie flags: %+v", c)
		}
	}
	_, page = b.get("/reset/verify")
	page = html.UnescapeString(page)
	if !strings.Contains(page, "+1 ••••••0100") || !strings.Contains(page, "a•••@example.net") || strings.Contains(page, "4255550100") {
		t.Fatalf("methods page:\n%s", page)
	}
	resp, _ = b.post("/reset/send", url.Values{"csrf": {tok}, "option": {"sms"}}, "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", resp.StatusCode)
	}
	_, page = b.get("/reset/verify")
	if !strings.Contains(page, `autocomplete="one-time-code"`) {
		t.Fatalf("code page:\n%s", page)
	}
	resp, page = b.post("/reset/code", url.Values{"csrf": {tok}, "option": {"sms"}, "code": {"00000000"}}, "")
	if resp.StatusCode != 200 || !strings.Contains(page, "4 tries left") || !strings.Contains(page, `role="alert"`) {
		t.Fatalf("wrong code: %d\n%s", resp.StatusCode, page)
	}
	resp, _ = b.post("/reset/code", url.Values{"csrf": {tok}, "option": {"sms"}, "code": {s.sent.lastCode(t)}}, "")
	if resp.Header.Get("Location") != "/reset/complete" {
		t.Fatalf("right code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = b.get("/reset/complete")
	if !strings.Contains(page, "be 8 to 256 characters long") || !strings.Contains(page, `autocomplete="new-password"`) {
		t.Fatalf("password page:\n%s", page)
	}
	_, page = b.post("/reset/complete", url.Values{"csrf": {tok}, "password": {"correct horse battery staple"}, "confirm": {"different"}}, "")
	if !strings.Contains(page, "not the same") {
		t.Errorf("mismatch not reported")
	}
	_, page = b.post("/reset/complete", url.Values{"csrf": {tok}, "password": {"password1"}, "confirm": {"password1"}}, "")
	if !strings.Contains(page, "too easy to guess") {
		t.Errorf("weak password not reported")
	}
	resp, _ = b.post("/reset/complete", url.Values{"csrf": {tok}, "password": {"correct horse battery staple"}, "confirm": {"correct horse battery staple"}}, "")
	if resp.Header.Get("Location") != "/reset/done" || s.dir.passwords["uid=alice,dc=contoso,dc=com"] != "correct horse battery staple" {
		t.Fatalf("complete: %d %v", resp.StatusCode, s.dir.passwords)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newSite(t, time.Millisecond)
	resp, _ := s.browser(t).get("/reset")
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
		"Strict-Transport-Security": "max-age=", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
	} {
		if !strings.Contains(resp.Header.Get(h), want) {
			t.Errorf("%s = %q, want %q", h, resp.Header.Get(h), want)
		}
	}
}

func TestCSRF(t *testing.T) {
	s := newSite(t, time.Millisecond)
	b := s.browser(t)
	_, page := b.get("/reset")
	tok := b.csrf(page)
	tests := []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"no token", url.Values{"username": {"alice@contoso.com"}}, ""},
		{"wrong token", url.Values{"csrf": {"AAAA"}, "username": {"alice@contoso.com"}}, ""},
		{"foreign origin", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}}, "https://evil.example"},
		{"cross-site fetch", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}}, "cross-site"},
	}
	for _, tt := range tests {
		var resp *http.Response
		if tt.origin == "cross-site" {
			req, _ := http.NewRequest("POST", b.url+"/reset", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.Header.Set("Origin", "null")
			r, err := b.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			resp = r
		} else {
			resp, _ = b.post("/reset", tt.form, tt.origin)
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d", tt.name, resp.StatusCode)
		}
	}
	// Another browser's token does not fit this browser's cookie.
	other := s.browser(t)
	other.get("/reset")
	resp, _ := other.post("/reset", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}}, "")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("token of another browser: %d", resp.StatusCode)
	}
	if len(s.sent.msgs) != 0 {
		t.Error("a refused request sent something")
	}
}

// TestNoEnumeration: a known name, an unknown one, and the same page structure, status and timing.
func TestNoEnumeration(t *testing.T) {
	s := newSite(t, 60*time.Millisecond)
	masked := regexp.MustCompile(`[+][0-9]+ •+[0-9]+|[a-z]•••@[a-z.]+|name="csrf" value="[^"]+"`)
	structure := func(name string) (int, string, time.Duration) {
		b := s.browser(t)
		_, page := b.get("/reset")
		start := time.Now()
		resp, _ := b.post("/reset", url.Values{"csrf": {b.csrf(page)}, "username": {name}}, "")
		d := time.Since(start)
		_, page = b.get("/reset/verify")
		// The page with hints and option list reduced to its shape.
		shape := masked.ReplaceAllString(page, "HINT")
		shape = regexp.MustCompile(`(?s)<div class="option">.*?</div>\s*`).ReplaceAllString(shape, "OPTION")
		return resp.StatusCode, shape, d
	}
	statusA, shapeA, _ := structure("alice@contoso.com")
	statusB, shapeB, _ := structure("nobody@contoso.com")
	if statusA != statusB || !strings.Contains(shapeB, "HINT") {
		t.Errorf("status %d vs %d", statusA, statusB)
	}
	normalize := regexp.MustCompile(`(OPTION)+`)
	if normalize.ReplaceAllString(shapeA, "OPTIONS") != normalize.ReplaceAllString(shapeB, "OPTIONS") {
		t.Errorf("pages differ in structure:\n%s\n---\n%s", shapeA, shapeB)
	}
	// Timing: interleave known and unknown names; the two distributions must not be told apart
	// (two-sample Kolmogorov–Smirnov statistic below the 0.1% critical value). Times are read at
	// 1 ms resolution: behind the 60 ms floor both take floor + the wake-up latency of a sleep, and
	// scheduler noise of a tenth of a millisecond is below what a client across a network resolves.
	const n = 40
	var known, unknown, knownRaw, unknownRaw []float64
	ms := func(d time.Duration) float64 { return float64(d.Round(time.Millisecond)) }
	for i := range n {
		_, _, d := structure("alice@contoso.com")
		known, knownRaw = append(known, ms(d)), append(knownRaw, float64(d))
		_, _, d = structure("unknown" + string(rune('a'+i%26)) + "@contoso.com")
		unknown, unknownRaw = append(unknown, ms(d)), append(unknownRaw, float64(d))
	}
	t.Logf("at full resolution: KS D = %.3f, medians %v vs %v", ksStatistic(knownRaw, unknownRaw),
		time.Duration(median(knownRaw)), time.Duration(median(unknownRaw)))
	d := ksStatistic(known, unknown)
	crit := 1.95 * math.Sqrt(2.0/n) // alpha = 0.001
	t.Logf("KS D = %.3f (critical %.3f); medians %v vs %v", d, crit, time.Duration(median(known)), time.Duration(median(unknown)))
	if d > crit {
		t.Errorf("known and unknown names are distinguishable by timing: D = %.3f > %.3f", d, crit)
	}
}

func ksStatistic(a, b []float64) float64 {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Float64s(a)
	sort.Float64s(b)
	var i, j int
	var d float64
	for i < len(a) && j < len(b) {
		// Step past every sample equal to the smaller current value in both, so that ties
		// move both empirical distribution functions together.
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	return s[len(s)/2]
}

func TestPublicURLNotHost(t *testing.T) {
	s := newSite(t, time.Millisecond)
	b := s.browser(t)
	_, page := b.get("/reset")
	req, _ := http.NewRequest("POST", s.ts.URL+"/reset", strings.NewReader(url.Values{"csrf": {b.csrf(page)}, "username": {"alice@contoso.com"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "evil.example"
	for _, c := range b.c.Jar.Cookies(req.URL) {
		req.AddCookie(c) // the client's jar would match cookies against the Host header
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(s.ts.URL)
	b.c.Jar.SetCookies(u, resp.Cookies())
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "evil") {
		t.Errorf("redirect built from Host: %s", loc)
	}
	b.post("/reset/send", url.Values{"csrf": {b.csrf(page)}, "option": {"email"}}, "")
	s.sent.mu.Lock()
	defer s.sent.mu.Unlock()
	if len(s.sent.msgs) != 1 || !strings.Contains(s.sent.msgs[0].Body, "https://sspr.contoso.com") || strings.Contains(s.sent.msgs[0].Body, "evil") {
		t.Errorf("mail links: %+v", s.sent.msgs)
	}
}

// TestNoServerTimingByDefault: no response tells the server's time before the padding (it
// would undo the response floor); only Config.DebugTiming, for benchmarks, adds it.
func TestNoServerTimingByDefault(t *testing.T) {
	s := newSite(t, time.Millisecond)
	b := s.browser(t)
	check := func(what string, resp *http.Response) {
		t.Helper()
		if v := resp.Header.Get("Server-Timing"); v != "" {
			t.Errorf("%s: Server-Timing %q", what, v)
		}
	}
	resp, page := b.get("/reset")
	check("GET /reset", resp)
	resp, _ = b.post("/reset", url.Values{"csrf": {b.csrf(page)}, "username": {"alice@contoso.com"}}, "")
	check("POST /reset", resp)
	resp, page = b.get("/reset/verify")
	check("GET /reset/verify", resp)
	resp, _ = b.post("/reset/send", url.Values{"csrf": {b.csrf(page)}, "option": {"email"}}, "")
	check("POST /reset/send", resp)
	resp, _ = b.post("/reset/code", url.Values{"csrf": {b.csrf(page)}, "option": {"email"}, "code": {"00000000"}}, "")
	check("POST /reset/code", resp)
	resp, _ = b.get("/static/sspr.css")
	check("GET /static/sspr.css", resp)

	debug := newSiteWith(t, time.Millisecond, func(c *Config) { c.DebugTiming = true })
	resp, _ = debug.browser(t).get("/reset")
	if !strings.HasPrefix(resp.Header.Get("Server-Timing"), "app;dur=") {
		t.Errorf("DebugTiming: Server-Timing %q", resp.Header.Get("Server-Timing"))
	}
}

// TestVerifyPageTiming: GET /reset/verify of a real flow and of a decoy take the same time
// (the page is padded like the steps), by a two-sample Kolmogorov–Smirnov test over
// interleaved samples.
func TestVerifyPageTiming(t *testing.T) {
	s := newSite(t, 30*time.Millisecond)
	start := func(name string) *browser {
		b := s.browser(t)
		_, page := b.get("/reset")
		b.post("/reset", url.Values{"csrf": {b.csrf(page)}, "username": {name}}, "")
		return b
	}
	real, decoy := start("alice@contoso.com"), start("nobody@contoso.com")
	const n = 60
	var a, d []float64
	ms := func(x time.Duration) float64 { return float64(x.Round(time.Millisecond)) }
	for range n {
		t0 := time.Now()
		real.get("/reset/verify")
		a = append(a, ms(time.Since(t0)))
		t0 = time.Now()
		decoy.get("/reset/verify")
		d = append(d, ms(time.Since(t0)))
	}
	stat, crit := ksStatistic(a, d), 1.95*math.Sqrt(2.0/n)
	t.Logf("KS D = %.3f (critical %.3f); medians %v vs %v", stat, crit, time.Duration(median(a)), time.Duration(median(d)))
	if stat > crit {
		t.Errorf("the verify page tells real flows from decoys by timing: D = %.3f > %.3f", stat, crit)
	}
}

// TestRoughEdges: branded 404 and 405 pages, no listing of /static/, a footer that is never
// empty and links the pages to each other, and a step title that fits security questions.
func TestRoughEdges(t *testing.T) {
	s := newSite(t, time.Millisecond)
	b := s.browser(t)
	for _, tt := range []struct {
		method, path string
		code         int
		text         string
	}{
		{"GET", "/nothing-here", http.StatusNotFound, "Page not found"},
		{"GET", "/static/", http.StatusNotFound, "Page not found"},
		{"POST", "/reset/verify", http.StatusMethodNotAllowed, "This page cannot be used that way"},
	} {
		req, _ := http.NewRequest(tt.method, b.url+tt.path, nil)
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if resp.StatusCode != tt.code || !strings.Contains(page, "<h1>"+tt.text+"</h1>") || !strings.Contains(page, `href="/reset"`) ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s %s: %d %s\n%.400s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), page)
		}
		if tt.code == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
			t.Errorf("405 without Allow")
		}
	}
	if resp, _ := b.get("/static/sspr.css"); resp.StatusCode != http.StatusOK {
		t.Errorf("stylesheet: %d", resp.StatusCode)
	}
	_, page := b.get("/reset")
	if !strings.Contains(page, `href="/unlock"`) || strings.Contains(page, `<li><a href="/reset">`) ||
		!strings.Contains(page, "contact your IT helpdesk") {
		t.Errorf("reset page footer:\n%s", page)
	}
	_, page = b.get("/unlock")
	if !strings.Contains(page, `href="/reset"`) {
		t.Errorf("unlock page does not link to reset:\n%s", page)
	}
}

// TestUnlockNotLockedThroughPages: after the proof, unlocking an account that was not locked
// ends on a page that says so.
func TestUnlockNotLockedThroughPages(t *testing.T) {
	s := newSite(t, time.Millisecond)
	s.dir.notLocked = true
	b := s.browser(t)
	_, page := b.get("/unlock")
	tok := b.csrf(page)
	b.post("/unlock", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}}, "")
	b.post("/unlock/send", url.Values{"csrf": {tok}, "option": {"email"}}, "")
	resp, _ := b.post("/unlock/code", url.Values{"csrf": {tok}, "option": {"email"}, "code": {s.sent.lastCode(t)}}, "")
	if resp.Header.Get("Location") != "/unlock/complete" {
		t.Fatalf("code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = b.post("/unlock/complete", url.Values{"csrf": {tok}}, "")
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/unlock/done") {
		t.Fatalf("complete: %d %s", resp.StatusCode, loc)
	}
	_, page = b.get(loc)
	if !strings.Contains(page, "Your account was not locked") {
		t.Errorf("done page at %s:\n%s", loc, page)
	}
	if _, page = b.get("/unlock/done?notice=anything"); strings.Contains(page, "not locked") {
		t.Error("the done page shows an arbitrary notice")
	}
}
