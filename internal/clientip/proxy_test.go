package clientip_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/clientip"
	"github.com/sspr/sspr/internal/testenv"
)

// proxySource is the address the proxies connect to the backend from: the only trusted one.
// The test's client connects to the proxies from 127.0.0.1, so it cannot pass for the proxy.
const proxySource = "127.0.0.3"

// seen is what the backend tells about a request.
type seen struct {
	Peer      string   // the TCP peer: the proxy
	Client    string   // clientip's answer
	XFF       []string // the X-Forwarded-For lines it received
	Forwarded []string
}

// backend answers with what clientip makes of each request, trusting only proxySource.
func backend(t *testing.T, header string) *httptest.Server {
	c := clientip.Config{Trusted: []netip.Prefix{netip.MustParsePrefix(proxySource + "/32")}, Header: header}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		_ = json.NewEncoder(w).Encode(seen{Peer: host, Client: c.Address(r),
			XFF: r.Header.Values("X-Forwarded-For"), Forwarded: r.Header.Values("Forwarded")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// forgeries are what a client sends to pass for someone else: one and two X-Forwarded-For
// lines, a forged trusted hop, Forwarded lines (quoted IPv6 with a port, an open quote), and
// both headers at once.
var forgeries = []struct {
	name          string
	xff, forwaded []string
	// openQuote: a proxy that appends its element to the client's line has it swallowed by
	// the open quote; then the proxy (the nearest hop that can be vouched for) is the answer.
	openQuote bool
}{
	{"no header", nil, nil, false},
	{"X-Forwarded-For one line", []string{"203.0.113.7"}, nil, false},
	{"X-Forwarded-For two lines", []string{"203.0.113.7", "198.51.100.9"}, nil, false},
	{"X-Forwarded-For forged proxy hop", []string{"203.0.113.7, " + proxySource}, nil, false},
	{"X-Forwarded-For unknown", []string{"unknown"}, nil, false},
	{"Forwarded one line", nil, []string{"for=203.0.113.7"}, false},
	{"Forwarded two lines", nil, []string{`for="[2001:db8::7]:4711"`, "for=198.51.100.9;proto=https, for=" + proxySource}, false},
	{"Forwarded open quote", nil, []string{`for="203.0.113.7`}, true},
	{"both headers", []string{"203.0.113.7", "198.51.100.9"}, []string{"for=203.0.113.8", "for=198.51.100.10"}, false},
}

// TestRealProxies puts HAProxy and nginx, as Debian ships them, in front of a backend that
// uses clientip, sends forged headers through them and checks the backend sees the real
// client (127.0.0.1), never a forged address. Under SSPR_INTEGRATION=1 or CI a missing proxy
// fails the test.
func TestRealProxies(t *testing.T) {
	proxies := []struct {
		name   string
		header string // what the proxy writes, and so what the backend reads
		start  func(t *testing.T, backend string) *testenv.ReverseProxy
		// appends says the proxy adds its own header line after the client's: what made
		// Header.Get return the forged line.
		appends bool
	}{
		{"haproxy option forwardfor", clientip.HeaderXForwardedFor, func(t *testing.T, be string) *testenv.ReverseProxy {
			return testenv.HAProxy(t, be, "option forwardfor", "source "+proxySource)
		}, true},
		// HAProxy 2.6 (Debian 12) has no "option forwarded" yet: a rule adds the line.
		{"haproxy add-header Forwarded", clientip.HeaderForwarded, func(t *testing.T, be string) *testenv.ReverseProxy {
			return testenv.HAProxy(t, be, "http-request add-header Forwarded for=%[src]", "source "+proxySource)
		}, false},
		{"nginx proxy_add_x_forwarded_for", clientip.HeaderXForwardedFor, func(t *testing.T, be string) *testenv.ReverseProxy {
			return testenv.Nginx(t, be, "proxy_bind "+proxySource+";",
				"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
		}, false},
		// nginx's documented recipe appends to the client's value in the same line.
		{"nginx Forwarded appended", clientip.HeaderForwarded, func(t *testing.T, be string) *testenv.ReverseProxy {
			return testenv.Nginx(t, be, "proxy_bind "+proxySource+";",
				`proxy_set_header Forwarded "$http_forwarded, for=$remote_addr";`)
		}, false},
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, px := range proxies {
		t.Run(px.name, func(t *testing.T) {
			be := backend(t, px.header)
			p := px.start(t, be.Listener.Addr().String())
			for _, f := range forgeries {
				req, err := http.NewRequest("GET", "http://"+p.Addr+"/", nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range f.xff {
					req.Header.Add("X-Forwarded-For", v)
				}
				for _, v := range f.forwaded {
					req.Header.Add("Forwarded", v)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s: %v", f.name, err)
				}
				var s seen
				err = json.NewDecoder(resp.Body).Decode(&s)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("%s: %s: %v", f.name, resp.Status, err)
				}
				t.Logf("%s: X-Forwarded-For %q, Forwarded %q: client %s", f.name, s.XFF, s.Forwarded, s.Client)
				if s.Peer != proxySource {
					t.Fatalf("%s: the backend's peer is %s, not the proxy (%s)", f.name, s.Peer, proxySource)
				}
				if s.Client != "127.0.0.1" && !(f.openQuote && s.Client == proxySource) {
					t.Errorf("%s: client %s, want 127.0.0.1 (X-Forwarded-For %q, Forwarded %q)", f.name, s.Client, s.XFF, s.Forwarded)
				}
				if px.appends && len(f.xff) > 0 && len(s.XFF) != len(f.xff)+1 {
					t.Errorf("%s: %d X-Forwarded-For lines reached the backend, want the client's %d and the proxy's", f.name, len(s.XFF), len(f.xff))
				}
			}
		})
	}
}
