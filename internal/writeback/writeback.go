package writeback

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/ldapconn"
)

// Config says how to reach the directory and as whom.
type Config struct {
	// Kind selects the protocol: directory.ActiveDirectory (AD and Samba AD: unicodePwd,
	// lockoutTime, in-chain matching rule) or directory.OpenLDAP (Password Modify with
	// ppolicy, pwdAccountLockedTime, member/uniqueMember).
	Kind directory.Kind
	// Endpoint is ldaps://host[:636], or ldap://host[:389] with StartTLS (plain ldap:// only
	// with AllowInsecure, never for AD passwords: unicodePwd needs TLS), and the service
	// account. On OpenLDAP the account must not be the rootdn (the rootdn bypasses ppolicy):
	// give it write on userPassword and manage on pwdAccountLockedTime by ACL. Each call as a
	// whole is bounded by its CallTimeout, each wait for an answer by its OperationTimeout.
	Endpoint ldapconn.Endpoint
	// MustChangeAfterReset: SetPassword also makes the user change the new password at next
	// logon (AD/Samba: pwdLastSet=0 in the same Modify). OpenLDAP ignores it (pwdReset is
	// set by ppolicy only for a password administrator: see doc.go).
	MustChangeAfterReset bool
}

// Directory writes passwords back, unlocks accounts, checks group membership and checks a
// user's password, each call on a fresh TLS connection bound as the service account (or as
// the user, for Authenticate). Safe for concurrent use.
type Directory struct {
	cfg Config
	t   ldapconn.Target

	mu    sync.Mutex
	hints string // AD: the policy hints control OID to send, once known
}

// New checks cfg and returns a Directory. It does not contact the server. Its error is a
// *problem.List (errors.As) with every problem, keyed as in the configuration.
func New(cfg Config) (*Directory, error) {
	var ps problem.List
	if cfg.Kind != directory.ActiveDirectory && cfg.Kind != directory.OpenLDAP {
		ps.Add("type", "%q: want %q or %q", cfg.Kind, directory.ActiveDirectory, directory.OpenLDAP)
	}
	t, err := cfg.Endpoint.Check()
	ps.Under("", err)
	if err := ps.Err(); err != nil {
		return nil, fmt.Errorf("writeback: %w", err)
	}
	cfg.Endpoint = t.Endpoint
	return &Directory{cfg: cfg, t: t}, nil
}

// secure reports whether connections are encrypted.
func (d *Directory) secure() bool { return d.t.Secure() }

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

// bound returns the call's context: ctx limited by the CallTimeout.
func (d *Directory) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.t.CallTimeout)
}

// dial connects (TLS or StartTLS) without binding. ctx must carry a deadline (bound).
func (d *Directory) dial(ctx context.Context) (*conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, "tcp", d.t.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", d.t.Addr, err)
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
	if d.t.StartTLS {
		if err := startTLS(nc); err != nil {
			return fail(fmt.Errorf("StartTLS with %s: %w", d.t.Addr, err))
		}
	}
	if d.t.TLS != nil {
		tc := tls.Client(nc, d.t.TLS.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(fmt.Errorf("TLS handshake with %s: %w", d.t.Addr, err))
		}
		nc = tc
	}
	c := goldap.NewConn(nc, d.t.TLS != nil)
	c.Start()
	c.SetTimeout(d.t.OperationTimeout)
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
	if err := c.Bind(d.t.BindDN, d.t.BindPassword.Reveal()); err != nil {
		c.close()
		// A rejected service account is a configuration problem: failed, not the user's.
		return nil, classify(ctx, op, "bind as the service account "+d.t.BindDN, err, func(error) string { return ReasonFailed })
	}
	return c, nil
}
