// Command resetbench measures the reset flow under load on loopback. Each of -runs runs has two
// phases, and every phase prints the load average before and after it:
//
//  1. first step: user name → methods page → code queued (POST /reset, GET /reset/verify,
//     POST /reset/send), by -workers concurrent browsers for -duration, half of them for names
//     that match nobody; reported as starts/s and requests/s, each request kind's client
//     latency, its server time before padding (only if the server exposes Server-Timing), and the
//     CPU that sspr serve and slapd spent per start (read from /proc, so it does not depend on
//     what else the machine runs);
//  2. complete resets end to end: start, SMS code (read from the file channel), verify, new
//     password written back to slapd, -resets of them by -reset-workers browsers.
//
// Requests that could tell known names from unknown ones are padded to a response floor
// (-floor, written to reset.responseFloor). A browser waits for each padded request, so with
// the padding alone a phase cannot exceed browsers / (padded requests × floor) per second: the
// output prints that ceiling, and says a rate is bounded by padding (a padding ceiling, not a
// server speed) when the floor's wait is at least half of the browsers' time. A request kind
// counts as padded when none of its responses came faster than the floor.
//
// The users never overlap: complete resets take the top -runs × -resets users, a distinct block
// per run, and the first step draws from the users below them, so no code a reset waits for is
// replaced by a first step's. The medians of the runs close the output; the exit status is 1
// if any request failed.
//
// It starts a throwaway slapd with -users users, syncs them into SQLite (or, with -store
// postgres://…, into a database of its own that it creates on that PostgreSQL server and drops
// at the end) with the sspr binary, runs `sspr serve` (with -instances N, N of them on the one
// PostgreSQL store behind HAProxy, round robin, no stickiness), and stops everything it started.
// The CPU per step is counted for sspr serve (all instances), slapd, HAProxy and the PostgreSQL
// server processes of the benchmark's database (when that server runs on this machine). Run
// with `make bench-reset`.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/scripts/internal/benchrun"
	"github.com/sspr/sspr/scripts/internal/resetpages"
)

const suffix = "dc=bench,dc=test"

var (
	bin       = flag.String("sspr", "bin/sspr", "the sspr binary")
	users     = flag.Int("users", 100000, "users in the directory")
	workers   = flag.Int("workers", 400, "concurrent browsers for the first step")
	duration  = flag.Duration("duration", 10*time.Second, "how long the first step is driven, per run")
	resets    = flag.Int("resets", 500, "complete resets per run")
	rworkers  = flag.Int("reset-workers", 32, "concurrent browsers for complete resets")
	floor     = flag.Duration("floor", 250*time.Millisecond, "response floor of the padded requests (reset.responseFloor; 250ms is the product default)")
	runs      = flag.Int("runs", 3, "runs of both phases; each run is printed, then the medians")
	pgServer  = &dsnFlag{}
	instances = flag.Int("instances", 1, "sspr serve processes on the one store, behind HAProxy (round robin) when more than one; more than one needs -store")
)

func init() {
	flag.Var(pgServer, "store", "a PostgreSQL server's URL (postgres://user:password@host:port/db): the store is a database that the benchmark creates there and drops at the end; empty: SQLite")
}

// dsnFlag holds a URL that may carry a password, printed without it.
type dsnFlag struct{ v string }

func (d *dsnFlag) Set(v string) error { d.v = v; return nil }
func (d *dsnFlag) String() string {
	if u, err := url.Parse(d.v); err == nil && u.User != nil {
		return u.Redacted()
	}
	return d.v
}

// benchDatabase creates an empty database on the server, and returns its URL without the
// password (handed to sspr in PGPASSWORD, so that no configuration holds it), the password and
// a function that drops the database.
func benchDatabase(ctx context.Context, server string) (dsn, password string, drop func(), err error) {
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", "", nil, fmt.Errorf("-store: %w", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("sspr_resetbench_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", "", nil, fmt.Errorf("-store: %w", err)
	}
	drop = func() {
		c, err := pgx.Connect(context.Background(), server)
		if err != nil {
			fmt.Fprintln(os.Stderr, "resetbench: drop", name+":", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "resetbench: drop", name+":", err)
		}
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		drop()
		return "", "", nil, errors.New("-store: a postgres:// URL")
	}
	password, _ = u.User.Password()
	u.User = url.User(u.User.Username())
	u.Path = "/" + name
	return u.String(), password, drop, nil
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "resetbench:", err)
		os.Exit(1)
	}
}

// firstStepUsers is how many users (user0000000 up) the first step draws from; the users above
// them are for complete resets.
func firstStepUsers() (int, error) {
	switch {
	case *runs < 1 || *resets < 1 || *workers < 1 || *rworkers < 1:
		return 0, errors.New("-runs, -resets, -workers and -reset-workers must be at least 1")
	case *floor <= 0:
		return 0, errors.New("-floor must be positive (sspr reads 0 as its default)")
	case *users-*runs**resets < 1:
		return 0, fmt.Errorf("-users %d leaves no user for the first step: complete resets take -runs × -resets = %d", *users, *runs**resets)
	}
	return *users - *runs**resets, nil
}

func run() error {
	ctx := context.Background()
	firstUsers, err := firstStepUsers()
	if err != nil {
		return err
	}
	fmt.Printf("resetbench %s, %s\n", time.Now().UTC().Format(time.DateTime+" UTC"), benchrun.Flags(flag.CommandLine))
	fmt.Printf("users: the first step draws from user0..user%d (and as many unknown names); complete resets use user%d..user%d, %d distinct users per run\n",
		firstUsers-1, firstUsers, *users-1, *resets)
	dir, err := os.MkdirTemp("", "sspr-resetbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	abs, _ := filepath.Abs(*bin)

	ldif := filepath.Join(dir, "users.ldif")
	if err := writeUsers(ldif, *users); err != nil {
		return err
	}
	srv, err := slapd.Start(ctx, slapd.Options{Dir: filepath.Join(dir, "slapd"), Suffix: suffix, LDIFFiles: []string{ldif}, NoSync: true})
	if err != nil {
		return err
	}
	defer srv.Stop()
	secretPath := filepath.Join(dir, "secret")
	if _, err := secret.Generate(secretPath); err != nil {
		return err
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(srv.AdminPassword), 0o600); err != nil {
		return err
	}
	storeURL, storeName := "sqlite://"+dir+"/sspr.db", "SQLite"
	env := os.Environ()
	if pgServer.v != "" {
		dsn, password, drop, err := benchDatabase(ctx, pgServer.v)
		if err != nil {
			return err
		}
		defer drop()
		storeURL, storeName = dsn, "PostgreSQL"
		env = append(env, "PGPASSWORD="+password)
	}
	if *instances < 1 || (*instances > 1 && pgServer.v == "") {
		return errors.New("-instances: 1, or more with -store postgres://… (SQLite serves one process)")
	}
	addr := freeAddr() // the one instance, or the balancer
	outbox := filepath.Join(dir, "outbox.jsonl")
	var cfgs, listens []string
	var timingNote string
	for i := range *instances {
		cfg, listen := filepath.Join(dir, fmt.Sprintf("sspr%d.yaml", i+1)), addr
		if *instances > 1 {
			listen = freeAddr()
		}
		timingNote, err = writeConfig(abs, cfg, configValues{store: storeURL, ldapURL: srv.URL, adminDN: srv.AdminDN, pwFile: pw,
			addr: listen, public: addr, secretFile: secretPath, outbox: outbox})
		if err != nil {
			return err
		}
		cfgs, listens = append(cfgs, cfg), append(listens, listen)
	}
	cfg := cfgs[0]
	t0 := time.Now()
	syncCmd := exec.Command(abs, "-c", cfg, "sync", "-q")
	syncCmd.Env = env
	if out, err := syncCmd.CombinedOutput(); err != nil {
		return fmt.Errorf("sync: %w\n%s", err, out)
	}
	fmt.Printf("setup: %d users in slapd, synced into %s in %s; response floor %s; %s\n",
		*users, storeName, time.Since(t0).Round(time.Millisecond), *floor, timingNote)

	var servePIDs []int
	for i, cfg := range cfgs {
		serve := exec.Command(abs, "-c", cfg, "serve", "--no-sync")
		serve.Env = env
		if p := os.Getenv("RESETBENCH_PROFILE"); p != "" {
			serve.Env = append(serve.Env, fmt.Sprintf("SSPR_CPUPROFILE=%s.%d", p, i+1))
		}
		serve.Stdout, serve.Stderr = os.Stderr, os.Stderr
		if err := serve.Start(); err != nil {
			return err
		}
		defer func() { serve.Process.Signal(os.Interrupt); serve.Wait() }()
		if err := waitUp("http://" + listens[i]); err != nil {
			return err
		}
		servePIDs = append(servePIDs, serve.Process.Pid)
	}
	layout = procLayout{serves: len(servePIDs)}
	extra := []int{srv.PID}
	if *instances > 1 {
		lb, err := startHAProxy(dir, addr, listens)
		if err != nil {
			return err
		}
		defer func() { lb.Process.Signal(os.Interrupt); lb.Wait() }()
		layout.proxy = true
		extra = append(extra, lb.Process.Pid)
		fmt.Printf("serving: %d sspr serve on one PostgreSQL behind HAProxy (round robin, no stickiness) on %s\n", *instances, addr)
	}
	base := "http://" + addr
	codes := newCodeReader(outbox)
	defer codes.stop()
	// The processes metered for each phase: the instances, slapd, HAProxy, then the
	// PostgreSQL backends of the benchmark's database as they are at the phase's start.
	procs := func() []int {
		pids := append(slices.Clone(servePIDs), extra...)
		if pgServer.v != "" {
			pids = append(pids, pgBackends(ctx, storeURL, pgPassword(env))...)
		}
		return pids
	}

	var firsts, completes []phase
	for r := range *runs {
		fmt.Printf("\nrun %d/%d\n", r+1, *runs)
		f := firstStep(base, r, firstUsers, procs())
		f.print()
		firsts = append(firsts, f)
		c := completeResets(base, codes, r, firstUsers, procs())
		c.print()
		completes = append(completes, c)
	}
	fmt.Printf("\nmedians of %d runs (min–max):\n", *runs)
	summarize(firsts)
	summarize(completes)
	failed := 0
	for _, p := range append(firsts, completes...) {
		failed += int(p.failures)
	}
	if failed > 0 {
		return fmt.Errorf("%d requests or resets failed", failed)
	}
	return nil
}

type configValues struct {
	store, ldapURL, adminDN, pwFile, addr, secretFile, outbox string
	public                                                    string // the address users reach: addr, or the balancer's
}

// optional are server settings that newer sspr versions know and older ones refuse: asked for
// when this sspr knows them. server.debugTiming sends Server-Timing (the server's time before
// the padding, for benchmarks only; older versions send it unasked); server.metricsListen
// moves the metrics listener off its fixed default port, so that two benchmarks (or a demo)
// can run side by side.
func optional() [][2]string {
	return [][2]string{{"debugTiming", "true"}, {"metricsListen", freeAddr()}}
}

// writeConfig writes the serve configuration and checks it with `sspr config validate`,
// leaving out each optional setting that this sspr does not know. It returns what it did about
// Server-Timing.
func writeConfig(bin, path string, v configValues) (string, error) {
	opts := optional()
	for {
		var extra strings.Builder
		for _, o := range opts {
			fmt.Fprintf(&extra, "  %s: %s\n", o[0], o[1])
		}
		// Every browser comes from 127.0.0.1: the per-IP limits are raised for the benchmark.
		text := benchrun.ServeConfigHead(v.store, v.ldapURL, v.adminDN, v.pwFile, suffix, v.addr, v.public, v.secretFile) + fmt.Sprintf(`%snotify:
  file: %s
reset:
  responseFloor: %s
  throttle:
    startsIP: {max: 100000000, window: 1m}
    failedProofsIP: {max: 100000000, window: 1m, lock: 1m}
log:
  level: warn
`, extra.String(), v.outbox, *floor)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return "", err
		}
		out, err := exec.Command(bin, "-c", path, "config", "validate").CombinedOutput()
		if err == nil {
			if slices.ContainsFunc(opts, func(o [2]string) bool { return o[0] == "debugTiming" }) {
				return "server.debugTiming set (Server-Timing requested)", nil
			}
			return "this sspr has no server.debugTiming setting", nil
		}
		n := len(opts)
		opts = slices.DeleteFunc(opts, func(o [2]string) bool { return strings.Contains(string(out), "server."+o[0]) })
		if len(opts) == n {
			return "", fmt.Errorf("sspr config validate: %w\n%s", err, out)
		}
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitUp(base string) error {
	for range 400 {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return errors.New("sspr serve did not start")
}

var timingRE = regexp.MustCompile(`app;dur=([0-9.]+)`)

var transport = &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute}

// sample is one request's timing: the client's latency (padding included) and, when the server
// sent Server-Timing, its time before the padding.
type sample struct {
	kind      string // "POST /reset"
	client    time.Duration
	server    time.Duration
	hasServer bool
}

// browser is one simulated user agent on the reset pages (its own cookies, no redirects
// followed) with the timings of its requests.
type browser struct {
	*resetpages.Browser
	samples []sample
}

func newBrowser(base string) (*browser, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	b := &browser{}
	pages, err := resetpages.New(base, c, b.record)
	if err != nil {
		return nil, err
	}
	b.Browser = pages
	return b, nil
}

// record keeps one response's timing.
func (b *browser) record(method, path string, resp *http.Response, took time.Duration) {
	s := sample{kind: method + " " + path, client: took}
	if m := timingRE.FindStringSubmatch(resp.Header.Get("Server-Timing")); m != nil {
		ms, _ := strconv.ParseFloat(m[1], 64)
		s.server, s.hasServer = time.Duration(ms*float64(time.Millisecond)), true
	}
	b.samples = append(b.samples, s)
}

// phase is what one run of one phase measured.
type phase struct {
	name     string // "first step" or "complete resets"
	unit     string // "starts" or "resets"
	browsers int
	elapsed  time.Duration
	done     int64 // starts or resets completed
	requests int64
	failures int64
	firstErr string
	// cpu is what sspr serve and slapd spent during the phase (-1: unknown).
	serveCPU, slapdCPU time.Duration
	proxyCPU, pgCPU    time.Duration // HAProxy, PostgreSQL backends; -1 when not metered
	kinds              []kindStats
	loadBefore         string
	loadAfter          string
}

// kindStats are the timings of one request kind in a phase.
type kindStats struct {
	kind                 string
	n                    int
	clientP50, clientP99 time.Duration
	clientMin            time.Duration
	server               bool // Server-Timing seen on every response of this kind
	serverP50, serverP99 time.Duration
	padded               bool
}

func (p *phase) rate() float64 { return float64(p.done) / p.elapsed.Seconds() }

// padded is how many requests of one start or reset were padded to the floor.
func (p *phase) padded() int {
	n := 0
	for _, k := range p.kinds {
		if k.padded {
			n++
		}
	}
	return n
}

// ceiling is the rate the padding alone allows: each browser waits for every padded request.
func (p *phase) ceiling() float64 {
	if p.padded() == 0 {
		return 0
	}
	return float64(p.browsers) / (float64(p.padded()) * floor.Seconds())
}

// paddingShare is the part of the browsers' time spent in padded requests held to the floor:
// padded requests × floor over the time a browser took per start or reset.
func (p *phase) paddingShare() float64 {
	if p.done == 0 {
		return 0
	}
	perDone := p.elapsed.Seconds() * float64(p.browsers) / float64(p.done)
	return min(1, float64(p.padded())*floor.Seconds()/perDone)
}

// verdict says whether the rate is bounded by the padding (the floor takes at least half of
// the browsers' time) or by the server and the machine.
func verdict(share float64) string {
	if share >= 0.5 {
		return fmt.Sprintf("BOUNDED BY PADDING: %.0f%% of the browsers' time is the floor's wait, so the rate is set by the padding, not by the server's speed", 100*share)
	}
	return fmt.Sprintf("the floor's wait is %.0f%% of the browsers' time: the rate is limited by the server and the machine", 100*share)
}

// measure runs fn while metering the CPU of pids and the load average around it.
func measure(p *phase, pids []int, fn func()) {
	p.loadBefore = benchrun.Load()
	m := benchrun.Start(pids...)
	start := time.Now()
	fn()
	p.elapsed = time.Since(start)
	cpu := m.Stop()
	n := layout.serves
	p.serveCPU, p.slapdCPU, p.proxyCPU, p.pgCPU = sumCPU(cpu[:n]), cpu[n], -1, -1
	rest := cpu[n+1:]
	if layout.proxy {
		p.proxyCPU, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		p.pgCPU = sumCPU(rest)
	}
	p.loadAfter = benchrun.Load()
}

func (p *phase) setSamples(samples []sample) {
	by := map[string][]sample{}
	var order []string
	for _, s := range samples {
		if _, ok := by[s.kind]; !ok {
			order = append(order, s.kind)
		}
		by[s.kind] = append(by[s.kind], s)
	}
	slices.Sort(order)
	for _, kind := range order {
		ss := by[kind]
		client := make([]time.Duration, len(ss))
		var server []time.Duration
		for i, s := range ss {
			client[i] = s.client
			if s.hasServer {
				server = append(server, s.server)
			}
		}
		slices.Sort(client)
		slices.Sort(server)
		k := kindStats{kind: kind, n: len(ss), clientP50: pct(client, 0.5), clientP99: pct(client, 0.99), clientMin: client[0]}
		// A wait that is no request (in parentheses) is never padded.
		k.padded = k.clientMin >= *floor && !strings.HasPrefix(kind, "(")
		if len(server) == len(ss) {
			k.server, k.serverP50, k.serverP99 = true, pct(server, 0.5), pct(server, 0.99)
		}
		p.kinds = append(p.kinds, k)
	}
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// cpuPer formats CPU time per start or reset.
func (p *phase) cpuPer(d time.Duration) string {
	if d < 0 || p.done == 0 {
		return "unknown"
	}
	return ms(d / time.Duration(p.done))
}

func (p *phase) print() {
	fmt.Printf("  %s: load average %s before, %s after\n", p.name, p.loadBefore, p.loadAfter)
	switch p.name {
	case "first step":
		fmt.Printf("    %.0f starts/s (name → methods → code queued, half unknown names), %.0f requests/s; %d starts, %d requests in %s by %d browsers; %d failures\n",
			p.rate(), float64(p.requests)/p.elapsed.Seconds(), p.done, p.requests, p.elapsed.Round(time.Millisecond), p.browsers, p.failures)
	default:
		fmt.Printf("    %.0f resets/s end to end (start, SMS code, verify, new password written to slapd); %d done in %s by %d browsers; %d failures\n",
			p.rate(), p.done, p.elapsed.Round(time.Millisecond), p.browsers, p.failures)
	}
	if p.firstErr != "" {
		fmt.Printf("    first failure: %s\n", p.firstErr)
	}
	fmt.Printf("    padding: %d requests per %s never answered faster than the %s floor (padded) → ceiling %.0f %s/s = %d browsers / (%d × %s); %s\n",
		p.padded(), strings.TrimSuffix(p.unit, "s"), *floor, p.ceiling(), p.unit, p.browsers, p.padded(), *floor, verdict(p.paddingShare()))
	fmt.Printf("    CPU per %s (from /proc, independent of the machine's load): sspr serve %s (%d), slapd %s%s\n",
		strings.TrimSuffix(p.unit, "s"), p.cpuPer(p.serveCPU), layout.serves, p.cpuPer(p.slapdCPU), p.otherCPU())
	for _, k := range p.kinds {
		server := "server time: not exposed (no Server-Timing)"
		switch {
		case strings.HasPrefix(k.kind, "("):
			server = "a wait, not a request"
		case k.server:
			server = fmt.Sprintf("server time before padding (Server-Timing) p50 %s p99 %s", ms(k.serverP50), ms(k.serverP99))
		}
		pad := ""
		if k.padded {
			pad = ", never under the floor (padded)"
		}
		fmt.Printf("    %-22s %6d × client latency p50 %s p99 %s%s; %s\n", k.kind, k.n, ms(k.clientP50), ms(k.clientP99), pad, server)
	}
}

// summarize prints the medians of one phase over the runs.
func summarize(ps []phase) {
	var rate, ceiling, share, serveCPU, slapdCPU, proxyCPU, pgCPU benchrun.Series
	var failures int64
	for _, p := range ps {
		rate = append(rate, p.rate())
		ceiling = append(ceiling, p.ceiling())
		share = append(share, p.paddingShare())
		if p.serveCPU >= 0 && p.done > 0 {
			serveCPU = append(serveCPU, float64(p.serveCPU)/float64(time.Millisecond)/float64(p.done))
		}
		if p.slapdCPU >= 0 && p.done > 0 {
			slapdCPU = append(slapdCPU, float64(p.slapdCPU)/float64(time.Millisecond)/float64(p.done))
		}
		if p.proxyCPU >= 0 && p.done > 0 {
			proxyCPU = append(proxyCPU, float64(p.proxyCPU)/float64(time.Millisecond)/float64(p.done))
		}
		if p.pgCPU >= 0 && p.done > 0 {
			pgCPU = append(pgCPU, float64(p.pgCPU)/float64(time.Millisecond)/float64(p.done))
		}
		failures += p.failures
	}
	fmt.Printf("  %s: %s %s/s; padding ceiling %s/s at a %s floor; %s; %d failures\n",
		ps[0].name, rate.Summary("%.0f"), ps[0].unit, ceiling.Summary("%.0f"), *floor, verdict(share.Median()), failures)
	others := ""
	if len(proxyCPU) > 0 {
		others += fmt.Sprintf(", HAProxy %s ms", proxyCPU.Summary("%.2f"))
	}
	if len(pgCPU) > 0 {
		others += fmt.Sprintf(", PostgreSQL %s ms", pgCPU.Summary("%.2f"))
	}
	fmt.Printf("  %s CPU per %s (from /proc): sspr serve (%d) %s ms, slapd %s ms%s\n",
		ps[0].name, strings.TrimSuffix(ps[0].unit, "s"), layout.serves, serveCPU.Summary("%.2f"), slapdCPU.Summary("%.2f"), others)
	for i, k := range ps[0].kinds {
		if !k.server {
			continue
		}
		var p50, p99 benchrun.Series
		for _, p := range ps {
			if i < len(p.kinds) && p.kinds[i].kind == k.kind && p.kinds[i].server {
				p50 = append(p50, float64(p.kinds[i].serverP50)/float64(time.Millisecond))
				p99 = append(p99, float64(p.kinds[i].serverP99)/float64(time.Millisecond))
			}
		}
		fmt.Printf("  %s %s server time before padding (Server-Timing): p50 %s ms, p99 %s ms\n", ps[0].name, k.kind, p50.Summary("%.2f"), p99.Summary("%.2f"))
	}
}

// firstStep drives the first step from many browsers for -duration, with users below
// firstUsers only (run seeds the names).
func firstStep(base string, run, firstUsers int, pids []int) phase {
	p := phase{name: "first step", unit: "starts", browsers: *workers}
	var mu sync.Mutex
	var samples []sample
	var requests, iterations, failures atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		failures.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	measure(&p, pids, func() {
		deadline := time.Now().Add(*duration)
		var wg sync.WaitGroup
		for w := range *workers {
			wg.Go(func() {
				b, err := newBrowser(base)
				if err != nil {
					fail(err)
					return
				}
				b.samples = b.samples[:0] // the browser's own GET /reset is not part of a start
				r := rand.New(rand.NewPCG(uint64(w), uint64(run)))
				for time.Now().Before(deadline) {
					name := fmt.Sprintf("user%07d", r.IntN(firstUsers))
					if r.IntN(2) == 0 {
						name = fmt.Sprintf("nobody%07d", r.IntN(1<<30))
					}
					if err := b.Start(name); err != nil {
						fail(err)
						continue
					}
					requests.Add(3)
					iterations.Add(1)
				}
				mu.Lock()
				samples = append(samples, b.samples...)
				mu.Unlock()
			})
		}
		wg.Wait()
	})
	p.done, p.requests, p.failures = iterations.Load(), requests.Load(), failures.Load()
	if e := firstErr.Load(); e != nil {
		p.firstErr = e.(string)
	}
	p.setSamples(samples)
	return p
}

// completeResets runs -resets full resets, each with its own user from run's block (above
// firstUsers), reading the SMS codes from the file channel.
func completeResets(base string, codes *codeReader, run, firstUsers int, pids []int) phase {
	p := phase{name: "complete resets", unit: "resets", browsers: *rworkers}
	var mu sync.Mutex
	var samples []sample
	var done, failures atomic.Int64
	var firstErr atomic.Value
	next := atomic.Int64{}
	measure(&p, pids, func() {
		var wg sync.WaitGroup
		for range *rworkers {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= *resets {
						return
					}
					b, err := oneReset(base, codes, firstUsers+run**resets+i)
					if b != nil {
						mu.Lock()
						samples = append(samples, b.samples...)
						mu.Unlock()
					}
					if err != nil {
						failures.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
						continue
					}
					done.Add(1)
				}
			})
		}
		wg.Wait()
	})
	p.done, p.failures = done.Load(), failures.Load()
	if e := firstErr.Load(); e != nil {
		p.firstErr = e.(string)
	}
	p.setSamples(samples)
	return p
}

// oneReset resets user n's password; it returns the browser for its timings (nil if none).
func oneReset(base string, codes *codeReader, n int) (*browser, error) {
	b, err := newBrowser(base)
	if err != nil {
		return nil, err
	}
	if _, err := b.Do("POST", "/reset", url.Values{"username": {fmt.Sprintf("user%07d", n)}}); err != nil {
		return b, err
	}
	if _, err := b.Do("POST", "/reset/send", url.Values{"option": {"sms"}}); err != nil {
		return b, err
	}
	t0 := time.Now()
	code, err := codes.wait(phoneOf(n), 20*time.Second)
	if err != nil {
		return b, err
	}
	b.samples = append(b.samples, sample{kind: "(SMS code delivered)", client: time.Since(t0)})
	return b, b.Complete("sms", code, fmt.Sprintf("Quiet-Harbor-Lantern-%d", n))
}

func phoneOf(i int) string { return fmt.Sprintf("+1425%03d%04d", 200+i/10000%800, i%10000) }

// codeReader follows the file channel's JSON lines and hands out SMS codes by destination.
type codeReader struct {
	mu    sync.Mutex
	codes map[string]string
	quit  chan struct{}
}

var lineRE = regexp.MustCompile(`"channel":"sms","to":"(\+\d+)".*?"body":"[^"]*?(\d{8})`)

func newCodeReader(path string) *codeReader {
	c := &codeReader{codes: map[string]string{}, quit: make(chan struct{})}
	go func() {
		var f *os.File
		for f == nil {
			f, _ = os.Open(path)
			select {
			case <-c.quit:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
		defer f.Close()
		r := bufio.NewReader(f)
		var partial string
		for {
			line, err := r.ReadString('\n')
			partial += line
			if err == nil {
				if m := lineRE.FindStringSubmatch(partial); m != nil {
					c.mu.Lock()
					c.codes[m[1]] = m[2]
					c.mu.Unlock()
				}
				partial = ""
				continue
			}
			select {
			case <-c.quit:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return c
}

func (c *codeReader) wait(to string, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		code, ok := c.codes[to]
		c.mu.Unlock()
		if ok {
			return code, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "", fmt.Errorf("no SMS code for %s", to)
}

func (c *codeReader) stop() { close(c.quit) }

func writeUsers(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: bench\ndc: bench\n\n", suffix)
	fmt.Fprintf(w, "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n", suffix)
	for i := range n {
		p := phoneOf(i)
		fmt.Fprintf(w, "dn: uid=user%07d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: user%07d\ncn: User %d\nsn: %d\n"+
			"displayName: Bench User %d\nmobile: +1 %s %s %s\nuserPassword: Initial-Secret-%d\n\n",
			i, suffix, i, i, i, i, p[2:5], p[5:8], p[8:], i)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
