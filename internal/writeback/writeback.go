package writeback

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
)

// DefaultTimeout bounds a whole call (dial, TLS, bind, operation) when Config.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// Config says how to reach the directory and as whom.
type Config struct {
	// Kind selects the protocol: directory.ActiveDirectory (AD and Samba AD: unicodePwd,
	// lockoutTime, in-chain matching rule) or directory.OpenLDAP (Password Modify with
	// ppolicy, pwdAccountLockedTime, member/uniqueMember).
	Kind directory.Kind
	// URL is ldaps://host[:636], or ldap://host[:389] with StartTLS. Plain ldap:// without
	// StartTLS only with AllowInsecure (never for AD passwords: unicodePwd needs TLS).
	URL           string
	StartTLS      bool
	AllowInsecure bool
	// CAFile is a PEM bundle of the CAs to trust; empty: the system's.
	CAFile string
	// BindDN and BindPassword are the service account's. On OpenLDAP it must not be the
	// rootdn (the rootdn bypasses ppolicy): give it write on userPassword and manage on
	// pwdAccountLockedTime by ACL.
	BindDN, BindPassword string
	// Timeout bounds each call as a whole; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Directory writes passwords back, unlocks accounts, checks group membership and checks a
// user's password, each call on a fresh TLS connection bound as the service account (or as
// the user, for Authenticate). Safe for concurrent use.
type Directory struct {
	cfg   Config
	addr  string
	tls   *tls.Config // nil: plain (AllowInsecure)
	ldaps bool

	mu    sync.Mutex
	hints string // AD: the policy hints control OID to send, once known
}

// New checks cfg and returns a Directory. It does not contact the server.
func New(cfg Config) (*Directory, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if cfg.Kind != directory.ActiveDirectory && cfg.Kind != directory.OpenLDAP {
		bad("kind %q: want %q or %q", cfg.Kind, directory.ActiveDirectory, directory.OpenLDAP)
	}
	d := &Directory{cfg: cfg}
	if cfg.Timeout <= 0 {
		d.cfg.Timeout = DefaultTimeout
	}
	u, err := url.Parse(cfg.URL)
	host, port := "", ""
	switch {
	case err != nil || cfg.URL == "":
		bad("url %q: want ldaps://host[:port] or ldap://host[:port]", cfg.URL)
	case strings.EqualFold(u.Scheme, "ldaps"):
		d.ldaps = true
		host, port = u.Hostname(), u.Port()
		if port == "" {
			port = "636"
		}
		if cfg.StartTLS {
			bad("url %q: StartTLS is for ldap:// (ldaps:// is TLS already)", cfg.URL)
		}
	case strings.EqualFold(u.Scheme, "ldap"):
		host, port = u.Hostname(), u.Port()
		if port == "" {
			port = "389"
		}
		if !cfg.StartTLS && !cfg.AllowInsecure {
			bad("url %q: plain ldap:// sends passwords in clear: use ldaps://, StartTLS, or AllowInsecure for a test server", cfg.URL)
		}
	default:
		bad("url %q: scheme must be ldaps or ldap", cfg.URL)
	}
	if err == nil && cfg.URL != "" && host == "" {
		bad("url %q: no host", cfg.URL)
	}
	if cfg.BindDN == "" || cfg.BindPassword == "" {
		bad("the service account's bindDN and bindPassword are required")
	} else if _, err := goldap.ParseDN(cfg.BindDN); err != nil {
		bad("bindDN %q: %v", cfg.BindDN, err)
	}
	if d.ldaps || cfg.StartTLS {
		var err error
		if d.tls, err = directory.TLSConfig(host, cfg.CAFile); err != nil {
			bad("%v", err)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("writeback: %s", strings.Join(problems, "; "))
	}
	d.addr = net.JoinHostPort(host, port)
	return d, nil
}

// secure reports whether connections are encrypted.
func (d *Directory) secure() bool { return d.tls != nil }

// conn is one connection for one call. Cancelling the call's context (or its deadline: the
// Timeout) closes the socket, which ends any wait at once.
type conn struct {
	*goldap.Conn
	stop func() bool
}

func (c *conn) close() {
	c.stop()
	c.Conn.Close()
}

// bound returns the call's context: ctx limited by the Timeout.
func (d *Directory) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.cfg.Timeout)
}

// dial connects (TLS or StartTLS) without binding. ctx must carry a deadline (bound).
func (d *Directory) dial(ctx context.Context) (*conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", d.addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl) // every read and write of this call ends by then
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	fail := func(err error) (*conn, error) {
		stop()
		nc.Close()
		return nil, err
	}
	if d.cfg.StartTLS {
		if err := startTLS(nc); err != nil {
			return fail(fmt.Errorf("StartTLS with %s: %w", d.addr, err))
		}
	}
	if d.tls != nil {
		tc := tls.Client(nc, d.tls.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(fmt.Errorf("TLS handshake with %s: %w", d.addr, err))
		}
		nc = tc
	}
	c := goldap.NewConn(nc, d.tls != nil)
	c.Start()
	c.SetTimeout(d.cfg.Timeout)
	return &conn{Conn: c, stop: stop}, nil
}

// startTLS runs the StartTLS extended operation (RFC 4511 4.14) on the bare socket, so that
// the TLS handshake that follows is ours and bounded by the call's deadline.
func startTLS(nc net.Conn) error {
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 1, "MessageID"))
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, goldap.ApplicationExtendedRequest, nil, "Start TLS")
	req.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "1.3.6.1.4.1.1466.20037", "TLS Extended Command"))
	msg.AppendChild(req)
	if _, err := nc.Write(msg.Bytes()); err != nil {
		return err
	}
	resp, err := ber.ReadPacket(nc)
	if err != nil {
		return err
	}
	if len(resp.Children) < 2 || resp.Children[1].Tag != goldap.ApplicationExtendedResponse {
		return errors.New("unexpected answer to StartTLS")
	}
	return goldap.GetLDAPError(resp)
}

// connect dials and binds as the service account.
func (d *Directory) connect(ctx context.Context, op string) (*conn, error) {
	c, err := d.dial(ctx)
	if err != nil {
		return nil, classify(ctx, op, "connect", err, nil)
	}
	if err := c.Bind(d.cfg.BindDN, d.cfg.BindPassword); err != nil {
		c.close()
		// A rejected service account is a configuration problem: failed, not the user's.
		return nil, classify(ctx, op, "bind as the service account "+d.cfg.BindDN, err, func(error) string { return ReasonFailed })
	}
	return c, nil
}
