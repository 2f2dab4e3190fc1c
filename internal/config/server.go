package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"

	"github.com/sspr/sspr/internal/clientip"
	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/notify/file"
	"github.com/sspr/sspr/internal/notify/smtp"
	"github.com/sspr/sspr/internal/notify/twilio"
	"github.com/sspr/sspr/internal/notify/webhook"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/secret"
)

// Server configures `sspr serve`: the end-user pages (and, later, the admin API).
type Server struct {
	Listen string `yaml:"listen"`
	// PublicURL is the only base for links in pages and mails; never the request's Host.
	PublicURL   string `yaml:"publicURL"`
	TLSCertFile string `yaml:"tlsCertFile"`
	TLSKeyFile  string `yaml:"tlsKeyFile"`
	// TrustedProxies are the reverse proxies' addresses or prefixes: only a peer in them may
	// tell the client's address, in ProxyHeader (internal/clientip).
	TrustedProxies []string `yaml:"trustedProxies"`
	// ProxyHeader is the header the trusted proxies write: X-Forwarded-For (default) or
	// Forwarded (RFC 7239). The other one is ignored: a proxy passes it on from the client.
	ProxyHeader string `yaml:"proxyHeader"`
	// IPv6ThrottlePrefix is the network an IPv6 client is counted by in the per-IP throttles
	// (default 64: one subscriber has a /64 at least; 128 counts each address).
	IPv6ThrottlePrefix int `yaml:"ipv6ThrottlePrefix"`
	// SecretFile holds the server secret (≥ 32 bytes) that keys code MACs, CSRF tokens and
	// the outbox's sealed bodies. Every instance behind one store needs the same secret.
	SecretFile string `yaml:"secretFile"`
	// MetricsListen is where Prometheus metrics are served (/metrics), never on the public
	// listener: default 127.0.0.1:9464; "none" serves none. When the default address is busy
	// (another instance on this host), serve goes on without metrics and says so.
	MetricsListen string `yaml:"metricsListen"`
	// DebugTiming adds Server-Timing (the server's time before padding) to every response:
	// for benchmarks only; it undoes the response floor, and config validate warns about it.
	DebugTiming bool `yaml:"debugTiming"`
}

// Notify says how each channel is delivered.
type Notify struct {
	Email NotifyChannel `yaml:"email"`
	SMS   NotifyChannel `yaml:"sms"`
	Voice NotifyChannel `yaml:"voice"`
	// File appends every message of a channel without a provider as a JSON line (demo, tests).
	File string `yaml:"file"`
	// Console prints every message of a channel without a provider (demo).
	Console bool `yaml:"console"`
}

// NotifyChannel is one channel's provider: at most one of them.
type NotifyChannel struct {
	SMTP    *smtp.Config    `yaml:"smtp"`
	Twilio  *twilio.Config  `yaml:"twilio"`
	Webhook *webhook.Config `yaml:"webhook"`
}

// Defaults of the server section.
const (
	DefaultListen        = "127.0.0.1:8080"
	DefaultMetricsListen = "127.0.0.1:9464"
	// NoMetrics as server.metricsListen serves no metrics.
	NoMetrics = "none"
)

func (c *Config) applyServerDefaults() {
	if c.Server.Listen == "" {
		c.Server.Listen = DefaultListen
	}
	if c.Server.PublicURL == "" {
		c.Server.PublicURL = "http://" + c.Server.Listen
	}
	if c.Server.MetricsListen == "" {
		c.Server.MetricsListen = DefaultMetricsListen
	}
	if c.Server.ProxyHeader == "" {
		c.Server.ProxyHeader = clientip.HeaderXForwardedFor
	}
	if c.Server.IPv6ThrottlePrefix == 0 {
		c.Server.IPv6ThrottlePrefix = clientip.DefaultIPv6Prefix
	}
	c.Reset = c.Reset.WithDefaults()
	c.Registration = c.Registration.WithDefaults()
	c.Reminders = c.Reminders.WithDefaults()
	c.Notifications = c.Notifications.WithDefaults()
	c.Console = c.Console.WithDefaults()
	c.Branding = c.Branding.WithDefaults()
	d := password.Default()
	if c.Password.MinLength == 0 {
		c.Password.MinLength = d.MinLength
	}
	if c.Password.MaxLength == 0 {
		c.Password.MaxLength = d.MaxLength
	}
	if c.Password.MinScore == 0 {
		c.Password.MinScore = d.MinScore
	}
	for _, ch := range []*NotifyChannel{&c.Notify.Email, &c.Notify.SMS, &c.Notify.Voice} {
		if ch.SMTP != nil {
			*ch.SMTP = ch.SMTP.WithDefaults()
		}
		if ch.Twilio != nil {
			*ch.Twilio = ch.Twilio.WithDefaults()
		}
		if ch.Webhook != nil {
			*ch.Webhook = ch.Webhook.WithDefaults()
		}
	}
}

func (c *Config) readServerSecrets() []Problem {
	var ps []Problem
	read := func(key, path string, dst *secret.Value) {
		if path == "" {
			return
		}
		s, err := secret.ReadFile(path)
		if err != nil {
			ps = append(ps, Problem{Key: key, Message: err.Error()})
			return
		}
		*dst = s
	}
	for name, ch := range map[string]*NotifyChannel{"email": &c.Notify.Email, "sms": &c.Notify.SMS, "voice": &c.Notify.Voice} {
		prefix := "notify." + name
		if ch.SMTP != nil {
			read(prefix+".smtp.passwordFile", ch.SMTP.PasswordFile, &ch.SMTP.Password)
		}
		if ch.Twilio != nil {
			read(prefix+".twilio.authTokenFile", ch.Twilio.AuthTokenFile, &ch.Twilio.AuthToken)
		}
		if ch.Webhook != nil {
			read(prefix+".webhook.headerValueFile", ch.Webhook.HeaderValueFile, &ch.Webhook.HeaderValue)
		}
	}
	return ps
}

func (c *Config) validateServer() []Problem {
	var l problem.List
	add := l.Add
	s := c.Server
	if _, err := netip.ParseAddrPort(s.Listen); err != nil && !strings.HasPrefix(s.Listen, ":") {
		add("server.listen", "%q: use host:port, such as 127.0.0.1:8080", s.Listen)
	}
	if _, err := netip.ParseAddrPort(s.MetricsListen); err != nil && s.MetricsListen != NoMetrics && !strings.HasPrefix(s.MetricsListen, ":") {
		add("server.metricsListen", "%q: use host:port, such as 127.0.0.1:9464, or none", s.MetricsListen)
	} else if s.MetricsListen == s.Listen {
		add("server.metricsListen", "%q is server.listen: metrics must not be on the public listener (they count what each flow did)", s.MetricsListen)
	}
	if u, err := url.Parse(s.PublicURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" && u.Path != "/" {
		add("server.publicURL", "%q: an absolute http(s) URL without a path, such as https://sspr.contoso.com", s.PublicURL)
	}
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		add("server.tlsCertFile", "set both tlsCertFile and tlsKeyFile, or neither")
	}
	for _, f := range []struct{ key, path string }{{"server.tlsCertFile", s.TLSCertFile}, {"server.tlsKeyFile", s.TLSKeyFile}, {"server.secretFile", s.SecretFile}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				add(f.key, "%v", err)
			}
		}
	}
	for i, p := range s.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				add(fmt.Sprintf("server.trustedProxies[%d]", i), "%q is not an address or CIDR prefix", p)
			}
		}
	}
	if !strings.EqualFold(s.ProxyHeader, clientip.HeaderXForwardedFor) && !strings.EqualFold(s.ProxyHeader, clientip.HeaderForwarded) {
		add("server.proxyHeader", "%q: X-Forwarded-For or Forwarded, the header your proxies write", s.ProxyHeader)
	}
	if s.IPv6ThrottlePrefix < 32 || s.IPv6ThrottlePrefix > 128 {
		add("server.ipv6ThrottlePrefix", "%d: a prefix length from 32 to 128 (64 counts a subscriber's /64 as one client)", s.IPv6ThrottlePrefix)
	}
	for _, p := range c.Reset.Problems() {
		key, msg, _ := strings.Cut(p, ": ")
		add("reset."+key, "%s", msg)
	}
	for _, p := range c.Registration.Problems() {
		key, msg, _ := strings.Cut(p, ": ")
		add("registration."+key, "%s", msg)
	}
	for _, p := range c.Reminders.Problems() {
		key, msg, _ := strings.Cut(p, ": ")
		add("reminders."+key, "%s", msg)
	}
	for _, p := range c.Notifications.Problems() {
		key, msg, _ := strings.Cut(p, ": ")
		add("notifications."+key, "%s", msg)
	}
	for _, p := range c.Console.Problems() {
		add("console."+p.Key, "%s", p.Message)
	}
	l.Under("branding", c.Branding.Validate())
	for _, p := range c.I18N.Problems() {
		key, msg, _ := strings.Cut(p, ": ")
		add("i18n."+key, "%s", msg)
	}
	if err := c.Password.Validate(); err != nil {
		add("password", "%v", err)
	}
	for name, ch := range map[string]NotifyChannel{"email": c.Notify.Email, "sms": c.Notify.SMS, "voice": c.Notify.Voice} {
		prefix := "notify." + name
		n := 0
		check := func(provider string, err error) {
			n++
			l.Under(prefix+"."+provider, err)
		}
		if ch.SMTP != nil {
			if name != "email" {
				add(prefix+".smtp", "smtp delivers email only")
			}
			check("smtp", ch.SMTP.Validate())
		}
		if ch.Twilio != nil {
			if name == "email" {
				add(prefix+".twilio", "twilio delivers sms and voice only")
			}
			check("twilio", ch.Twilio.Validate())
		}
		if ch.Webhook != nil {
			check("webhook", ch.Webhook.Validate())
		}
		if n > 1 {
			add(prefix, "configure one provider, not %d", n)
		}
	}
	if c.Notify.File != "" {
		l.Under("notify.file", (file.Config{Path: c.Notify.File}).Validate())
	}
	return l.Problems
}

// ClientIP returns how the server tells a request's client (validated by Load).
func (s Server) ClientIP() clientip.Config {
	return clientip.Config{Trusted: s.ParsedProxies(), Header: s.ProxyHeader, IPv6Prefix: s.IPv6ThrottlePrefix}
}

// ParsedProxies returns server.trustedProxies as prefixes (validated by Load).
func (s Server) ParsedProxies() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s.TrustedProxies {
		if pre, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pre)
		} else if a, err := netip.ParseAddr(p); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}
