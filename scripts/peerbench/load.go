package main

import (
	"encoding/json"
	"errors"
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
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sspr/sspr/scripts/internal/benchrun"
)

// system is one product under test, driven by the same load generator.
type system interface {
	// newStarter returns one browser's first step: the name (or email) typed, the code asked
	// for; it returns when the server has accepted the request to send a code.
	newStarter() (func(name string) error, error)
	// reset runs a complete reset of user n: first step, code read from the receiver, code
	// proved, and the password set when the phase says so.
	reset(n int, setPassword bool) error
}

// meter reads the CPU the metered processes have used so far, by role.
type meter struct {
	roles []string
	read  []func() (time.Duration, error)
}

func (m *meter) add(role string, read func() (time.Duration, error)) {
	m.roles, m.read = append(m.roles, role), append(m.read, read)
}

func (m *meter) now() []time.Duration {
	out := make([]time.Duration, len(m.read))
	for i, r := range m.read {
		d, err := r()
		if err != nil {
			d = -1
		}
		out[i] = d
	}
	return out
}

// settle waits until the processes are idle or steady (less than 2 % of a core, or no more
// than a quarter above the previous half second), at most limit, so that a server's start-up
// work is not billed to the first phase; then it returns what each spends per second idle
// (a courier polling its queue, background jobs), over one second.
func (m *meter) settle(limit time.Duration) []time.Duration {
	deadline := time.Now().Add(limit)
	prev, last := time.Duration(-1), sumKnown(m.now())
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		cur := sumKnown(m.now())
		d := cur - last
		if d < 10*time.Millisecond || (prev >= 0 && d <= prev+prev/4) {
			break
		}
		prev, last = d, cur
	}
	before := m.now()
	time.Sleep(time.Second)
	after := m.now()
	idle := make([]time.Duration, len(after))
	for i := range after {
		idle[i] = after[i] - before[i]
		if before[i] < 0 || after[i] < 0 {
			idle[i] = -1
		}
	}
	return idle
}

func sumKnown(ds []time.Duration) time.Duration {
	var s time.Duration
	for _, d := range ds {
		if d > 0 {
			s += d
		}
	}
	return s
}

// result is what one phase of one system measured.
type result struct {
	system, phase string // "sspr", "first step"
	unit          string // "starts" or "resets"
	done          int64
	failures      int64
	notStarted    int64 // complete resets left out at the time limit
	firstErr      string
	elapsed       time.Duration
	roles         []string
	cpu           []time.Duration // per role, -1 unknown
	// generator is this process's own CPU over the phase (the load generator: its browsers,
	// the code receiver), printed beside the total and not in it: on a machine whose cores the
	// generator shares, it is why throughput ratios sit below CPU ratios.
	generator  time.Duration
	loadBefore string
	loadAfter  string
}

func (r *result) rate() float64 { return float64(r.done) / r.elapsed.Seconds() }

// cpuPer is the CPU of role i per step in milliseconds, -1 if unknown.
func (r *result) cpuPer(i int) float64 {
	if r.cpu[i] < 0 || r.done == 0 {
		return -1
	}
	return float64(r.cpu[i]) / float64(time.Millisecond) / float64(r.done)
}

// generatorPer is the load generator's CPU per step in milliseconds, -1 if unknown.
func (r *result) generatorPer() float64 {
	if r.generator <= 0 || r.done == 0 {
		return -1
	}
	return float64(r.generator) / float64(time.Millisecond) / float64(r.done)
}

// totalPer is the CPU of every metered process per step in milliseconds, -1 if any is unknown.
func (r *result) totalPer() float64 {
	var t float64
	for i := range r.cpu {
		c := r.cpuPer(i)
		if c < 0 {
			return -1
		}
		t += c
	}
	return t
}

// measure runs fn between two readings of the meter and of the load average.
func measure(m *meter, r *result, fn func()) {
	r.roles = m.roles
	r.loadBefore = benchrun.Load()
	before, genBefore := m.now(), selfCPU()
	start := time.Now()
	fn()
	r.elapsed = time.Since(start)
	after := m.now()
	r.generator = selfCPU() - genBefore
	r.loadAfter = benchrun.Load()
	r.cpu = make([]time.Duration, len(after))
	for i := range after {
		if before[i] < 0 || after[i] < 0 {
			r.cpu[i] = -1
			continue
		}
		r.cpu[i] = after[i] - before[i]
	}
}

// selfCPU is the CPU this process has spent (user and system), 0 if unknown.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// failures counts failed steps and keeps the first error.
type failures struct {
	n     atomic.Int64
	first atomic.Value
}

func (f *failures) add(err error) {
	f.n.Add(1)
	f.first.CompareAndSwap(nil, err.Error())
}

func (f *failures) fill(r *result) {
	r.failures = f.n.Load()
	if e := f.first.Load(); e != nil {
		r.firstErr = e.(string)
	}
}

// drive runs workers browsers between two readings of the meter: each gets its step function
// from worker and calls it until it says there is no more to do; a step that returns an error
// counts as a failure, any other as done.
func drive(m *meter, r *result, workers int, worker func(w int) (step func() (more bool, err error), err error)) {
	var done atomic.Int64
	var fail failures
	measure(m, r, func() {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				step, err := worker(w)
				if err != nil {
					fail.add(err)
					return
				}
				for {
					more, err := step()
					switch {
					case !more:
						return
					case err != nil:
						fail.add(err)
					default:
						done.Add(1)
					}
				}
			})
		}
		wg.Wait()
	})
	r.done = done.Load()
	fail.fill(r)
}

// firstStep drives sys's first step from workers browsers for d; half of the names are unknown,
// the known ones taken in turn (each once a run while there are more names than starts).
// name(i, known) spells user i's name (or an unknown one) as the system expects it.
func firstStep(sys system, m *meter, workers int, d time.Duration, users, run int, name func(i int, known bool) string) result {
	r := result{unit: "starts"}
	deadline := time.Now().Add(d)
	drive(m, &r, workers, func(w int) (func() (bool, error), error) {
		start, err := sys.newStarter()
		if err != nil {
			return nil, err
		}
		rnd := rand.New(rand.NewPCG(uint64(w), uint64(run)))
		k := 0
		return func() (bool, error) {
			if time.Now().After(deadline) {
				return false, nil
			}
			var n string
			if rnd.IntN(2) == 0 {
				n = name(rnd.IntN(1<<30), false)
			} else {
				// Each worker walks its own share of the known names, so a run asks for a
				// name's code once until every name has had its turn: a name drawn again and
				// again would meet the product's per-user send limit (5 an hour) across runs.
				n = name((w+workers*k)%users, true)
				k++
			}
			return true, start(n)
		}, nil
	})
	return r
}

// completeResets runs resets complete resets of users from..from+resets-1 by workers browsers;
// none is started after limit (a system that fails slowly, Kratos on SQLite, would take hours).
func completeResets(sys system, m *meter, workers, from, resets int, setPassword bool, limit time.Duration) result {
	r := result{unit: "resets"}
	var next, started atomic.Int64
	deadline := time.Now().Add(limit)
	drive(m, &r, workers, func(int) (func() (bool, error), error) {
		return func() (bool, error) {
			if time.Now().After(deadline) {
				return false, nil
			}
			i := int(next.Add(1)) - 1
			if i >= resets {
				return false, nil
			}
			started.Add(1)
			return true, sys.reset(from+i, setPassword)
		}, nil
	})
	r.notStarted = int64(resets) - started.Load()
	return r
}

// receiver is the HTTP endpoint both systems deliver their codes to: sspr's SMS webhook
// ({"channel":"sms","to":"+1…","body":"… 12345678 …"}) and Kratos's HTTP courier
// ({"to":"user…@bench.test","recovery_code":"123456",…}). It keeps the last code per address.
type receiver struct {
	mu       sync.Mutex
	codes    map[string]string
	messages atomic.Int64
	srv      *http.Server
	url      string
}

// codeWait is how long a complete reset waits for its code: Kratos's courier, starved of CPU
// while 32 browsers' bcrypt runs on two cores, was seen to take more than 20 s.
const codeWait = 30 * time.Second

var bodyCodeRE = regexp.MustCompile(`\b(\d{6,12})\b`)

// parseMessage returns the destination and the code of a delivered message.
func parseMessage(body []byte) (to, code string, err error) {
	var m struct {
		To           string `json:"to"`
		Body         string `json:"body"`
		RecoveryCode string `json:"recovery_code"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return "", "", fmt.Errorf("message: %w", err)
	}
	code = m.RecoveryCode
	if code == "" {
		if c := bodyCodeRE.FindStringSubmatch(m.Body); c != nil {
			code = c[1]
		}
	}
	if m.To == "" || code == "" {
		return "", "", errors.New("message without a destination or a code")
	}
	return m.To, code, nil
}

func startReceiver() (*receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{codes: map[string]string{}, url: "http://" + l.Addr().String() + "/messages"}
	rc.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		to, code, err := parseMessage(b)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.messages.Add(1)
		rc.mu.Lock()
		rc.codes[to] = code
		rc.mu.Unlock()
	})}
	go rc.srv.Serve(l)
	return rc, nil
}

// wait returns the code delivered to to (and forgets it), waiting at most limit.
func (rc *receiver) wait(to string, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		code, ok := rc.codes[to]
		delete(rc.codes, to)
		rc.mu.Unlock()
		if ok {
			return code, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "", fmt.Errorf("no code delivered to %s in %s", to, limit)
}

func (rc *receiver) stop() { rc.srv.Close() }

var transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}

// secureJar keeps cookies as a browser on https would: Kratos outside its --dev mode sets its
// CSRF and session cookies Secure, and the benchmark talks plain HTTP on loopback.
type secureJar struct{ *cookiejar.Jar }

func asHTTPS(u *url.URL) *url.URL { c := *u; c.Scheme = "https"; return &c }

func (j secureJar) SetCookies(u *url.URL, cs []*http.Cookie) { j.Jar.SetCookies(asHTTPS(u), cs) }
func (j secureJar) Cookies(u *url.URL) []*http.Cookie        { return j.Jar.Cookies(asHTTPS(u)) }

// newClient is one browser: its own cookies, no redirects followed.
func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: secureJar{jar}, Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// clientAddr is a random address in 10.0.0.0/8: each start comes from its own user, at its own
// address, as behind a load balancer (sspr trusts 127.0.0.1's X-Forwarded-For here), so that
// sspr's per-address throttle counts what one user does, not the whole benchmark's traffic.
func clientAddr() string {
	n := rand.Uint32()
	return fmt.Sprintf("10.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff)
}

// send sends one request with body of type contentType (none when body is nil), asking for
// accept (any when empty), from client address ip (X-Forwarded-For, when set), and returns the
// status and the answer.
func send(c *http.Client, method, u, contentType string, body io.Reader, accept, ip string) (int, []byte, error) {
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return 0, nil, err
	}
	if ip != "" {
		req.Header.Set("X-Forwarded-For", ip)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// startServer starts cmd (its output to our stderr) and waits until health answers; stop
// interrupts it and waits for it to end.
func startServer(cmd *exec.Cmd, health string, limit time.Duration) (pid int, stop func(), err error) {
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	stop = func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
	if err := waitHTTP(health, limit); err != nil {
		stop()
		return 0, nil, fmt.Errorf("%s: %w", filepath.Base(cmd.Path), err)
	}
	return cmd.Process.Pid, stop, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitHTTP waits until url answers at all.
func waitHTTP(u string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s does not answer after %s", u, limit)
}
