package main

import (
	"bufio"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads the sspr_ series of /metrics on addr (name{labels} → value), histograms by their
// _count; sspr_notify_* and sspr_outbox_* are left out: they count the real outbox, which
// decoys do not use.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "sspr_") || strings.HasPrefix(line, "sspr_notify_") || strings.HasPrefix(line, "sspr_outbox_") ||
			strings.Contains(line, "_bucket{") || strings.Contains(line, "_sum") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// serveWithMetrics syncs the test directory and runs `sspr serve` with server.metricsListen on
// a port of its own; it returns the public and the metrics addresses.
func serveWithMetrics(t *testing.T) (addr, metrics string) {
	t.Helper()
	d := newDirectory(t, nil, "")
	text, addr, _ := serveConfig(t, d.dir)
	metrics = freeAddr(t)
	text = strings.Replace(text, "server:\n", "server:\n  metricsListen: "+metrics+"\n", 1)
	d.writeConfig(t, mustRead(t, d.cfg)+text)
	mustRun(t, d.cfg, "sync")
	startServe(t, d.cfg)
	return addr, metrics
}

func delta(before, after map[string]float64) map[string]float64 {
	d := map[string]float64{}
	for k, v := range after {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

// TestServeMetricsSameForUnknownName: through `sspr serve`'s pages, a real user (alice) and a
// name that matches nobody start a reset, ask for an SMS code and type a wrong one; every sspr_
// series of /metrics (on server.metricsListen) moves by the same amounts for both, except the
// outbox's own (a decoy sends nothing).
func TestServeMetricsSameForUnknownName(t *testing.T) {
	addr, metrics := serveWithMetrics(t)

	browser := func() *clusterBrowser {
		jar, _ := cookiejar.New(nil)
		return &clusterBrowser{base: "http://" + addr, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	// The same steps for a name; the name must be offered sms.
	steps := func(name string) bool {
		b := browser()
		b.do(t, http.MethodGet, "/reset", nil)
		b.post(t, "/reset", url.Values{"username": {name}})
		if page := b.do(t, http.MethodGet, "/reset/verify", nil); !strings.Contains(page, `value="sms"`) {
			return false
		}
		b.send(t, "sms")
		b.try(http.MethodPost, "/reset/code", url.Values{"option": {"sms"}, "code": {"00000000"}})
		return true
	}
	// An unknown name whose decoy page offers sms (decoys are drawn per name).
	unknown := ""
	for i := 0; unknown == "" && i < 40; i++ {
		name := "nobody" + strconv.Itoa(i)
		b := browser()
		b.do(t, http.MethodGet, "/reset", nil)
		b.post(t, "/reset", url.Values{"username": {name}})
		if strings.Contains(b.do(t, http.MethodGet, "/reset/verify", nil), `value="sms"`) {
			unknown = name
		}
	}
	if unknown == "" {
		t.Fatal("no unknown name is offered sms")
	}
	s0 := scrape(t, metrics)
	if !steps("alice") {
		t.Fatal("alice is not offered sms")
	}
	s1 := scrape(t, metrics)
	steps(unknown)
	s2 := scrape(t, metrics)
	known, decoy := delta(s0, s1), delta(s1, s2)
	t.Logf("alice moved %v", known)
	if known[`sspr_flow_codes_total{channel="sms",flow="reset",result="queued"}`] != 1 ||
		known[`sspr_flow_steps_total{flow="reset",method="sms",outcome="proof",step="verify"}`] != 1 {
		t.Errorf("known name: %v", known)
	}
	for _, k := range sortedKeys(known, decoy) {
		if known[k] != decoy[k] {
			t.Errorf("%s: +%v for alice, +%v for %s", k, known[k], decoy[k], unknown)
		}
	}
}

func sortedKeys(ms ...map[string]float64) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}
