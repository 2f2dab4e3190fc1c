package smtp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sspr/sspr/internal/branding"
	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/internal/transport"
	"github.com/sspr/sspr/internal/secret"
)

// TLS modes.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587); the default
	TLSImplicit = "implicit" // TLS from the first byte (port 465)
	TLSNone     = "none"     // no TLS: only towards 127.0.0.1 or localhost (port 25)
)

// Default ports by TLS mode.
const (
	DefaultPortStartTLS = 587
	DefaultPortImplicit = 465
	DefaultPortNone     = 25
)

// defaultTimeout bounds a Send whose context has no deadline.
const defaultTimeout = time.Minute

// Config is the email channel's configuration.
//
//	host: smtp.example.com
//	port: 587               # default by tls: 587 starttls, 465 implicit, 25 none
//	tls: starttls           # starttls | implicit | none (none: 127.0.0.1/localhost only)
//	username: sspr@example.com
//	passwordFile: /run/secrets/smtp-password
//	from: "Password reset <no-reply@example.com>"
//	caFile: /etc/sspr/smtp-ca.pem   # optional extra roots
//	helloName: sspr.example.com     # optional EHLO name; default this machine's host name
type Config struct {
	Host         string `yaml:"host"`
	Port         int    `yaml:"port"`
	TLS          string `yaml:"tls"`
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"passwordFile"`
	From         string `yaml:"from"`
	CAFile       string `yaml:"caFile"`
	HelloName    string `yaml:"helloName"`

	// Password is read from PasswordFile by the caller; never from the YAML itself.
	Password secret.Value `yaml:"-"`
	// Brand gives the HTML part its colours, company name and helpdesk (nil: the defaults).
	Brand *branding.Brand `yaml:"-" json:"-"`
	// Now gives the Date header; time.Now when nil (tests set it).
	Now func() time.Time `yaml:"-" json:"-"`
}

// WithDefaults returns c with the TLS mode and port filled in.
func (c Config) WithDefaults() Config {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLSImplicit:
			c.Port = DefaultPortImplicit
		case TLSNone:
			c.Port = DefaultPortNone
		default:
			c.Port = DefaultPortStartTLS
		}
	}
	return c
}

// Validate reports every problem of c (defaults applied) at once, as a *problem.List
// whose keys are this block's YAML keys.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var e problem.List
	switch {
	case c.Host == "":
		e.Add("host", "required")
	case strings.ContainsAny(c.Host, ":/ ") && net.ParseIP(c.Host) == nil:
		e.Add("host", "%q is not a host name; give the port under port and no scheme", c.Host)
	}
	if c.Port < 1 || c.Port > 65535 {
		e.Add("port", "%d is not a TCP port", c.Port)
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if c.Host != "" && !transport.IsLoopback(c.Host) {
			e.Add("tls", "none is allowed only when host is 127.0.0.1 or localhost (mail and password would cross the network in clear); use starttls or implicit")
		}
		if c.Username != "" {
			e.Add("username", "authentication needs tls: starttls or implicit")
		}
	default:
		e.Add("tls", "%q is not one of starttls, implicit, none", c.TLS)
	}
	if c.Username != "" && c.PasswordFile == "" && c.Password == "" {
		e.Add("passwordFile", "required with username")
	}
	if c.Username == "" && c.PasswordFile != "" {
		e.Add("username", "required with passwordFile")
	}
	if c.From == "" {
		e.Add("from", "required: the sender address, e.g. \"Password reset <no-reply@example.com>\"")
	} else if a, err := mail.ParseAddress(c.From); err != nil {
		e.Add("from", "not an address: %v", err)
	} else if err := email.Validate(a.Address); err != nil {
		e.Add("from", "%v", err)
	}
	if c.CAFile != "" {
		if _, err := os.Stat(c.CAFile); err != nil {
			e.Add("caFile", "%v", err)
		}
	}
	if c.HelloName != "" && strings.ContainsFunc(c.HelloName, func(r rune) bool { return r <= ' ' || r > '~' }) {
		e.Add("helloName", "%q is not a host name", c.HelloName)
	}
	return e.Err()
}

// Channel sends email through an SMTP relay. Safe for concurrent use: each Send opens its own
// connection.
type Channel struct {
	cfg       Config
	from      *mail.Address
	tls       *tls.Config
	helloName string
	now       func() time.Time
}

var _ notify.Channel = (*Channel)(nil)

// New checks cfg and returns a Channel. The password must already be in cfg.Password when
// cfg.Username is set; cfg.CAFile's certificates are added to the system roots.
func New(cfg Config) (*Channel, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	if cfg.Username != "" && cfg.Password == "" {
		return nil, errors.New("smtp: the password is empty: passwordFile was not read or is empty")
	}
	from, _ := mail.ParseAddress(cfg.From)
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp: caFile: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp: caFile %s: no PEM certificate in it", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	hello := cfg.HelloName
	if hello == "" {
		if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsFunc(h, func(r rune) bool { return r <= ' ' || r > '~' }) {
			hello = h
		} else {
			hello = "localhost"
		}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Channel{cfg: cfg, from: from, tls: tc, helloName: hello, now: now}, nil
}

// Send delivers m (channel email) to m.To. SMTP replies 5xx give an error wrapped by
// notify.Permanent; 4xx replies and network errors are worth retrying.
func (s *Channel) Send(ctx context.Context, m notify.Message) error {
	if m.Channel != notify.ChannelEmail {
		return notify.Permanent(fmt.Errorf("smtp: cannot send %q messages, only email", m.Channel))
	}
	rcpt, err := mail.ParseAddress(m.To)
	if err != nil || rcpt.Name != "" {
		return notify.Permanent(errors.New("smtp: the destination is not an email address"))
	}
	data, err := s.compose(m, rcpt)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultTimeout)
		defer cancel()
	}
	err = s.deliver(ctx, rcpt.Address, data)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return notify.Permanent(err)
	}
	return err
}

// Check opens a session up to authentication (greeting, EHLO, STARTTLS or implicit TLS as
// configured, AUTH when a username is set) and quits without sending: the connection test of
// `sspr config validate --connect`. Without a deadline on ctx it gives up after a minute.
func (s *Channel) Check(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultTimeout)
		defer cancel()
	}
	c, done, err := s.open(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return err
	}
	defer done()
	if err := c.Quit(); err != nil {
		return fmt.Errorf("smtp: QUIT: %w", err)
	}
	return nil
}

// open connects and runs the session up to authentication. done closes everything.
func (s *Channel) open(ctx context.Context) (c *smtp.Client, done func(), err error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("smtp: connect: %w", err)
	}
	// The end of ctx (cancelled or past its deadline) interrupts any read or write in progress;
	// ctx.Err() is set by then, so the error says why.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	done = func() {
		if c != nil {
			c.Close()
		}
		stop()
		conn.Close()
	}
	fail := func(e error) (*smtp.Client, func(), error) {
		done()
		return nil, nil, e
	}

	if s.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(fmt.Errorf("smtp: TLS: %w", err))
		}
		conn = tc
	}
	if c, err = smtp.NewClient(conn, s.cfg.Host); err != nil {
		return fail(fmt.Errorf("smtp: greeting: %w", err))
	}
	if err := c.Hello(s.helloName); err != nil {
		return fail(fmt.Errorf("smtp: EHLO: %w", err))
	}
	if s.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fail(errors.New("smtp: the server does not offer STARTTLS (tls: starttls)"))
		}
		if err := c.StartTLS(s.tls); err != nil {
			return fail(fmt.Errorf("smtp: STARTTLS: %w", err))
		}
	}
	if s.cfg.Username != "" {
		if _, ok := c.TLSConnectionState(); !ok {
			return fail(errors.New("smtp: refusing to authenticate without TLS"))
		}
		if ok, mechs := c.Extension("AUTH"); !ok || !hasWord(mechs, "PLAIN") {
			return fail(fmt.Errorf("smtp: the server does not offer AUTH PLAIN (offers %q)", mechs))
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password.Reveal(), s.cfg.Host)); err != nil {
			return fail(fmt.Errorf("smtp: AUTH: %w", err))
		}
	}
	return c, done, nil
}

func (s *Channel) deliver(ctx context.Context, rcpt string, data []byte) error {
	c, done, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of DATA: %w", err)
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}

// compose writes the message: RFC 5322 headers, CRLF line ends, a multipart/alternative body
// of the plain text and its HTML rendering in the brand's look (mailParts), each
// quoted-printable UTF-8.
func (s *Channel) compose(m notify.Message, rcpt *mail.Address) ([]byte, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("smtp: message id: %w", err)
	}
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]

	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", s.from.String())
	header("To", (&mail.Address{Address: rcpt.Address}).String())
	header("Subject", EncodeSubject(m.Subject))
	header("Date", s.now().Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	plain, html, err := mailParts(s.cfg.Brand, m.Subject, m.Body)
	if err != nil {
		return nil, err
	}
	mw := multipart.NewWriter(&b)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	if err := writeAlternative(mw, plain, html); err != nil {
		return nil, fmt.Errorf("smtp: encode body: %w", err)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// EncodeSubject returns subject for the Subject header: as is when printable ASCII, else
// RFC 2047 Q-encoded UTF-8 words, one per folded line. Control characters become spaces.
func EncodeSubject(subject string) string {
	subject = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, subject)
	enc := mime.QEncoding.Encode("utf-8", subject)
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

func hasWord(list, w string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}
