package testenv

import (
	"fmt"
	"strings"
	"testing"
)

// HAProxyBalance starts Debian's haproxy on 127.0.0.1 in front of several backends
// (host:port), round robin and without stickiness: each request, keep-alive or not, goes to the
// next backend that is up (checked every 200 ms; a request to one that just died is sent to
// another). Each response names its backend in the header X-Backend ("s1", "s2", ... in the
// order given). lines go into its listen section.
func HAProxyBalance(t testing.TB, backends []string, lines ...string) *ReverseProxy {
	t.Helper()
	var servers strings.Builder
	for i, b := range backends {
		fmt.Fprintf(&servers, "  server s%d %s check inter 200ms fall 1 rise 1\n", i+1, b)
	}
	return runProxy(t, "haproxy", "haproxy.cfg", func(dir, addr string) string {
		return fmt.Sprintf(`global
  maxconn 256
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 3
  option redispatch 1
listen sspr_test
  bind %s
  balance roundrobin
  http-reuse never
  http-response set-header X-Backend %%s
  %s
%s`, addr, strings.Join(lines, "\n  "), servers.String())
	}, func(dir, conf string) []string { return []string{"-db", "-f", conf} })
}
