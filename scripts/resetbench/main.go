// Command resetbench measures the reset flow under load on loopback, in one run:
//
//  1. first step: user name → methods page → code queued (POST /reset, GET /reset/verify,
//     POST /reset/send), by many concurrent browsers, half of them for names that match nobody;
//     reported as requests per second and the p50/p99 server time of each request (the
//     Server-Timing header, which excludes the padding that hides unknown names; for the
//     unpadded GET, the client-side latency);
//  2. complete resets end to end: start, SMS code (read from the file channel), verify, new
//     password written back to slapd; reported as resets per second.
//
// It starts a throwaway slapd with -users users, syncs them into SQLite with the sspr binary,
// runs `sspr serve`, and stops everything it started. Run with `make bench-reset`.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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

	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/slapd"
)

const suffix = "dc=bench,dc=test"

var (
	bin      = flag.String("sspr", "bin/sspr", "the sspr binary")
	users    = flag.Int("users", 100000, "users in the directory")
	workers  = flag.Int("workers", 400, "concurrent browsers for the first step")
	duration = flag.Duration("duration", 10*time.Second, "how long the first step is driven")
	resets   = flag.Int("resets", 500, "complete resets to run")
	rworkers = flag.Int("reset-workers", 32, "concurrent browsers for complete resets")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "resetbench:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
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
	os.WriteFile(pw, []byte(srv.AdminPassword), 0o600)
	addr := freeAddr()
	outbox := filepath.Join(dir, "outbox.jsonl")
	cfg := filepath.Join(dir, "sspr.yaml")
	// Every browser comes from 127.0.0.1: the per-IP limits are raised for the benchmark.
	os.WriteFile(cfg, []byte(fmt.Sprintf(`store: sqlite://%s/sspr.db
directory:
  type: openldap
  url: %s
  allowInsecure: true
  bindDN: %s
  bindPasswordFile: %s
  baseDNs: ["ou=people,%s"]
phone:
  defaultRegion: US
server:
  listen: %s
  publicURL: http://%s
  secretFile: %s
notify:
  file: %s
reset:
  throttle:
    startsIP: {max: 100000000, window: 1m}
    failedProofsIP: {max: 100000000, window: 1m, lock: 1m}
log:
  level: warn
`, dir, srv.URL, srv.AdminDN, pw, suffix, addr, addr, secretPath, outbox)), 0o600)
	t0 := time.Now()
	if out, err := exec.Command(abs, "-c", cfg, "sync", "-q").CombinedOutput(); err != nil {
		return fmt.Errorf("sync: %w\n%s", err, out)
	}
	fmt.Printf("resetbench: %d users in slapd, synced into SQLite in %s\n", *users, time.Since(t0).Round(time.Millisecond))

	serve := exec.Command(abs, "-c", cfg, "serve", "--no-sync")
	if p := os.Getenv("RESETBENCH_PROFILE"); p != "" {
		serve.Env = append(os.Environ(), "SSPR_CPUPROFILE="+p)
	}
	serve.Stdout, serve.Stderr = os.Stderr, os.Stderr
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() { serve.Process.Signal(os.Interrupt); serve.Wait() }()
	base := "http://" + addr
	if err := waitUp(base); err != nil {
		return err
	}
	if err := firstStep(base); err != nil {
		return err
	}
	return completeResets(base, outbox)
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

var (
	csrfRE   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	optionRE = regexp.MustCompile(`name="option" id="option-[a-z-]+" value="([a-z-]+)"`)
	timingRE = regexp.MustCompile(`app;dur=([0-9.]+)`)
)

var transport = &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute}

// browser is one simulated user agent: its own cookies, no redirects followed.
type browser struct {
	c    *http.Client
	base string
	csrf string
}

func newBrowser(base string) (*browser, error) {
	jar, _ := cookiejar.New(nil)
	b := &browser{base: base, c: &http.Client{Jar: jar, Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, page, err := b.do("GET", "/reset", nil)
	if err != nil {
		return nil, err
	}
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		return nil, errors.New("no CSRF token")
	}
	b.csrf = m[1]
	return b, nil
}

// do returns the server time (Server-Timing, which every page sets; the client latency if absent).
func (b *browser) do(method, path string, form url.Values) (time.Duration, string, error) {
	var body io.Reader
	if form != nil {
		form.Set("csrf", b.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	t0 := time.Now()
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, "", err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if m := timingRE.FindStringSubmatch(resp.Header.Get("Server-Timing")); m != nil {
		ms, _ := strconv.ParseFloat(m[1], 64)
		d = time.Duration(ms * float64(time.Millisecond))
	}
	if resp.StatusCode >= 400 {
		return d, string(page), fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
	}
	return d, string(page), nil
}

func firstStep(base string) error {
	var mu sync.Mutex
	var times []time.Duration
	var requests, iterations, failures atomic.Int64
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *workers {
		wg.Go(func() {
			b, err := newBrowser(base)
			if err != nil {
				failures.Add(1)
				return
			}
			r := rand.New(rand.NewPCG(uint64(w), 7))
			var local []time.Duration
			for time.Now().Before(deadline) {
				name := fmt.Sprintf("user%07d", r.IntN(*users))
				if r.IntN(2) == 0 {
					name = fmt.Sprintf("nobody%07d", r.IntN(1<<30))
				}
				d1, _, err := b.do("POST", "/reset", url.Values{"username": {name}})
				if err != nil {
					failures.Add(1)
					continue
				}
				d2, page, err := b.do("GET", "/reset/verify", nil)
				if err != nil {
					failures.Add(1)
					continue
				}
				opt := optionRE.FindStringSubmatch(page)
				if opt == nil {
					failures.Add(1)
					continue
				}
				d3, _, err := b.do("POST", "/reset/send", url.Values{"option": {opt[1]}})
				if err != nil {
					failures.Add(1)
					continue
				}
				requests.Add(3)
				iterations.Add(1)
				local = append(local, d1, d2, d3)
			}
			mu.Lock()
			times = append(times, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(times)
	pct := func(p float64) time.Duration {
		if len(times) == 0 {
			return 0
		}
		return times[min(len(times)-1, int(float64(len(times))*p))]
	}
	fmt.Printf("first step (%d browsers, %s, half unknown names): %d requests, %.0f requests/s, %.0f starts/s (name → methods → code queued); server time p50 %s p99 %s max %s; %d failures\n",
		*workers, elapsed.Round(time.Millisecond), requests.Load(), float64(requests.Load())/elapsed.Seconds(),
		float64(iterations.Load())/elapsed.Seconds(), pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond),
		pct(1).Round(10*time.Microsecond), failures.Load())
	return nil
}

// completeResets runs full resets with distinct users, reading the SMS codes from the file channel.
func completeResets(base, outbox string) error {
	codes := newCodeReader(outbox)
	defer codes.stop()
	var done, failures atomic.Int64
	next := atomic.Int64{}
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range *rworkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= *resets {
					return
				}
				if err := oneReset(base, codes, i); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("complete resets (%d browsers): %d done in %s, %.0f resets/s end to end (start, SMS code, verify, writeback to slapd); %d failures\n",
		*rworkers, done.Load(), elapsed.Round(time.Millisecond), float64(done.Load())/elapsed.Seconds(), failures.Load())
	if e := firstErr.Load(); e != nil {
		fmt.Println("  first failure:", e)
	}
	return nil
}

func oneReset(base string, codes *codeReader, i int) error {
	b, err := newBrowser(base)
	if err != nil {
		return err
	}
	// Users from the top of the range: the first step never sent them codes.
	n := *users - 1 - i
	if _, _, err := b.do("POST", "/reset", url.Values{"username": {fmt.Sprintf("user%07d", n)}}); err != nil {
		return err
	}
	if _, _, err := b.do("POST", "/reset/send", url.Values{"option": {"sms"}}); err != nil {
		return err
	}
	code, err := codes.wait(phoneOf(n), 20*time.Second)
	if err != nil {
		return err
	}
	if _, _, err := b.do("POST", "/reset/code", url.Values{"option": {"sms"}, "code": {code}}); err != nil {
		return err
	}
	pw := fmt.Sprintf("Quiet-Harbor-Lantern-%d", n)
	_, page, err := b.do("POST", "/reset/complete", url.Values{"password": {pw}, "confirm": {pw}})
	if err != nil {
		return err
	}
	if strings.Contains(page, `role="alert"`) {
		return fmt.Errorf("complete refused: %s", regexp.MustCompile(`(?s)role="alert"[^>]*>(.*?)<`).FindStringSubmatch(page)[1])
	}
	return nil
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
