package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/testenv"
)

// clusterSyncInterval is the instances' sync interval (SSPR_TEST_SYNC_INTERVAL: the
// configuration's minimum is 1m) and clusterLease their outbox lease (SSPR_TEST_OUTBOX_LEASE).
const (
	clusterSyncInterval = 2 * time.Second
	clusterLease        = 3 * time.Second
)

// TestCluster runs three `sspr serve` processes on one PostgreSQL database, with one server
// secret, behind HAProxy (round robin, no stickiness), and drives them as a browser would:
//   - a reset started on one instance continues on the others, each request on another
//     instance, and the new password binds;
//   - five wrong codes spread over the instances lock the user;
//   - housekeeping and the scheduled sync run on one instance at a time, and another takes
//     over when that one dies;
//   - an instance killed while delivering a message: another delivers it after the lease,
//     with the same idempotency key, and no message is written twice;
//   - the sync ran about once per interval over the whole test, never two runs at once.
func TestCluster(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	d := newDirectory(t, nil, "")
	c := startCluster(t, d, dsn, 3)

	t.Run("ResetAcrossInstances", func(t *testing.T) {
		b := c.browser(t)
		b.start(t, "alice")
		b.send(t, "sms")
		code := codeFor(t, c.outbox, "sms", "+14255550100")
		b.post(t, "/reset/code", url.Values{"option": {"sms"}, "code": {code}})
		const pw = "Cluster-Orchid-Kettle-58"
		page := b.post(t, "/reset/complete", url.Values{"password": {pw}, "confirm": {pw}})
		if !strings.Contains(page, `id="done"`) {
			t.Fatalf("the reset did not complete:\n%s", page)
		}
		t.Logf("backends in order: %v", b.backends)
		for i := 1; i < len(b.backends); i++ {
			if b.backends[i] == b.backends[i-1] {
				t.Errorf("requests %d and %d both went to %s: %v", i, i+1, b.backends[i], b.backends)
			}
		}
		if seen := distinct(b.backends); len(seen) != 3 {
			t.Errorf("the reset used instances %v, want all three", seen)
		}
		if err := bindWith(t, d.srv.LDAPSURL, d.srv.CAFile, "uid=alice,ou=Staff,dc=contoso,dc=com", pw); err != nil {
			t.Errorf("bind with the new password: %v", err)
		}
	})

	t.Run("ThrottleAcrossInstances", func(t *testing.T) {
		var codePosts []string
		var last string
		for range 5 {
			b := c.browser(t)
			b.start(t, "bob")
			b.send(t, "sms")
			last, _ = b.try(http.MethodPost, "/reset/code", url.Values{"option": {"sms"}, "code": {"00000000"}}) // 429 at the fifth
			codePosts = append(codePosts, b.backends[len(b.backends)-1])
		}
		t.Logf("the wrong codes went to %v", codePosts)
		if seen := distinct(codePosts); len(seen) != 3 {
			t.Errorf("wrong codes went to %v, want all three instances", seen)
		}
		const locked = "Too many attempts"
		if !strings.Contains(last, locked) {
			t.Errorf("after five wrong codes bob is not locked:\n%s", last)
		}
		for range 3 { // whichever instance answers
			b := c.browser(t)
			b.start(t, "bob")
			if page, _ := b.try(http.MethodPost, "/reset/send", url.Values{"option": {"sms"}}); !strings.Contains(page, locked) {
				t.Errorf("%s sent bob a code while he is locked:\n%s", b.backends[len(b.backends)-1], page)
			}
		}
	})

	t.Run("OneHousekeeper", func(t *testing.T) {
		if leaders := c.leaders(t, "housekeeping", nil); len(leaders) != 1 {
			t.Errorf("housekeeping led by %v, want one instance", leaders)
		}
	})

	var killed *instance
	t.Run("OutboxInstanceKilledMidDelivery", func(t *testing.T) {
		blocked := c.hook.arm()
		b := c.browser(t)
		b.start(t, "carol")
		b.send(t, "email")
		var n int
		select {
		case n = <-blocked:
		case <-time.After(20 * time.Second):
			t.Fatal("no instance delivered carol's code")
		}
		killed = c.inst[n]
		if err := killed.cmd.Process.Signal(syscall.SIGKILL); err != nil { // the process this test started
			t.Fatal(err)
		}
		<-killed.done
		t.Logf("%s killed (pid %d) while delivering", killed.name, killed.cmd.Process.Pid)
		var reqs []hookRequest
		deadline := time.Now().Add(clusterLease + 20*time.Second)
		for {
			reqs = c.hook.to("carol.clarke@example.org")
			if len(reqs) >= 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(reqs) != 2 {
			t.Fatalf("requests for carol's code: %+v, want the killed one and one more", reqs)
		}
		first, second := reqs[0], reqs[1]
		if first.instance != n || first.answered || second.instance == n || !second.answered {
			t.Errorf("requests %+v: want the first from %s unanswered, the second from another instance answered", reqs, killed.name)
		}
		if first.key == "" || second.key != first.key {
			t.Errorf("idempotency keys %q and %q: want one key for both attempts", first.key, second.key)
		}
		// The code delivered by the second instance works on the remaining ones.
		code := regexp.MustCompile(`\d{6,}`).FindString(second.body)
		page := b.post(t, "/reset/code", url.Values{"option": {"email"}, "code": {code}})
		if !strings.Contains(page, `name="password"`) {
			t.Errorf("the redelivered code was not accepted:\n%s", page)
		}
	})

	t.Run("LeadersTakeOver", func(t *testing.T) {
		if killed == nil {
			t.Skip("no instance was killed")
		}
		for _, job := range []string{"housekeeping", "sync"} {
			var leaders []string
			for range 100 { // the lease is retried every sync interval
				if leaders = c.leaders(t, job, killed); len(leaders) == 1 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if len(leaders) != 1 {
				t.Errorf("%s: led by %v among the live instances, want one", job, leaders)
			}
		}
	})

	t.Run("NoMessageTwice", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(mustRead(t, c.outbox)), "\n")
		ids := map[string]int{}
		for _, l := range lines {
			var m struct{ ID string }
			if err := json.Unmarshal([]byte(l), &m); err != nil || m.ID == "" {
				t.Fatalf("outbox line without an id: %q (%v)", l, err)
			}
			ids[m.ID]++
		}
		for id, n := range ids {
			if n != 1 {
				t.Errorf("message %s written %d times to the file channel", id, n)
			}
		}
		answered := map[string]int{}
		for _, r := range c.hook.all() {
			if r.answered {
				answered[r.key]++
			}
		}
		for key, n := range answered {
			if n != 1 {
				t.Errorf("message %s delivered %d times by webhook", key, n)
			}
		}
		t.Logf("%d messages on the file channel, %d by webhook, no duplicates", len(ids), len(answered))
	})

	t.Run("SyncOncePerInterval", func(t *testing.T) {
		// Keep the cluster a few intervals more, then stop it and read the runs.
		time.Sleep(3 * clusterSyncInterval)
		elapsed := c.stop(t)
		st, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		runs, err := st.ListRuns(t.Context(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		runs = slices.DeleteFunc(runs, func(r store.SyncRun) bool { return r.StartedAt.Before(c.started) })
		slices.Reverse(runs) // oldest first
		// One leader: a run now and one per interval, plus one when a new leader takes over.
		most := int(elapsed/clusterSyncInterval) + 3
		t.Logf("%d runs in %s with a %s interval on 3 instances (at most %d expected; %d without a leader)",
			len(runs), elapsed.Round(time.Millisecond), clusterSyncInterval, most, 3*int(elapsed/clusterSyncInterval))
		if len(runs) < 3 || len(runs) > most {
			t.Errorf("%d sync runs in %s, want 3 to %d", len(runs), elapsed, most)
		}
		for i := 1; i < len(runs); i++ {
			prev, next := runs[i-1], runs[i]
			if prev.FinishedAt == nil {
				t.Logf("run %d never finished (its instance was killed): %+v", prev.ID, prev)
				continue
			}
			if prev.FinishedAt.After(next.StartedAt) {
				t.Errorf("runs %d [%s, %s] and %d (started %s) overlap", prev.ID, prev.StartedAt, prev.FinishedAt, next.ID, next.StartedAt)
			}
		}
	})
}

// cluster is several `sspr serve` processes behind HAProxy.
type cluster struct {
	base    string // the balancer's URL
	outbox  string // the file channel's JSON lines, shared by every instance
	hook    *hookServer
	inst    []*instance
	started time.Time
}

// instance is one `sspr serve` process.
type instance struct {
	name string // s1, s2, ...: HAProxy's name for it (X-Backend)
	addr string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has been waited for
}

// startCluster syncs the directory into the PostgreSQL database dsn and starts n instances on
// it (sync every clusterSyncInterval, SMS to the file channel, email by webhook to c.hook)
// behind HAProxy; they are stopped (SIGTERM) when the test ends.
func startCluster(t *testing.T, d *testDir, dsn string, n int) *cluster {
	t.Helper()
	if err := os.WriteFile(d.cfg, regexp.MustCompile(`(?m)^store: .*$`).ReplaceAll([]byte(mustRead(t, d.cfg)), fmt.Appendf(nil, "store: %q", dsn)), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, d.cfg, "sync", "-q"); r.code != 0 {
		t.Fatal(r)
	}
	secretPath := filepath.Join(d.dir, "secret")
	if _, err := secret.Generate(secretPath); err != nil {
		t.Fatal(err)
	}
	c := &cluster{outbox: filepath.Join(d.dir, "outbox.jsonl"), hook: newHookServer(t)}
	var addrs []string
	for i := range n {
		inst := &instance{name: fmt.Sprintf("s%d", i+1), addr: freeAddr(t), log: filepath.Join(d.dir, fmt.Sprintf("serve%d.log", i+1))}
		c.inst = append(c.inst, inst)
		addrs = append(addrs, inst.addr)
	}
	lb := testenv.HAProxyBalance(t, addrs)
	c.base = "http://" + lb.Addr
	c.started = time.Now()
	for i, inst := range c.inst {
		cfg := filepath.Join(d.dir, fmt.Sprintf("sspr%d.yaml", i+1))
		text := mustRead(t, d.cfg) + fmt.Sprintf(`server:
  listen: %s
  publicURL: %s
  secretFile: %s
  metricsListen: %s
branding:
  companyName: Contoso (cluster)
notify:
  file: %s
  email:
    webhook:
      url: %s/hook/%d
reset:
  responseFloor: 50ms
`, inst.addr, c.base, secretPath, freeAddr(t), c.outbox, c.hook.URL, i)
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		inst.start(t, cfg, "SSPR_TEST_SYNC_INTERVAL="+clusterSyncInterval.String(), "SSPR_TEST_OUTBOX_LEASE="+clusterLease.String())
	}
	for _, inst := range c.inst {
		inst.waitUp(t)
	}
	// Until HAProxy's health checks see every instance up.
	var seen []string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // however loaded the machine
		if resp, err := http.Get(c.base + "/healthz"); err == nil {
			resp.Body.Close()
			seen = distinct(append(seen, resp.Header.Get("X-Backend")))
		}
		if len(seen) == n {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if len(seen) != n {
		t.Fatalf("HAProxy balances to %v only", seen)
	}
	t.Cleanup(func() { c.stop(t) })
	return c
}

// start runs `sspr serve` with cfg and the environment variables env.
func (inst *instance) start(t *testing.T, cfg string, env ...string) {
	t.Helper()
	cmd := command(context.Background(), cfg, "serve")
	cmd.Env = append(cmd.Env, env...)
	logf, err := os.Create(inst.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	inst.cmd, inst.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(inst.done) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log:\n%s", inst.name, mustRead(t, inst.log))
		}
	})
}

func (inst *instance) waitUp(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // a loaded machine starts slowly
		if resp, err := http.Get("http://" + inst.addr + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-inst.done:
			t.Fatalf("%s exited:\n%s", inst.name, mustRead(t, inst.log))
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Fatalf("%s does not answer on %s", inst.name, inst.addr)
}

// stop ends every instance still running (SIGTERM, to the processes this test started) and
// returns the time since the cluster started.
func (c *cluster) stop(t *testing.T) time.Duration {
	t.Helper()
	elapsed := time.Since(c.started)
	for _, inst := range c.inst {
		select {
		case <-inst.done:
			continue
		default:
		}
		_ = inst.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-inst.done:
			if code := inst.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("%s exited %d after SIGTERM", inst.name, code)
			}
		case <-time.After(30 * time.Second):
			_ = inst.cmd.Process.Kill()
			<-inst.done
			t.Errorf("%s did not stop on SIGTERM", inst.name)
		}
	}
	return elapsed
}

// leaders names the instances (but except) whose log says they lead job.
func (c *cluster) leaders(t *testing.T, job string, except *instance) []string {
	t.Helper()
	var names []string
	for _, inst := range c.inst {
		if inst == except {
			continue
		}
		if strings.Contains(mustRead(t, inst.log), "msg=leading job="+job) {
			names = append(names, inst.name)
		}
	}
	return names
}

// clusterBrowser is a browser through the balancer: its cookies, its CSRF token, and the
// backend of each answer.
type clusterBrowser struct {
	c        *http.Client
	base     string
	csrf     string
	backends []string
	noFollow bool   // return a redirect instead of following it
	last     string // the last answer's status code and Location
}

func (c *cluster) browser(t *testing.T) *clusterBrowser {
	jar, _ := cookiejar.New(nil)
	return &clusterBrowser{base: c.base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var clusterCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *clusterBrowser) do(t *testing.T, method, path string, form url.Values) string {
	t.Helper()
	page, err := b.try(method, path, form)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// try sends one request and returns the page; an HTTP error status is an error (with the page).
func (b *clusterBrowser) try(method, path string, form url.Values) (string, error) {
	var body io.Reader
	if form != nil {
		form.Set("csrf", b.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		return "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.backends = append(b.backends, resp.Header.Get("X-Backend"))
	b.last = strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, resp.Header.Get("Location")))
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && strings.HasPrefix(loc, "/") && !b.noFollow {
		return b.try(http.MethodGet, loc, nil) // the page after a form (POST, redirect, GET)
	}
	if resp.StatusCode >= 400 {
		return string(page), fmt.Errorf("%s %s: HTTP %d from %q\n%s", method, path, resp.StatusCode, resp.Header.Get("X-Backend"), page)
	}
	if m := clusterCSRF.FindSubmatch(page); m != nil {
		b.csrf = string(m[1])
	}
	return string(page), nil
}

func (b *clusterBrowser) post(t *testing.T, path string, form url.Values) string {
	t.Helper()
	return b.do(t, http.MethodPost, path, form)
}

// start opens the reset page and gives the user name: GET /reset, POST /reset, GET /reset/verify.
func (b *clusterBrowser) start(t *testing.T, user string) {
	t.Helper()
	b.do(t, http.MethodGet, "/reset", nil)
	b.post(t, "/reset", url.Values{"username": {user}})
	if page := b.do(t, http.MethodGet, "/reset/verify", nil); !strings.Contains(page, `name="option"`) {
		t.Fatalf("no method offered to %s:\n%s", user, page)
	}
}

// send asks for a code by option (sms, email).
func (b *clusterBrowser) send(t *testing.T, option string) {
	t.Helper()
	if page := b.post(t, "/reset/send", url.Values{"option": {option}}); !strings.Contains(page, `name="code"`) {
		t.Fatalf("no code page after sending by %s:\n%s", option, page)
	}
}

func distinct(names []string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return slices.Compact(s)
}

// hookServer is the email webhook of every instance (/hook/N for instance N): it records each
// request and answers 200, except the one request after arm, which it holds until its client
// goes away.
type hookServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []hookRequest
	block chan int
}

type hookRequest struct {
	instance int
	key      string // Idempotency-Key
	to, body string
	answered bool
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/hook/%d", &n)
		var p struct{ To, Body string }
		json.NewDecoder(r.Body).Decode(&p)
		h.mu.Lock()
		i := len(h.reqs)
		h.reqs = append(h.reqs, hookRequest{instance: n, key: r.Header.Get("Idempotency-Key"), to: p.To, body: p.Body})
		block := h.block
		h.block = nil
		h.mu.Unlock()
		if block != nil {
			block <- n
			select { // until the instance is killed
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		h.mu.Lock()
		h.reqs[i].answered = true
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

// arm holds the next request; the channel receives its instance's number.
func (h *hookServer) arm() <-chan int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.block = make(chan int, 1)
	return h.block
}

func (h *hookServer) all() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reqs)
}

func (h *hookServer) to(addr string) []hookRequest {
	return slices.DeleteFunc(h.all(), func(r hookRequest) bool { return r.to != addr })
}
