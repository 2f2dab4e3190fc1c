package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/sspr/sspr/internal/secret"
)

// EnvStorePasswordFile names the file of the PostgreSQL store's password, instead of
// storePasswordFile.
const EnvStorePasswordFile = "SSPR_STORE_PASSWORD_FILE"

// readStoreSecret reads the PostgreSQL password from storePasswordFile or
// $SSPR_STORE_PASSWORD_FILE (which wins).
func (c *Config) readStoreSecret(env Env) []Problem {
	path, key := c.StorePasswordFile, "storePasswordFile"
	if p := env(EnvStorePasswordFile); p != "" {
		path, key = p, EnvStorePasswordFile
	}
	if path == "" {
		return nil
	}
	if kind, _, err := ParseStore(c.Store); err == nil && kind != StorePostgres {
		return []Problem{{Key: key, Message: "only a postgres:// store has a password"}}
	}
	s, err := secret.ReadFile(path)
	if err != nil {
		return []Problem{{Key: key, Message: err.Error()}}
	}
	c.StorePassword = s
	return nil
}

// validateStore checks a postgres:// store URL: no password in it, and TLS that checks the
// server (sslmode=verify-full with a CA file in sslrootcert) for a server that is not on this
// machine, unless storeAllowInsecure.
func (c *Config) validateStore() []Problem {
	kind, _, err := ParseStore(c.Store)
	if err != nil || kind != StorePostgres {
		return nil
	}
	u, err := url.Parse(c.Store)
	if err != nil {
		return nil // ParseStore reported it
	}
	var ps []Problem
	add := func(format string, args ...any) {
		ps = append(ps, Problem{Key: "store", Message: fmt.Sprintf(format, args...)})
	}
	q := u.Query()
	if _, inline := u.User.Password(); inline || q.Has("password") {
		add("%s holds a password: remove it from the URL and put it in a file (mode 0600) named by storePasswordFile or $%s",
			RedactURL(c.Store), EnvStorePasswordFile)
	}
	hosts := storeHosts(u)
	if c.StoreAllowInsecure || allLocal(hosts) {
		return ps
	}
	switch mode, ca := q.Get("sslmode"), q.Get("sslrootcert"); {
	case mode != "verify-full":
		if mode == "" {
			mode = "prefer (the default)"
		}
		add("sslmode=%s towards %s: a store on another host needs sslmode=verify-full&sslrootcert=/path/to/ca.pem "+
			"(TLS that checks the server's certificate against your CA and its name), or storeAllowInsecure: true (tests only)",
			mode, strings.Join(hosts, ","))
	case ca == "":
		add("sslmode=verify-full needs sslrootcert=/path/to/ca.pem: the CA file that signed the server's certificate")
	default:
		if _, err := os.Stat(ca); err != nil {
			add("sslrootcert: %v", err)
		}
	}
	return ps
}

// storeHosts lists the hosts a postgres URL names (several for a failover list; the host
// parameter, a Unix socket folder included, wins).
func storeHosts(u *url.URL) []string {
	raw := u.Host
	if h := u.Query().Get("host"); h != "" {
		raw = h
	}
	var hosts []string
	for _, h := range strings.Split(raw, ",") {
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		hosts = append(hosts, strings.Trim(h, "[]"))
	}
	return hosts
}

// allLocal: every host is this machine (the loopback, a Unix socket, or none: the default socket).
func allLocal(hosts []string) bool {
	for _, h := range hosts {
		if h != "" && !strings.HasPrefix(h, "/") && !loopback(h) {
			return false
		}
	}
	return true
}

// StoreDSN is what the store backend opens: the store URL, with the password read from
// storePasswordFile for a postgres:// store. It holds a secret: never print or log it (print
// RedactURL(c.Store)).
func (c Config) StoreDSN() string {
	kind, _, err := ParseStore(c.Store)
	if err != nil || kind != StorePostgres || c.StorePassword == "" {
		return c.Store
	}
	u, err := url.Parse(c.Store)
	if err != nil {
		return c.Store
	}
	u.User = url.UserPassword(u.User.Username(), c.StorePassword.Reveal())
	return u.String()
}

// StoreURL checks a store URL given outside the configuration file (sspr store copy --to) as
// the store setting is checked, reads the password from passwordFile (or
// $SSPR_STORE_PASSWORD_FILE), and returns what the backend opens, like StoreDSN.
func StoreURL(raw, passwordFile string, allowInsecure bool, env Env) (string, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	c := Config{Store: raw, StorePasswordFile: passwordFile, StoreAllowInsecure: allowInsecure}
	if _, _, err := ParseStore(raw); err != nil {
		return "", err
	}
	ps := append(c.readStoreSecret(env), c.validateStore()...)
	if len(ps) > 0 {
		return "", &Error{Problems: ps}
	}
	return c.StoreDSN(), nil
}
