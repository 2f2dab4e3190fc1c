package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/secret"
)

// CheckServe reports what `sspr serve` needs beyond what Load checks, so that a configuration
// that passes starts and works: the server secret (present, readable, at least
// secret.MinLength bytes), a public URL users can reach (https; http only towards the
// loopback), and a delivery channel for every enabled reset method (email, sms, voice; the
// questions need none). Problems make `sspr config validate` fail; warnings (a secret file
// others may read) are printed and do not.
func (c Config) CheckServe() (problems, warnings []Problem) {
	var ps, ws problem.List
	s := c.Server
	switch fi, err := os.Stat(s.SecretFile); {
	case s.SecretFile == "":
		ps.Add("server.secretFile", "required: a file of at least %d random bytes that keys codes, CSRF tokens and the outbox (head -c 48 /dev/urandom | base64 > FILE; chmod 600 FILE)", secret.MinLength)
	case err != nil:
		ps.Add("server.secretFile", "%v", err)
	case fi.IsDir():
		ps.Add("server.secretFile", "%s is a directory, not a file", s.SecretFile)
	default:
		if _, err := secret.Load(s.SecretFile); err != nil {
			ps.Add("server.secretFile", "%s", strings.TrimPrefix(err.Error(), "server secret: "))
		}
	}
	for _, f := range c.secretFiles() {
		if fi, err := os.Stat(f.path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			ws.Add(f.key, "%s is readable by others than its owner (mode %04o): chmod 600 %s", f.path, fi.Mode().Perm(), f.path)
		}
	}

	if u, err := url.Parse(s.PublicURL); err == nil && u.Host != "" {
		switch {
		case u.Scheme == "https":
		case u.Scheme == "http" && loopback(u.Hostname()):
		case u.Scheme == "http":
			ps.Add("server.publicURL", "%q: use https:// (links in mails and pages would send users to a page without TLS); http:// only for 127.0.0.1 or localhost", s.PublicURL)
		}
	} // else Load reported it

	channels := map[string]NotifyChannel{flow.MethodEmail: c.Notify.Email, flow.MethodSMS: c.Notify.SMS, flow.MethodVoice: c.Notify.Voice}
	fallback := c.Notify.File != "" || c.Notify.Console
	for _, m := range c.Reset.Methods {
		ch, delivered := channels[m]
		if !delivered || fallback || ch.SMTP != nil || ch.Twilio != nil || ch.Webhook != nil {
			continue
		}
		ps.Add("notify."+m, "reset.methods enables %s but no channel delivers it: configure notify.%s (%s), notify.file or notify.console", m, m, providers(m))
	}
	if c.Notifications.On() && !fallback && c.Notify.Email.SMTP == nil && c.Notify.Email.Webhook == nil {
		ps.Add("notify.email", "notifications.administrators are told by email but no channel delivers it: configure notify.email (%s), notify.file or notify.console", providers(flow.MethodEmail))
	}
	if s.DebugTiming {
		ws.Add("server.debugTiming", "on: every response carries Server-Timing, the server's time before the response floor, which tells real names from unknown ones; for benchmarks only")
	}
	if a, err := netip.ParseAddrPort(s.MetricsListen); err == nil && !a.Addr().IsLoopback() {
		ws.Add("server.metricsListen", "%s is not a loopback address: let only your monitoring reach it (the counters describe every flow)", s.MetricsListen)
	}
	return ps.Problems, ws.Problems
}

type secretFile struct{ key, path string }

// secretFiles lists every secret file the configuration names, by key.
func (c Config) secretFiles() []secretFile {
	fs := []secretFile{{"server.secretFile", c.Server.SecretFile}, {"directory.bindPasswordFile", c.Directory.BindPasswordFile}, {"storePasswordFile", c.StorePasswordFile}}
	for _, ch := range []struct {
		name string
		ch   NotifyChannel
	}{{"email", c.Notify.Email}, {"sms", c.Notify.SMS}, {"voice", c.Notify.Voice}} {
		prefix := "notify." + ch.name
		if p := ch.ch.SMTP; p != nil {
			fs = append(fs, secretFile{prefix + ".smtp.passwordFile", p.PasswordFile})
		}
		if p := ch.ch.Twilio; p != nil {
			fs = append(fs, secretFile{prefix + ".twilio.authTokenFile", p.AuthTokenFile})
		}
		if p := ch.ch.Webhook; p != nil {
			fs = append(fs, secretFile{prefix + ".webhook.headerValueFile", p.HeaderValueFile})
		}
	}
	out := fs[:0]
	for _, f := range fs {
		if f.path != "" {
			out = append(out, f)
		}
	}
	return out
}

func providers(method string) string {
	if method == flow.MethodEmail {
		return "smtp or webhook"
	}
	return "twilio or webhook"
}

// loopback reports whether host is localhost or a loopback address.
func loopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Describe says in one line what the configuration reads and where it keeps its data, with no
// secret in it.
func (c Config) Describe() string {
	src := c.Directory.URL
	if src == "" {
		src = c.Directory.File
	}
	return fmt.Sprintf("directory %s %s, store %s", c.Directory.Type, src, RedactURL(c.Store))
}
