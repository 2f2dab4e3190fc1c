// Package transport holds what the network channels share: the loopback test for settings
// allowed only towards this machine, and a hardened HTTP client.
package transport

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// IsLoopback reports whether host (a name or an IP, without port) is this machine:
// localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckURL validates an endpoint URL: https, or http towards the loopback only (tests, a local
// relay), with a host and no user info (credentials belong in secret files).
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	switch {
	case u.Host == "":
		return errors.New("no host; want https://host/path")
	case u.User != nil:
		return errors.New("credentials in the URL are not allowed; use the secret file keys")
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
	case u.Scheme == "http":
		return fmt.Errorf("http:// is allowed only towards 127.0.0.1 or localhost, not %q; use https://", u.Hostname())
	default:
		return fmt.Errorf("scheme %q not supported; use https://", u.Scheme)
	}
	return nil
}

// MaxResponseBytes is how much of a response body is read.
const MaxResponseBytes = 64 << 10

// NewHTTPClient returns a client for provider APIs: TLS 1.2 or later, proxies from the
// environment, timeout as given, and redirects followed only within the same host (at most 3).
func NewHTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	tr.MaxIdleConnsPerHost = 4
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
				return fmt.Errorf("redirect to another host (%s) refused", req.URL.Host)
			}
			return nil
		},
	}
}

// ReadBody reads at most MaxResponseBytes of resp's body, drains a little more so the
// connection can be reused, and closes it.
func ReadBody(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBytes))
	return b
}

// Retryable reports whether an HTTP status is worth retrying: 429 and 5xx (and 408).
func Retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500
}

// Snippet returns a short, printable excerpt of a response body for an error text, or "" when
// it holds nothing readable. JSON bodies with "message"/"error" fields give those.
func Snippet(body []byte) string {
	var j struct {
		Code    any    `json:"code"`
		Message string `json:"message"`
		Error   any    `json:"error"`
	}
	if json.Unmarshal(body, &j) == nil {
		var parts []string
		if j.Code != nil {
			parts = append(parts, fmt.Sprintf("code %v", j.Code))
		}
		if j.Message != "" {
			parts = append(parts, j.Message)
		}
		if s, ok := j.Error.(string); ok && s != "" {
			parts = append(parts, s)
		}
		if len(parts) > 0 {
			return clip(strings.Join(parts, ": "))
		}
	}
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, string(body))
	return clip(strings.Join(strings.Fields(s), " "))
}

func clip(s string) string {
	const n = 300
	if len(s) > n {
		for i := n; i > 0; i-- {
			if s[i]&0xc0 != 0x80 {
				return s[:i] + "…"
			}
		}
	}
	return s
}
